//! Pods set only the sysctls that are isolated from the node.

use crate::manifest::pod_security::SAFE_SYSCTLS;

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "unsafe-sysctls",
    family: Family::Workloads,
    severity: Severity::Error,
    summary: "A pod sets a sysctl outside the safe set.",
    doc: "## What it does\nReports `securityContext.sysctls` of pod specs, workflow specs and workflow templates that are not in the Pod Security Standards' safe set (`kernel.shm_rmid_forced`, `net.ipv4.ip_local_port_range`, `net.ipv4.tcp_syncookies`, …).\n\n## Why is this bad?\nAn unsafe sysctl reaches the node's kernel or other pods sharing it. The kubelet refuses such pods unless the node allows them (`--allowed-unsafe-sysctls`), so the pod fails with `SysctlForbidden` — and where a node allows them, one tenant tunes the kernel for all.\n\n## Example\n```yaml\nsecurityContext:\n  sysctls:\n  - {name: net.core.somaxconn, value: \"1024\"}\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.docs.iter().enumerate() {
        for (ptr, spec) in pods(d) {
            let mut holders = vec![(
                format!("{ptr}/securityContext"),
                spec.get("securityContext"),
            )];
            for (t, tmpl) in workflow_templates(spec) {
                holders.push((
                    format!("{ptr}/templates/{t}/securityContext"),
                    tmpl.get("securityContext"),
                ));
            }
            for (at, sc) in holders {
                let list = sc.and_then(|s| s.get("sysctls")).and_then(Value::as_array);
                for (k, s) in list.into_iter().flatten().enumerate() {
                    let name = s.get("name").and_then(Value::as_str).unwrap_or("");
                    if !SAFE_SYSCTLS.contains(&name) {
                        out.push(Hit::new(
                            i,
                            format!("{at}/sysctls/{k}"),
                            format!("{} sets unsafe sysctl `{name}`: the kubelet refuses the pod unless the node allows it", d.display()),
                        ));
                    }
                }
            }
        }
    }
}
