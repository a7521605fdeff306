//! Tenant namespaces enforce a Pod Security Standard.

use super::namespace_missing_labels::is_system;
use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "namespace-pod-security",
    family: Family::Tenancy,
    severity: Severity::Warning,
    summary: "A tenant Namespace does not enforce the `restricted` Pod Security Standard.",
    doc: "## What it does\nReports tenant namespaces without `pod-security.kubernetes.io/enforce: restricted`.\n\n## Why is this bad?\nWithout admission enforcement, one privileged pod manifest is enough to escape to the node.\n\n## Example\n```yaml\nmetadata:\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.of_kind(&["Namespace"]) {
        if is_system(d.name()) || super::pod_security_exception::declared(d) {
            continue;
        }
        match d.label("pod-security.kubernetes.io/enforce") {
            Some("restricted") => {}
            Some(other) => out.push(Hit::new(
                i,
                "/metadata/labels/pod-security.kubernetes.io~1enforce",
                format!(
                    "namespace `{}` enforces `{other}`, not `restricted`",
                    d.name()
                ),
            )),
            None => out.push(Hit::new(
                i,
                "/metadata",
                format!("namespace `{}` enforces no Pod Security Standard", d.name()),
            )),
        }
    }
}
