//! A workflow sets neither podGC nor ttlStrategy.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "workflow-missing-gc",
    family: Family::Workflows,
    severity: Severity::Warning,
    summary: "A workflow sets neither podGC nor ttlStrategy.",
    doc: "## What it does\nReports workflow specs without `podGC` and without `ttlStrategy`.\n\n## Why is this bad?\nCompleted pods and workflows pile up in etcd and count against the quota.\n\n## Example\n```yaml\npodGC: {strategy: OnPodCompletion}\nttlStrategy: {secondsAfterSuccess: 3600}\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.docs.iter().enumerate() {
        let Some((ptr, spec)) = workflow_spec(d) else {
            continue;
        };
        if spec.get("podGC").is_none() || spec.get("ttlStrategy").is_none() {
            out.push(Hit::new(
                i,
                ptr,
                format!("{} needs podGC and ttlStrategy", d.display()),
            ));
        }
    }
}
