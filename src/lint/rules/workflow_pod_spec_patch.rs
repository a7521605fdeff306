//! A workflow's `podSpecPatch` cannot undo the pod's restrictions.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "workflow-pod-spec-patch",
    family: Family::Workflows,
    severity: Severity::Error,
    summary: "A workflow's podSpecPatch escalates the pod (host namespaces, root, privileged, another ServiceAccount) or cannot be read.",
    doc: "## What it does\nParses every `podSpecPatch` of a Workflow, WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow (at the workflow spec and at each template) and reports a patch that is not a YAML/JSON pod spec, or that sets `hostPID`/`hostIPC`/`hostNetwork`, runs as root (`runAsUser: 0`, `runAsNonRoot: false`), makes a container privileged, lets it escalate or add capabilities, unmasks `/proc`, disables seccomp, mounts a hostPath, or names a ServiceAccount other than the workflow's.\n\n## Why is this bad?\nArgo applies the patch after everything else, as a strategic merge over the generated pod: every other check of the workflow sees the restricted settings, the cluster runs the patched ones.\n\n## Example\n```yaml\nspec:\n  podSpecPatch: |\n    containers:\n    - name: main\n      resources: {limits: {memory: 2Gi}}\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.docs.iter().enumerate() {
        let Some((ptr, spec)) = workflow_spec(d) else {
            continue;
        };
        let account = spec.get("serviceAccountName").and_then(Value::as_str);
        let mut patches = vec![(format!("{ptr}/podSpecPatch"), spec.get("podSpecPatch"))];
        for (t, template) in workflow_templates(spec) {
            patches.push((
                format!("{ptr}/templates/{t}/podSpecPatch"),
                template.get("podSpecPatch"),
            ));
        }
        for (at, patch) in patches {
            let Some(patch) = patch else { continue };
            let message = match patch {
                Value::String(text) => match crate::source::parse_single(text) {
                    Ok(parsed) => {
                        let problems = crate::manifest::pod::escalations(&parsed, account);
                        if problems.is_empty() {
                            continue;
                        }
                        format!(
                            "{}'s podSpecPatch sets {}",
                            d.display(),
                            problems.join(", ")
                        )
                    }
                    Err(e) => format!(
                        "{}'s podSpecPatch is not a YAML or JSON pod spec: {}",
                        d.display(),
                        e.message
                    ),
                },
                _ => format!("{}'s podSpecPatch is not a string", d.display()),
            };
            out.push(Hit::new(i, at, message));
        }
    }
}
