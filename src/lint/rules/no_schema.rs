//! Kinds lint has no schema for, reported once per kind.

use std::collections::BTreeSet;

use crate::schema::objects;

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "no-schema",
    family: Family::Schema,
    severity: Severity::Warning,
    summary: "No schema is known for this apiVersion and kind, so it was not validated (once per kind).",
    doc: "## What it does\nReports, once per apiVersion/kind, objects lint cannot validate. With a known kind but an unknown apiVersion it names the versions it knows. `--strict-kinds` makes this an error.\n\n## Why is this bad?\nAn unvalidated object can carry any typo. Usually a custom resource; sometimes a misspelt apiVersion.\n\n## Example\n```yaml\napiVersion: apps/v2\nkind: Deployment\n```",
    scope: Scope::Corpus(&[]),
    check,
};

fn check(c: &Corpus, config: &LintConfig, out: &mut Vec<Hit>) {
    let mut seen = BTreeSet::new();
    for (i, d) in c.docs.iter().enumerate() {
        if d.id.is_none() || config.has_schema(d.api_version(), d.kind()) {
            continue;
        }
        if !seen.insert((d.api_version().to_owned(), d.kind().to_owned())) {
            continue;
        }
        let known = objects::known_kind(d.kind());
        let msg = if known.is_empty() {
            format!(
                "no schema for {} {}: not validated",
                d.api_version(),
                d.kind()
            )
        } else {
            format!(
                "no schema for {} {}; known apiVersions of {}: {}",
                d.api_version(),
                d.kind(),
                d.kind(),
                known.join(", ")
            )
        };
        out.push(Hit::new(i, "/apiVersion", msg));
    }
}
