//! Pod specs name their ServiceAccount with `serviceAccountName`.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "deprecated-service-account-field",
    family: Family::Workloads,
    severity: Severity::Warning,
    summary: "A pod spec uses the deprecated `serviceAccount` field.",
    doc: "## What it does\nReports pod specs that set `serviceAccount`, the deprecated alias of `serviceAccountName`.\n\n## Why is this bad?\nThe alias is kept only for old clients. When both are set and differ, `serviceAccountName` wins, so the field a reviewer reads may not be the identity the pod gets; tools that read only `serviceAccountName` (this one's rules included) miss the alias.\n\n## Example\n```yaml\nspec:\n  serviceAccount: deployer\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.docs.iter().enumerate() {
        if let Some((ptr, spec)) = pod_spec(d) {
            if let Some(sa) = spec.get("serviceAccount").and_then(Value::as_str) {
                let also = match spec.get("serviceAccountName").and_then(Value::as_str) {
                    Some(name) if name != sa => {
                        format!(" (and `serviceAccountName: {name}`, which wins)")
                    }
                    _ => String::new(),
                };
                out.push(Hit::new(
                    i,
                    format!("{ptr}/serviceAccount"),
                    format!("{} sets the deprecated `serviceAccount: {sa}`{also}; use `serviceAccountName`", d.display()),
                ));
            }
        }
    }
}
