//! A workflow has no retryStrategy with backoff.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "workflow-missing-retry",
    family: Family::Workflows,
    severity: Severity::Warning,
    summary: "A workflow has no retryStrategy with backoff.",
    doc: "## What it does\nReports workflow specs without `retryStrategy` (with `limit` and `backoff`) at workflow level or on every template.\n\n## Why is this bad?\nTransient failures (a node drained, a registry hiccup) fail the whole workflow; retries without backoff hammer what is already failing.\n\n## Example\n```yaml\nretryStrategy:\n  limit: 3\n  retryPolicy: OnFailure\n  backoff: {duration: 30s, factor: 2, maxDuration: 10m}\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.docs.iter().enumerate() {
        let Some((ptr, spec)) = workflow_spec(d) else {
            continue;
        };
        let rs = spec.get("retryStrategy");
        if rs.is_none() {
            out.push(Hit::new(
                i,
                ptr,
                format!("{} has no retryStrategy", d.display()),
            ));
        } else if rs.and_then(|r| r.get("backoff")).is_none() {
            out.push(Hit::new(
                i,
                format!("{ptr}/retryStrategy"),
                format!("{} retries without backoff", d.display()),
            ));
        }
    }
}
