//! A container has a writable root file system.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "writable-root-filesystem",
    family: Family::Workloads,
    severity: Severity::Error,
    summary: "A container has a writable root file system.",
    doc: "## What it does\nReports containers without `securityContext.readOnlyRootFilesystem: true`.\n\n## Why is this bad?\nA writable root lets an attacker drop tools and persist; mount an emptyDir where the program needs to write.\n\n## Example\n```yaml\nsecurityContext:\n  readOnlyRootFilesystem: true\nvolumeMounts:\n- {name: tmp, mountPath: /tmp}\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.docs.iter().enumerate() {
        for k in containers(d) {
            if k.security("readOnlyRootFilesystem") != Some(&Value::Bool(true)) {
                out.push(Hit::new(
                    i,
                    k.pointer(),
                    format!("container `{}` has a writable root file system", k.name()),
                ));
            }
        }
    }
}
