//! Every namespace has a ResourceQuota.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "namespace-missing-quota",
    family: Family::Tenancy,
    severity: Severity::Error,
    summary: "A Namespace has no ResourceQuota.",
    doc: "## What it does\nReports Namespace objects with no ResourceQuota in that namespace anywhere in the linted set.\n\n## Why is this bad?\nWithout a quota one tenant can take a shared cluster's whole capacity.\n\n## Example\n```yaml\napiVersion: v1\nkind: Namespace\nmetadata: {name: data-prod}\n# …and no ResourceQuota with metadata.namespace: data-prod\n```",
    scope: Scope::Corpus(&[]),
    check,
};

/// Namespaces (by Namespace object) that have no object of `kind` in them.
pub fn namespaces_without(c: &Corpus, kind: &str) -> Vec<(usize, String)> {
    let kinds = [kind];
    let with: std::collections::BTreeSet<&str> =
        c.of_kind(&kinds).map(|(_, d)| d.namespace()).collect();
    c.of_kind(&["Namespace"])
        .filter(|(_, d)| !with.contains(d.name()))
        .map(|(i, d)| (i, d.name().to_owned()))
        .collect()
}

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, ns) in namespaces_without(c, "ResourceQuota") {
        out.push(Hit::new(
            i,
            "/metadata/name",
            format!("namespace `{ns}` has no ResourceQuota"),
        ));
    }
}
