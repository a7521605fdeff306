//! apiVersions that Kubernetes no longer (or soon no longer) serves.

use crate::schema::objects::REMOVED_APIS;

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "removed-api-version",
    family: Family::Schema,
    severity: Severity::Error,
    summary: "The apiVersion was removed from Kubernetes (at or before the target version).",
    doc: "## What it does\nReports apiVersions removed from Kubernetes, with the release that removed them and the replacement. The target version is `--kube-version` (default 1.34).\n\n## Why is this bad?\nThe API server rejects the object; the sync fails after an upgrade even though nothing in Git changed.\n\n## Example\n```yaml\napiVersion: batch/v1beta1\nkind: CronJob\n```",
    scope: Scope::Object,
    check,
};

fn version(v: &str) -> (u32, u32) {
    let mut it = v.split('.').map(|p| p.parse().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}

fn check(c: &Corpus, cfg: &LintConfig, out: &mut Vec<Hit>) {
    let target = cfg.kube_version.unwrap_or((1, 34));
    for (i, d) in c.docs.iter().enumerate() {
        if let Some((api, _, removed, instead)) = REMOVED_APIS
            .iter()
            .find(|(a, k, _, _)| *a == d.api_version() && (*k == "*" || *k == d.kind()))
        {
            if version(removed) <= target {
                out.push(Hit::new(
                    i,
                    "/apiVersion",
                    format!(
                        "{api} {} was removed in Kubernetes {removed}; use {instead}",
                        d.kind()
                    ),
                ));
            }
        }
    }
}
