//! Every namespace has a LimitRange.

use super::namespace_missing_quota::namespaces_without;
use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "namespace-missing-limitrange",
    family: Family::Tenancy,
    severity: Severity::Error,
    summary: "A Namespace has no LimitRange.",
    doc: "## What it does\nReports Namespace objects with no LimitRange in that namespace.\n\n## Why is this bad?\nWith a quota but no LimitRange, pods that omit requests are rejected; without either they are unbounded.\n\n## Example\n```yaml\napiVersion: v1\nkind: Namespace\nmetadata: {name: data-prod}\n```",
    scope: Scope::Corpus(&[]),
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, ns) in namespaces_without(c, "LimitRange") {
        out.push(Hit::new(
            i,
            "/metadata/name",
            format!("namespace `{ns}` has no LimitRange"),
        ));
    }
}
