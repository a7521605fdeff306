//! One object, one definition.

use std::hash::BuildHasher;

use super::prelude::*;
use crate::lint::identity::Identity;

pub static RULE: Rule = Rule {
    id: "duplicate-object",
    family: Family::Hygiene,
    severity: Severity::Error,
    summary: "Two documents define the same object (group, kind, namespace, name).",
    doc: "## What it does\nReports every definition of an object after the first, naming the first. Within one Argo CD application: when the linted files hold Applications, the folders they deploy (`spec.source.path`, `spec.sources[].path`) each form one group, and two applications may hold objects of the same name (they go to different destinations). Objects named by `generateName` are never duplicates.\n\n## Why is this bad?\nOnly one can win; Argo CD reports the app out of sync forever or applies whichever it read last.\n\n## Example\n```yaml\n# two files both defining ConfigMap data-prod/settings\n```",
    scope: Scope::Corpus(&[
        ("Application", "/spec/source/path"),
        ("Application", "/spec/sources"),
    ]),
    check,
};

/// The folders (relative to the linted one) that Applications in the corpus deploy: each
/// is one Argo CD application, whose objects never meet another's in the cluster by name
/// alone (their destinations differ, or Argo CD reports the conflict itself).
fn app_roots(c: &Corpus) -> Vec<String> {
    let mut roots = Vec::new();
    for (_, d) in c.of_kind(&["Application"]) {
        let spec = &d.value["spec"];
        let paths = std::iter::once(&spec["source"])
            .chain(spec["sources"].as_array().into_iter().flatten())
            .filter_map(|s| s["path"].as_str());
        for p in paths {
            let p = p.trim_matches('/');
            let below = c
                .root_name
                .as_deref()
                .and_then(|r| p.strip_prefix(&format!("{r}/")));
            if let Some(rel) = [Some(p), below]
                .into_iter()
                .flatten()
                .find(|r| c.dirs.contains(*r))
            {
                roots.push(rel.to_owned());
            }
        }
    }
    roots.sort();
    roots.dedup();
    roots
}

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    let roots = app_roots(c);
    // The application a file belongs to: the deepest root above it ("" for none).
    let app_of = |path: &str| -> usize {
        roots
            .iter()
            .enumerate()
            .filter(|(_, r)| path.starts_with(r.as_str()) && path[r.len()..].starts_with('/'))
            .max_by_key(|(_, r)| r.len())
            .map_or(0, |(i, _)| i + 1)
    };
    // The first document of each object, by index: a table of 4-byte indices hashed by the
    // object they define (a map of keys and values was 6.5 MB at N = 10,000, when the
    // cross-object rules run at the peak of a render), sized for every document at once
    // (grown by doubling, it rehashed 770,000 identities on one core).
    let apps: Vec<u32> = if roots.is_empty() {
        Vec::new()
    } else {
        (0..c.docs.len())
            .map(|i| app_of(c.path(i)) as u32)
            .collect()
    };
    let app = |i: usize| apps.get(i).copied().unwrap_or(0);
    // Seeded per process: the identities are the tree's, which a pull request writes.
    let state = hashbrown::DefaultHashBuilder::default();
    let hash = |i: usize, id: &Identity| state.hash_one((app(i), id));
    let mut first: hashbrown::HashTable<u32> = hashbrown::HashTable::with_capacity(c.docs.len());
    for (i, d) in c.docs.iter().enumerate() {
        let Some(id) = &d.id else { continue };
        // Named at creation (`generateName`): every copy is a new object.
        if id.name().ends_with(crate::lint::GENERATED_NAME) {
            continue;
        }
        let same =
            |&f: &u32| app(f as usize) == app(i) && c.docs[f as usize].id.as_ref() == Some(id);
        match first.find(hash(i, id), same) {
            Some(&f) => out.push(Hit::new(
                i,
                "/metadata/name",
                format!("{id} is also defined in {}", c.path(f as usize)),
            )),
            None => {
                let rehash = |&f: &u32| {
                    let f = f as usize;
                    c.docs[f].id.as_ref().map_or(0, |id| hash(f, id))
                };
                first.insert_unique(hash(i, id), i as u32, rehash);
            }
        }
    }
}
