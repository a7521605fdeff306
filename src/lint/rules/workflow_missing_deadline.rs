//! A workflow has no activeDeadlineSeconds.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "workflow-missing-deadline",
    family: Family::Workflows,
    severity: Severity::Warning,
    summary: "A workflow has no activeDeadlineSeconds.",
    doc: "## What it does\nReports workflow specs without `activeDeadlineSeconds`.\n\n## Why is this bad?\nA hung step holds its quota and its node forever.\n\n## Example\n```yaml\nspec:\n  activeDeadlineSeconds: 3600\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.docs.iter().enumerate() {
        let Some((ptr, spec)) = workflow_spec(d) else {
            continue;
        };
        if spec.get("activeDeadlineSeconds").is_none() {
            out.push(Hit::new(
                i,
                ptr,
                format!("{} has no activeDeadlineSeconds", d.display()),
            ));
        }
    }
}
