//! Namespace names follow the naming rule.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "namespace-naming",
    family: Family::Tenancy,
    severity: Severity::Warning,
    summary: "A tenant namespace is not named by the naming rule after its team and environment labels.",
    doc: "## What it does\nReports Namespaces labelled with `team` and `environment` whose name is not what the naming rule gives: the pack's `naming.namespace` inside an estate, else `{team}-{environment}`. Namespaces a tenant names explicitly (`namespace:`) are rendered with the annotation `gitops-render.dev/ignore: namespace-naming`.\n\n## Why is this bad?\nPeople and automation find a team's namespace by the rule; an exception breaks both.\n\n## Example\n```yaml\nmetadata:\n  name: datateam\n  labels: {team: data, environment: prod}\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, cfg: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.of_kind(&["Namespace"]) {
        if let (Some(team), Some(env)) = (d.label("team"), d.label("environment")) {
            let rule = cfg
                .naming
                .get(env)
                .map_or("{team}-{environment}", String::as_str);
            let Ok(expected) = crate::resolve::expand_naming(rule, team, env) else {
                continue;
            };
            if d.name() != expected {
                out.push(Hit::new(
                    i,
                    "/metadata/name",
                    format!(
                        "namespace `{}` should be named `{expected}` by the naming rule `{rule}`",
                        d.name()
                    ),
                ));
            }
        }
    }
}
