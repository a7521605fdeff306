//! A workflow's `parallelism` should fit its namespace's quota at once.

use super::pod_security_enforce::POD_FIELDS;
use super::prelude::*;
use super::quota_admission::Namespaces;

pub static RULE: Rule = Rule {
    id: "workflow-parallelism-quota",
    family: Family::Admission,
    severity: Severity::Warning,
    summary: "A workflow may run more pods at once than its namespace's quota holds.",
    doc: "## What it does\nFor Argo Workflows, WorkflowTemplates and CronWorkflows that set `parallelism`, sizes their largest pod as `quota-admission` does (with Argo's executor containers) and reports when the namespace's ResourceQuota holds fewer such pods than `parallelism` lets run at once. (`gitops-render render` lowers the parallelism of the WorkflowTemplates it renders to what the tier's quota holds.)\n\n## Why is this bad?\nThe pods beyond what the quota holds are refused by quota admission; the controller retries them with backoff, so steps the workflow meant to run side by side queue, deadlines pass, and the namespace's other workloads cannot scale while the quota is full.\n\n## Example\n```yaml\n# tenant-quota: limits.cpu 2; each step 500m plus the wait container's 500m\nspec:\n  parallelism: 10   # the quota holds 2\n```",
    scope: Scope::Corpus(POD_FIELDS),
    check,
};

fn check(c: &Corpus, config: &LintConfig, out: &mut Vec<Hit>) {
    Namespaces::of(c, config).judge(c, |i, d, pods| {
        let Some((ptr, spec)) = workflow_spec(d) else {
            return;
        };
        let Some(parallelism) = spec.get("parallelism").and_then(Value::as_i64) else {
            return;
        };
        let tightest = pods
            .iter()
            .filter(|p| p.refusal.is_none())
            .flat_map(|p| p.holds.iter().map(move |h| (p, h)))
            .min_by_key(|(_, (_, n, _))| *n);
        let Some((pod, (quota, holds, why))) = tightest else {
            return;
        };
        if i128::from(parallelism) > *holds {
            let template = d
                .value
                .pointer(&format!("{}/name", pod.pointer))
                .and_then(Value::as_str)
                .unwrap_or("?");
            out.push(Hit::new(
                i,
                format!("{ptr}/parallelism"),
                format!(
                    "parallelism {parallelism} lets {} run {parallelism} pods at once, but {quota} in namespace `{}` holds {holds} of template `{template}` ({why}): the rest are refused by quota admission and retried; set parallelism to at most {}",
                    d.display(),
                    d.namespace(),
                    (*holds).max(1)
                ),
            ));
        }
    });
}
