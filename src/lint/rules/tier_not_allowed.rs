//! A namespace's tier is allowed in its environment.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "tier-not-allowed",
    family: Family::Tenancy,
    severity: Severity::Error,
    summary: "A Namespace's tier label names a tier the pack does not allow in its environment.",
    doc: "## What it does\nChecks the `tier` label of each Namespace against the pack's `environments.<env>.allowedTiers` (known when lint runs inside an estate or from `render`).\n\n## Why is this bad?\nA micro tier in production is an outage waiting for load.\n\n## Example\n```yaml\nmetadata:\n  name: data-prod\n  labels: {environment: prod, tier: micro}\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, cfg: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.of_kind(&["Namespace"]) {
        let (Some(env), Some(tier)) = (d.label("environment"), d.label("tier")) else {
            continue;
        };
        if let Some(allowed) = cfg.allowed_tiers.get(env) {
            if !allowed.iter().any(|t| t == tier) {
                out.push(Hit::new(
                    i,
                    "/metadata/labels/tier",
                    format!(
                        "tier `{tier}` is not allowed in `{env}` (allowed: {})",
                        allowed.join(", ")
                    ),
                ));
            }
        }
    }
}
