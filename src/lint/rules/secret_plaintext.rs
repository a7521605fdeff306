//! No secret values in Git.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "secret-plaintext",
    family: Family::Hygiene,
    severity: Severity::Error,
    summary: "A Secret carries its values (data or stringData) in the repository.",
    doc: "## What it does\nReports Secret objects with non-empty `data` or `stringData`. The values are never printed.\n\n## Why is this bad?\nbase64 is an encoding, not encryption: everyone who can read the repository (and its history, forever) has the secret. Use Sealed Secrets, External Secrets or SOPS.\n\n## Example\n```yaml\nkind: Secret\nstringData: {password: hunter2}\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.of_kind(&["Secret"]) {
        for key in ["data", "stringData"] {
            if d.value[key].as_object().is_some_and(|m| !m.is_empty()) {
                out.push(Hit::new(
                    i,
                    format!("/{key}"),
                    format!("{} holds plain-text values in `{key}`", d.display()),
                ));
            }
        }
    }
}
