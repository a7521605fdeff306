//! Sidecar injection in a namespace that enforces a Pod Security level: the injected
//! `istio-init` container needs NET_ADMIN and NET_RAW, which `baseline` and `restricted`
//! forbid, so every injected pod is refused unless the Istio CNI plugin replaces istio-init.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "istio-needs-cni",
    family: Family::Tenancy,
    severity: Severity::Note,
    summary: "A Namespace with Istio sidecar injection enforces `baseline` or `restricted`: the cluster needs the Istio CNI plugin.",
    doc: "## What it does\nReports, as a note, Namespaces labelled `istio-injection: enabled` (or `istio.io/rev`) whose `pod-security.kubernetes.io/enforce` is `baseline` or `restricted`.\n\n## Why is this bad?\nWithout the Istio CNI plugin, injection adds an `istio-init` container that needs the NET_ADMIN and NET_RAW capabilities; both levels forbid them, so Pod Security admission refuses every injected pod. With the CNI plugin (`istioctl install --set components.cni.enabled=true`) there is no istio-init and the pods are admitted. Nothing in the tree can show which one the cluster runs, so this is a note to check once per cluster.\n\n## Example\n```yaml\nmetadata:\n  labels:\n    istio-injection: enabled\n    pod-security.kubernetes.io/enforce: restricted\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.of_kind(&["Namespace"]) {
        let injected =
            d.label("istio-injection") == Some("enabled") || d.label("istio.io/rev").is_some();
        let level = d.label("pod-security.kubernetes.io/enforce");
        if let (true, Some(level @ ("baseline" | "restricted"))) = (injected, level) {
            out.push(Hit::new(
                i,
                "/metadata/labels",
                format!(
                    "namespace `{}` injects Istio sidecars and enforces `{level}`: its pods are admitted only if the cluster runs the Istio CNI plugin (istio-init needs NET_ADMIN and NET_RAW)",
                    d.name()
                ),
            ));
        }
    }
}
