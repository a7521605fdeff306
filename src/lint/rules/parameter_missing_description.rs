//! A workflow parameter has no description.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "parameter-missing-description",
    family: Family::Workflows,
    severity: Severity::Warning,
    summary: "A workflow parameter has no description.",
    doc: "## What it does\nReports `spec.arguments.parameters` entries without `description`.\n\n## Why is this bad?\nThe Argo UI shows the description when a person submits the workflow; without it they guess.\n\n## Example\n```yaml\narguments:\n  parameters:\n  - {name: repo, description: Git URL of the repository to build.}\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.docs.iter().enumerate() {
        let Some((ptr, spec)) = workflow_spec(d) else {
            continue;
        };
        for (p, param) in spec
            .pointer("/arguments/parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if param
                .get("description")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                let name = param["name"].as_str().unwrap_or("?");
                out.push(Hit::new(
                    i,
                    format!("{ptr}/arguments/parameters/{p}"),
                    format!("parameter `{name}` of {} has no description", d.display()),
                ));
            }
        }
    }
}
