//! No hostPath volumes.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "host-path-volume",
    family: Family::Workloads,
    severity: Severity::Error,
    summary: "A pod mounts a hostPath volume.",
    doc: "## What it does\nReports volumes of type `hostPath` in pod specs, workflow specs and workflow templates.\n\n## Why is this bad?\nA hostPath mount reads or writes the node's file system: container runtime sockets, kubelet credentials, other pods' data.\n\n## Example\n```yaml\nvolumes:\n- name: docker\n  hostPath: {path: /var/run/docker.sock}\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.docs.iter().enumerate() {
        for (ptr, spec) in pods(d) {
            let mut lists = vec![(format!("{ptr}/volumes"), spec.get("volumes"))];
            for (t, tmpl) in spec
                .get("templates")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                lists.push((format!("{ptr}/templates/{t}/volumes"), tmpl.get("volumes")));
            }
            for (lptr, list) in lists {
                for (v, vol) in list
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    if vol.get("hostPath").is_some() {
                        let name = vol["name"].as_str().unwrap_or("?");
                        out.push(Hit::new(
                            i,
                            format!("{lptr}/{v}/hostPath"),
                            format!("{} mounts hostPath volume `{name}`", d.display()),
                        ));
                    }
                }
            }
        }
    }
}
