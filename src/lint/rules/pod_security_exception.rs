//! A tenant Namespace enforces less than `restricted` because the pack declared an exception
//! for a workflow it runs: reported as a note, so the exception stays visible in every lint.

use super::prelude::*;

pub const ANNOTATION: &str = "gitops-render.dev/pod-security-exceptions";

pub static RULE: Rule = Rule {
    id: "pod-security-exception",
    family: Family::Tenancy,
    severity: Severity::Note,
    summary: "A tenant Namespace enforces `baseline` for workflows the pack declares a Pod Security exception for.",
    doc: "## What it does\nReports, as a note, Namespaces that carry `gitops-render.dev/pod-security-exceptions` and enforce `baseline` while warning and auditing at `restricted`: the pack declared that a workflow of the tenant (an image build) cannot run under `restricted`.\n\n## Why is this bad?\nIt is not by itself: an exception lowers what admission enforces for every pod of the namespace. It is deliberate, so it is not a warning, but a reviewer should see it on every run. Pods that need it still produce `restricted` warnings from the API server (the `warn` label).\n\n## Example\n```yaml\nmetadata:\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n    pod-security.kubernetes.io/warn: restricted\n    pod-security.kubernetes.io/audit: restricted\n  annotations:\n    gitops-render.dev/pod-security-exceptions: build-docker-image\n```",
    scope: Scope::Object,
    check,
};

/// Does `d` carry a declared exception in the shape the render writes (enforce `baseline`,
/// warn and audit `restricted`)? Anything else is judged by `namespace-pod-security`.
pub fn declared(d: &Document) -> bool {
    d.annotation(ANNOTATION)
        .is_some_and(|w| !w.trim().is_empty())
        && d.label("pod-security.kubernetes.io/enforce") == Some("baseline")
        && d.label("pod-security.kubernetes.io/warn") == Some("restricted")
        && d.label("pod-security.kubernetes.io/audit") == Some("restricted")
}

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.of_kind(&["Namespace"]) {
        if !declared(d) {
            continue;
        }
        out.push(Hit::new(
            i,
            "/metadata/labels/pod-security.kubernetes.io~1enforce",
            format!(
                "namespace `{}` enforces `baseline` (warn and audit `restricted`) for the pack's exception for {}",
                d.name(),
                d.annotation(ANNOTATION).unwrap_or_default()
            ),
        ));
    }
}
