//! Kinds that are still served but deprecated.

use crate::schema::objects::DEPRECATED_KINDS;

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "deprecated-api",
    family: Family::Schema,
    severity: Severity::Warning,
    summary: "The kind is deprecated in Kubernetes and will be removed.",
    doc: "## What it does\nReports kinds Kubernetes has deprecated but still serves, with the replacement.\n\n## Why is this bad?\nDeprecated kinds are removed in a later release; moving early avoids an upgrade-day outage.\n\n## Example\n```yaml\napiVersion: v1\nkind: Endpoints\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.docs.iter().enumerate() {
        if let Some((_, kind, since, instead)) = DEPRECATED_KINDS
            .iter()
            .find(|(a, k, _, _)| *a == d.api_version() && *k == d.kind())
        {
            out.push(Hit::new(
                i,
                "/kind",
                format!("{kind} is deprecated since Kubernetes {since}; use {instead}"),
            ));
        }
    }
}
