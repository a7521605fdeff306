//! A controller's selector matches its own pod template.

use crate::manifest::labels::{map_selects, own_selector, selects};

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "selector-template-mismatch",
    family: Family::Workloads,
    severity: Severity::Error,
    summary: "A Deployment, StatefulSet, DaemonSet, ReplicaSet or ReplicationController selector does not match its template's labels.",
    doc: "## What it does\nMatches each controller's `spec.selector` (`matchLabels` and `matchExpressions`) against its own `spec.template.metadata.labels`.\n\n## Why is this bad?\nThe API server refuses the object (`selector does not match template labels`). The selector is also immutable: fixing it later means deleting the controller.\n\n## Example\n```yaml\nselector: {matchLabels: {app: web}}\ntemplate:\n  metadata: {labels: {app: website}}\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.docs.iter().enumerate() {
        let Some((ptr, selector, labels)) = own_selector(d.kind(), &d.value) else {
            continue;
        };
        let matched = if d.kind() == "ReplicationController" {
            selector.as_object().map(|m| map_selects(m, &labels))
        } else {
            selects(selector, &labels)
        };
        if matched == Some(false) {
            out.push(Hit::new(
                i,
                ptr,
                format!("{}: the selector does not match the template's labels; the API server refuses it", d.display()),
            ));
        }
    }
}
