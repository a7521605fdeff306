//! Workloads and workflows run under a dedicated ServiceAccount.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "default-service-account",
    family: Family::Workloads,
    severity: Severity::Warning,
    summary: "A workload or workflow runs as the namespace's `default` ServiceAccount.",
    doc: "## What it does\nReports pod specs and workflow specs without `serviceAccountName`, or naming `default`.\n\n## Why is this bad?\nEvery pod of the namespace shares `default`; granting it rights grants them to everything.\n\n## Example\n```yaml\nspec:\n  serviceAccountName: argo-workflow\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.docs.iter().enumerate() {
        for (ptr, spec) in pods(d) {
            let sa = spec.get("serviceAccountName").and_then(Value::as_str);
            if sa.is_none_or(|s| s == "default") {
                out.push(Hit::new(
                    i,
                    ptr,
                    format!("{} runs as the `default` ServiceAccount", d.display()),
                ));
            }
        }
    }
}
