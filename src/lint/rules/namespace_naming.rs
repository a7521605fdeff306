//! Namespace names follow the naming rule.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "namespace-naming",
    family: Family::Tenancy,
    severity: Severity::Warning,
    summary: "A tenant namespace is not named `{team}-{environment}` after its labels.",
    doc: "## What it does\nReports Namespaces labelled with `team` and `environment` whose name is not `<team>-<environment>` (the default naming rule). Namespaces rendered with an explicit `namespace:` override carry the annotation `gitops-render.dev/ignore: namespace-naming`.\n\n## Why is this bad?\nPeople and automation find a team's namespace by the rule; an exception breaks both.\n\n## Example\n```yaml\nmetadata:\n  name: datateam\n  labels: {team: data, environment: prod}\n```",
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.of_kind(&["Namespace"]) {
        if let (Some(team), Some(env)) = (d.label("team"), d.label("environment")) {
            let expected = format!("{team}-{env}");
            if d.name() != expected {
                out.push(Hit::new(
                    i,
                    "/metadata/name",
                    format!(
                        "namespace `{}` should be named `{expected}` by the naming rule",
                        d.name()
                    ),
                ));
            }
        }
    }
}
