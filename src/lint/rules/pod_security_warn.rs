//! Pod Security admission's `warn` and `audit` levels, offline: a pod admitted under the
//! enforced level that breaks the stricter level the Namespace warns or audits at.

use super::pod_security_enforce::{describe, executor, judge, POD_FIELDS};
use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "pod-security-warn",
    family: Family::Admission,
    severity: Severity::Warning,
    summary: "A pod is admitted, but breaks the stricter Pod Security level its Namespace warns or audits at.",
    doc: "## What it does\nLike `pod-security-enforce`, for the level a Namespace sets in `pod-security.kubernetes.io/warn` or `audit` when it is stricter than `enforce`: reports the controls of that level a pod breaks (those of the enforced level are `pod-security-enforce`'s). On a WorkflowTemplate the render stamped with a pack's declared exception (`gitops-render.dev/pod-security-exception`), the relaxations the pack granted are not repeated here: the notes of `pod-security-exception` and the container rules show them.\n\n## Why is this bad?\nEvery apply prints a warning and the audit log records a violation: the namespace is on its way to a stricter level these pods will not pass.\n\n## Example\n```yaml\nmetadata:\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n    pod-security.kubernetes.io/warn: restricted\n```",
    scope: Scope::Corpus(POD_FIELDS),
    check,
};

/// The controls a declared relaxation covers.
fn relaxed(control: &str, granted: &str) -> bool {
    let relaxation = match control {
        "privilege escalation" => "allowPrivilegeEscalation",
        "capabilities" => "defaultCapabilities",
        _ => return false,
    };
    granted.split(',').any(|g| g.trim() == relaxation)
}

fn check(c: &Corpus, config: &LintConfig, out: &mut Vec<Hit>) {
    let levels = super::pod_security_enforce::levels(c);
    judge(
        c,
        &levels,
        executor(config),
        |enforce, warn| warn.filter(|w| Some(*w) > enforce),
        |i, pointer, ns, level, found| {
            let enforced = levels.get(ns).and_then(|(e, _)| *e);
            let granted = c.docs[i]
                .annotation(crate::lint::EXCEPTION_ANNOTATION)
                .unwrap_or_default();
            let found: Vec<_> = found
                .into_iter()
                .filter(|v| Some(v.level) > enforced)
                .filter(|v| !relaxed(v.control, granted))
                .collect();
            if found.is_empty() {
                return;
            }
            out.push(Hit::new(
                i,
                pointer,
                format!(
                    "admitted with a warning: namespace `{ns}` warns at `{}`: {}",
                    level.as_str(),
                    describe(&found)
                ),
            ))
        },
    );
}
