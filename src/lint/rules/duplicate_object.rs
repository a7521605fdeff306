//! One object, one definition.

use std::collections::HashMap;

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "duplicate-object",
    family: Family::Hygiene,
    severity: Severity::Error,
    summary: "Two documents define the same object (group, kind, namespace, name).",
    doc: "## What it does\nReports every definition of an object after the first, naming the first.\n\n## Why is this bad?\nOnly one can win; Argo CD reports the app out of sync forever or applies whichever it read last.\n\n## Example\n```yaml\n# two files both defining ConfigMap data-prod/settings\n```",
    scope: Scope::Corpus(&[]),
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    // Sized for every document at once: grown by doubling, it rehashed 770,000 identities
    // at N = 10,000 on one core (this rule was the last one running in a perf timeline).
    let mut first: HashMap<&crate::manifest::ObjectRef, usize> =
        HashMap::with_capacity(c.docs.len());
    for (i, d) in c.docs.iter().enumerate() {
        let Some(id) = &d.id else { continue };
        // Named at creation (`generateName`): every copy is a new object.
        if id.name.ends_with(crate::lint::GENERATED_NAME) {
            continue;
        }
        match first.get(id) {
            Some(&f) => out.push(Hit::new(
                i,
                "/metadata/name",
                format!("{id} is also defined in {}", c.path(f)),
            )),
            None => {
                first.insert(id, i);
            }
        }
    }
}
