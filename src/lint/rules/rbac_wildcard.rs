//! RBAC rules name what they grant.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "rbac-wildcard",
    family: Family::Rbac,
    severity: Severity::Error,
    summary: "A Role or ClusterRole grants `*` verbs, resources or apiGroups.",
    doc: "## What it does\nReports RBAC rules with `*` in `verbs`, `resources` or `apiGroups`.\n\n## Why is this bad?\nA wildcard grants today's and tomorrow's resources, including Secrets and anything a CRD adds.\n\n## Example\n```yaml\nrules:\n- apiGroups: [\"*\"]\n  resources: [\"*\"]\n  verbs: [\"*\"]\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d, r, rule) in rbac_rules(c) {
        for key in ["verbs", "resources", "apiGroups"] {
            if rule[key].as_array().into_iter().flatten().any(|v| v == "*") {
                out.push(Hit::new(
                    i,
                    format!("/rules/{r}/{key}"),
                    format!("{} grants `*` {key}", d.display()),
                ));
            }
        }
    }
}
