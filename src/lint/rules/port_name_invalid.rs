//! Container port names are what the API server accepts.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "port-name-invalid",
    family: Family::Workloads,
    severity: Severity::Error,
    summary: "A container port name is longer than 15 characters or not an IANA service name.",
    doc: "## What it does\nChecks every container's `ports[].name` as the API server does (IANA_SVC_NAME): at most 15 characters, lowercase letters, digits and `-`, at least one letter, no `-` at either end and no `--`.\n\n## Why is this bad?\nThe API server refuses the object (`must be no more than 15 characters`); Helm and kubeconform schemas do not check it, so it fails at sync.\n\n## Example\n```yaml\nports:\n- {name: prometheus-metrics, containerPort: 9090}   # 18 characters\n```",
    scope: Scope::Object,
    check,
};

/// Why `name` is not an IANA service name, or `None`.
pub fn invalid(name: &str) -> Option<&'static str> {
    if name.len() > 15 {
        Some("is longer than 15 characters")
    } else if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        Some("has characters other than lowercase letters, digits and `-`")
    } else if !name.bytes().any(|b| b.is_ascii_lowercase()) {
        Some("has no letter")
    } else if name.starts_with('-') || name.ends_with('-') || name.contains("--") {
        Some("starts or ends with `-`, or has `--`")
    } else {
        None
    }
}

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.docs.iter().enumerate() {
        for ctr in containers(d) {
            let ports = ctr.value.get("ports").and_then(Value::as_array);
            for (p, port) in ports.into_iter().flatten().enumerate() {
                let Some(name) = port.get("name").and_then(Value::as_str) else {
                    continue;
                };
                if let Some(why) = invalid(name) {
                    out.push(Hit::new(
                        i,
                        format!("{}/ports/{p}/name", ctr.pointer()),
                        format!(
                            "container `{}` port name `{name}` {why}: the API server refuses it",
                            ctr.name()
                        ),
                    ));
                }
            }
        }
    }
}
