//! Applications belong to a real AppProject.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "default-appproject",
    family: Family::Argo,
    severity: Severity::Error,
    summary: "An Application or ApplicationSet template uses the `default` AppProject.",
    doc: "## What it does\nReports Applications and ApplicationSet templates with `project: default` (or no project).\n\n## Why is this bad?\n`default` allows any source repository and any destination: one Application can deploy anywhere. A bootstrap root that must live there says so with `gitops-render.dev/ignore: default-appproject`.\n\n## Example\n```yaml\nspec:\n  project: default\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.of_kind(&["Application", "ApplicationSet"]) {
        let ptr = if d.kind() == "Application" {
            "/spec/project"
        } else {
            "/spec/template/spec/project"
        };
        let project = d
            .value
            .pointer(ptr)
            .and_then(Value::as_str)
            .unwrap_or("default");
        if project == "default" {
            out.push(Hit::new(
                i,
                ptr,
                format!("{} uses the `default` AppProject", d.display()),
            ));
        }
    }
}
