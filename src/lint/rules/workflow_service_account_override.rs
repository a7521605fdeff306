//! Every step of a workflow runs as the workflow's ServiceAccount.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "workflow-service-account-override",
    family: Family::Workflows,
    severity: Severity::Error,
    summary: "A template or executor of a workflow runs as another ServiceAccount than the workflow.",
    doc: "## What it does\nReports `serviceAccountName` on a workflow template (`templates[].serviceAccountName`) or an executor (`executor.serviceAccountName`, at the workflow or a template) that differs from the workflow's `spec.serviceAccountName`.\n\n## Why is this bad?\nRBAC review looks at the workflow's ServiceAccount. One step that names another (say the namespace's deploy robot, or Argo's own server account) runs with its rights, unseen by that review.\n\n## Example\n```yaml\nspec:\n  serviceAccountName: argo-workflow\n  templates:\n  - name: deploy\n    # no serviceAccountName here: it inherits argo-workflow\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.docs.iter().enumerate() {
        let Some((ptr, spec)) = workflow_spec(d) else {
            continue;
        };
        let account = spec.get("serviceAccountName").and_then(Value::as_str);
        let mut holders = vec![(format!("{ptr}/executor"), spec.get("executor"))];
        for (t, template) in workflow_templates(spec) {
            holders.push((format!("{ptr}/templates/{t}"), Some(template)));
            holders.push((
                format!("{ptr}/templates/{t}/executor"),
                template.get("executor"),
            ));
        }
        for (at, holder) in holders {
            let Some(sa) = holder
                .and_then(|h| h.get("serviceAccountName"))
                .and_then(Value::as_str)
            else {
                continue;
            };
            if Some(sa) != account {
                out.push(Hit::new(
                    i,
                    format!("{at}/serviceAccountName"),
                    format!(
                        "{} runs a step as ServiceAccount `{sa}`, not the workflow's {}",
                        d.display(),
                        account.map_or("(none set)".to_owned(), |a| format!("`{a}`"))
                    ),
                ));
            }
        }
    }
}
