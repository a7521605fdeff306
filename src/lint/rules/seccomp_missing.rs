//! A container has no RuntimeDefault (or Localhost) seccomp profile.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "seccomp-missing",
    family: Family::Workloads,
    severity: Severity::Warning,
    summary: "A container has no RuntimeDefault (or Localhost) seccomp profile.",
    doc: "## What it does\nReports containers without `seccompProfile.type` RuntimeDefault or Localhost at container or pod level.\n\n## Why is this bad?\nWithout seccomp every syscall is available to the container.\n\n## Example\n```yaml\nsecurityContext:\n  seccompProfile: {type: RuntimeDefault}\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.docs.iter().enumerate() {
        for k in containers(d) {
            let t = k
                .security("seccompProfile")
                .and_then(|s| s.get("type"))
                .and_then(Value::as_str);
            if !matches!(t, Some("RuntimeDefault" | "Localhost")) {
                out.push(Hit::new(
                    i,
                    k.pointer(),
                    format!(
                        "container `{}` has no RuntimeDefault seccomp profile",
                        k.name()
                    ),
                ));
            }
        }
    }
}
