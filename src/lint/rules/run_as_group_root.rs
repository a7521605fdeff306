//! Containers do not run with the root group.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "run-as-group-root",
    family: Family::Workloads,
    severity: Severity::Warning,
    summary: "A container runs with group 0 (`runAsGroup: 0`).",
    doc: "## What it does\nReports containers whose `runAsGroup` (their own, or the pod's they inherit) is 0.\n\n## Why is this bad?\nGroup 0 owns much of a container image's file system and of the host's: a process that escapes the container with group root reads and writes what root's group can. `runAsNonRoot` does not look at the group.\n\n## Example\n```yaml\nsecurityContext:\n  runAsUser: 1000\n  runAsGroup: 0\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.docs.iter().enumerate() {
        for ctr in containers(d) {
            if ctr.security("runAsGroup").and_then(Value::as_i64) == Some(0) {
                out.push(Hit::new(
                    i,
                    ctr.pointer(),
                    format!(
                        "container `{}` runs with group 0 (runAsGroup: 0)",
                        ctr.name()
                    ),
                ));
            }
        }
    }
}
