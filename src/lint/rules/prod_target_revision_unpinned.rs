//! Production syncs a pinned revision.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "prod-target-revision-unpinned",
    family: Family::Argo,
    severity: Severity::Error,
    summary: "A production Application(Set) tracks a branch (HEAD, main, master) instead of a tag or commit.",
    doc: "## What it does\nIn production objects (environment label `prod`), reports `targetRevision` / generator `revision` values that are branches: empty, HEAD, main, master, develop, trunk.\n\n## Why is this bad?\nEvery merge to the branch goes straight to production, unreviewed as a release.\n\n## Example\n```yaml\nsource:\n  targetRevision: v2026.11.3\n```",
    scope: Scope::Object,
    check,
};

const BRANCHES: &[&str] = &["", "HEAD", "main", "master", "develop", "trunk"];

fn revisions<'a>(v: &'a Value, ptr: &str, out: &mut Vec<(String, &'a str)>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let p = crate::source::pointer_push(ptr, k);
                if k == "targetRevision" || (k == "revision" && ptr.contains("/git")) {
                    if let Some(s) = child.as_str() {
                        out.push((p.clone(), s));
                    }
                }
                revisions(child, &p, out);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                revisions(child, &format!("{ptr}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.of_kind(&["Application", "ApplicationSet"]) {
        if !is_prod(d) {
            continue;
        }
        let mut found = Vec::new();
        revisions(&d.value["spec"], "/spec", &mut found);
        for (ptr, rev) in found {
            if BRANCHES.contains(&rev) {
                out.push(Hit::new(
                    i,
                    ptr,
                    format!(
                        "{} tracks `{rev}` in production; pin a tag or commit",
                        d.display()
                    ),
                ));
            }
        }
    }
}
