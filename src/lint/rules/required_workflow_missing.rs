//! Required workflows exist in every tenant namespace.

use hashbrown::{HashMap, HashSet};

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "required-workflow-missing",
    family: Family::Argo,
    severity: Severity::Error,
    summary: "A tenant namespace lacks a workflow its policy requires.",
    doc: "## What it does\nFor namespaces with a `workflow-policy` ConfigMap, checks that every required workflow's WorkflowTemplate is in the namespace; with a pack (inside an estate or from `render`), checks the pack's `required` workflows in every tenant namespace of the environment.\n\n## Why is this bad?\nThe platform relies on them (publication gates, data transfer); their absence breaks it for that tenant only, which is the hardest kind of bug to notice.\n\n## Example\n```yaml\n# workflow-policy says required: [file-transfer] but no WorkflowTemplate file-transfer-v1\n```",
    scope: Scope::Corpus(&[
        ("ConfigMap", "/data/policy.json"),
        ("WorkflowTemplate", "/metadata/labels/workflows.gitops-render.dev~1name"),
        // The labels `environment` reads, not the whole map (which names each tenant).
        ("Namespace", "/metadata/labels/gitops-render.dev~1environment"),
        ("Namespace", "/metadata/labels/environment"),
    ]),
    check,
};

/// WorkflowTemplates by namespace: their names and their catalog names. Hashed by
/// hashbrown's default hasher (foldhash, seeded per process) rather than SipHash: there are
/// ~400,000 of them at N = 10,000 in four environments.
struct Present<'a>(HashSet<(&'a str, &'a str)>);

impl<'a> Present<'a> {
    fn new(c: &'a Corpus) -> Self {
        let mut set = HashSet::new();
        for (_, w) in c.of_kind(&["WorkflowTemplate"]) {
            set.insert((w.namespace(), w.name()));
            if let Some(n) = w.label("workflows.gitops-render.dev/name") {
                set.insert((w.namespace(), n));
            }
        }
        Present(set)
    }

    fn has(&self, ns: &str, name: &str, template: Option<&str>) -> bool {
        self.0.contains(&(ns, name)) || template.is_some_and(|t| self.0.contains(&(ns, t)))
    }
}

fn check(c: &Corpus, cfg: &LintConfig, out: &mut Vec<Hit>) {
    let present = Present::new(c);
    // Each distinct policy text is read once: the tenants of a tier share theirs.
    let mut read: HashMap<&str, Option<Value>> = HashMap::new();
    for (i, d) in c
        .of_kind(&["ConfigMap"])
        .filter(|(_, d)| d.name() == "workflow-policy")
    {
        let Some(text) = d.value.pointer("/data/policy.json").and_then(Value::as_str) else {
            continue;
        };
        let Some(policy) = read
            .entry(text)
            .or_insert_with(|| serde_json::from_str::<Value>(text).ok())
        else {
            continue;
        };
        for name in policy["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            let template = policy["workflowTemplates"][name].as_str();
            if !present.has(d.namespace(), name, template) {
                out.push(Hit::new(i, "/data", format!("namespace `{}` requires workflow `{name}` but has no WorkflowTemplate for it", d.namespace())));
            }
        }
    }
    for (i, d) in c.of_kind(&["Namespace"]) {
        let Some(required) = environment(d).and_then(|e| cfg.required_workflows.get(e)) else {
            continue;
        };
        for name in required {
            if !present.has(d.name(), name, None) {
                out.push(Hit::new(
                    i,
                    "/metadata/name",
                    format!(
                        "namespace `{}` lacks the required workflow `{name}`",
                        d.name()
                    ),
                ));
            }
        }
    }
}
