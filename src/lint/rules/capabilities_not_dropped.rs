//! A container keeps Linux capabilities (drop ALL), or adds some.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "capabilities-not-dropped",
    family: Family::Workloads,
    severity: Severity::Error,
    summary: "A container keeps Linux capabilities (drop ALL), or adds some.",
    doc: "## What it does\nReports containers whose `capabilities.drop` does not contain `ALL`, or that add capabilities.\n\n## Why is this bad?\nDefault capabilities include NET_RAW and others an application never needs.\n\n## Example\n```yaml\nsecurityContext:\n  capabilities: {drop: [ALL]}\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.docs.iter().enumerate() {
        for k in containers(d) {
            let caps = k.security("capabilities");
            let drops_all = caps
                .and_then(|c| c.get("drop"))
                .and_then(Value::as_array)
                .is_some_and(|d| d.iter().any(|x| x == "ALL"));
            if !drops_all {
                out.push(Hit::new(
                    i,
                    k.pointer(),
                    format!("container `{}` does not drop ALL capabilities", k.name()),
                ));
            }
            if let Some(add) = caps
                .and_then(|c| c.get("add"))
                .and_then(Value::as_array)
                .filter(|a| !a.is_empty())
            {
                out.push(Hit::new(
                    i,
                    format!("{}/securityContext/capabilities/add", k.pointer()),
                    format!(
                        "container `{}` adds capabilities {}",
                        k.name(),
                        Value::Array(add.clone())
                    ),
                ));
            }
        }
    }
}
