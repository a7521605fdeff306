//! ApplicationSet git generators point at paths that exist.

use globset::GlobBuilder;

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "appset-path-missing",
    family: Family::Argo,
    severity: Severity::Error,
    summary: "An ApplicationSet git generator path matches no directory or file in the linted tree.",
    doc: "## What it does\nExpands ApplicationSet generators offline — git `directories` and `files`, nested in `matrix` and `merge` — against the linted tree (paths are taken relative to the repository, so `gitops/prod/tenants/*` matches `prod/tenants/*` when `gitops/` is linted) and reports patterns that match nothing. Only generators over the linted repository are judged: their `repoURL` is compared (scheme, user, `.git` and case aside) with `repo.url` of `.gitops-render.yaml`, the estate's environments and the Git remotes of the linted folder; when none of these is known, every generator is judged.\n\n## Why is this bad?\nA generator that matches nothing generates no Applications: the environment silently deploys nothing, or prunes what it had.\n\n## Example\n```yaml\ngenerators:\n- git:\n    directories:\n    - path: gitops/prod/tenant/*   # tenants/\n```",
    scope: Scope::Corpus(&[("ApplicationSet", "/spec/generators")]),
    check,
};

/// One git generator path: the pointer to it, the pattern, whether it is an `exclude`, and
/// whether it matches files (else directories).
pub struct GenPath {
    pub pointer: String,
    pub pattern: String,
    pub exclude: bool,
    pub files: bool,
    /// The generator's `repoURL`.
    pub repo: String,
}

/// Every git generator path of an ApplicationSet, through matrix and merge generators.
pub fn generator_paths(gens: &Value, ptr: &str, out: &mut Vec<GenPath>) {
    for (g, gen) in gens.as_array().into_iter().flatten().enumerate() {
        let gptr = format!("{ptr}/{g}");
        if let Some(git) = gen.get("git") {
            for (key, files) in [("directories", false), ("files", true)] {
                for (p, entry) in git[key].as_array().into_iter().flatten().enumerate() {
                    if let Some(pattern) = entry["path"].as_str() {
                        out.push(GenPath {
                            pointer: format!("{gptr}/git/{key}/{p}/path"),
                            pattern: pattern.to_owned(),
                            exclude: entry["exclude"] == true,
                            files,
                            repo: git["repoURL"].as_str().unwrap_or_default().to_owned(),
                        });
                    }
                }
            }
        }
        for nested in ["matrix", "merge"] {
            if let Some(inner) = gen.get(nested).and_then(|m| m.get("generators")) {
                generator_paths(inner, &format!("{gptr}/{nested}/generators"), out);
            }
        }
    }
}

/// The linted paths (directories or files) a repository path pattern matches.
pub fn matches(c: &Corpus, pattern: &str, files: bool) -> Vec<String> {
    let compile = |p: &str| {
        GlobBuilder::new(p)
            .literal_separator(true)
            .build()
            .ok()
            .map(|g| g.compile_matcher())
    };
    let Some(whole) = compile(pattern) else {
        return Vec::new();
    };
    // `root/p` matches the pattern exactly when `p` matches what follows the pattern's
    // `root/`: no path is rebuilt per candidate.
    let below_root = c
        .root_name
        .as_ref()
        .and_then(|root| pattern.strip_prefix(&format!("{root}/")))
        .and_then(compile);
    let hit = |p: &str| whole.is_match(p) || below_root.as_ref().is_some_and(|m| m.is_match(p));
    let mut out: Vec<String> = if files {
        (0..c.docs.len())
            .map(|i| c.path(i))
            .filter(|p| hit(p))
            .map(str::to_owned)
            .collect()
    } else {
        c.dirs.iter().filter(|p| hit(p)).cloned().collect()
    };
    out.sort();
    out.dedup();
    out
}

fn check(c: &Corpus, config: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.of_kind(&["ApplicationSet"]) {
        let mut paths = Vec::new();
        generator_paths(
            &d.value["spec"]["generators"],
            "/spec/generators",
            &mut paths,
        );
        // A generator over another repository cannot be judged from these files; when the
        // run does not know which repository it lints, every generator is judged.
        let here = |p: &&GenPath| config.same_repo(&p.repo) != Some(false);
        for p in paths.iter().filter(|p| !p.exclude).filter(here) {
            if matches(c, &p.pattern, p.files).is_empty() {
                out.push(Hit::new(
                    i,
                    p.pointer.clone(),
                    format!(
                        "{}: generator path `{}` matches nothing in the tree",
                        d.display(),
                        p.pattern
                    ),
                ));
            }
        }
    }
}
