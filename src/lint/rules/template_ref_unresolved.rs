//! Workflow template references resolve.

use hashbrown::HashMap;

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "template-ref-unresolved",
    family: Family::Argo,
    severity: Severity::Error,
    summary: "A templateRef or template reference does not resolve, or misses a required parameter.",
    doc: "## What it does\nFor every step and DAG task: `template:` must name a template of the same workflow; `templateRef` must name a WorkflowTemplate in the same namespace (ClusterWorkflowTemplate with `clusterScope: true`) that is in the linted set, a template inside it, and pass every input parameter that template requires (no `value` or `default`).\n\n## Why is this bad?\nArgo only finds out when the workflow runs — often at night, in production.\n\n## Example\n```yaml\nsteps:\n- - name: build\n    templateRef: {name: build-docker-image-v1, template: main}\n```",
    scope: Scope::Corpus(WORKFLOW_CALLS),
    check,
};

/// What calls between templates are made of: template names and inputs, steps and DAG
/// tasks, in each workflow kind's spec.
const WORKFLOW_CALLS: &[(&str, &str)] = &[
    ("Workflow", "/spec/templates/*/name"),
    ("Workflow", "/spec/templates/*/inputs/parameters"),
    ("Workflow", "/spec/templates/*/steps"),
    ("Workflow", "/spec/templates/*/dag/tasks"),
    ("WorkflowTemplate", "/spec/templates/*/name"),
    ("WorkflowTemplate", "/spec/templates/*/inputs/parameters"),
    ("WorkflowTemplate", "/spec/templates/*/steps"),
    ("WorkflowTemplate", "/spec/templates/*/dag/tasks"),
    ("ClusterWorkflowTemplate", "/spec/templates/*/name"),
    (
        "ClusterWorkflowTemplate",
        "/spec/templates/*/inputs/parameters",
    ),
    ("ClusterWorkflowTemplate", "/spec/templates/*/steps"),
    ("ClusterWorkflowTemplate", "/spec/templates/*/dag/tasks"),
    ("CronWorkflow", "/spec/workflowSpec/templates/*/name"),
    (
        "CronWorkflow",
        "/spec/workflowSpec/templates/*/inputs/parameters",
    ),
    ("CronWorkflow", "/spec/workflowSpec/templates/*/steps"),
    ("CronWorkflow", "/spec/workflowSpec/templates/*/dag/tasks"),
];

fn required_params(t: &Value) -> Vec<&str> {
    t.pointer("/inputs/parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|p| p.get("value").is_none() && p.get("default").is_none())
        .filter_map(|p| p["name"].as_str())
        .collect()
}

fn find_template<'a>(spec: &'a Value, name: &str) -> Option<&'a Value> {
    spec["templates"]
        .as_array()?
        .iter()
        .find(|t| t["name"] == name)
}

/// A call in a template: a step (group, step) or a DAG task.
#[derive(Clone, Copy)]
enum Call {
    Step(usize, usize),
    Task(usize),
}

impl Call {
    /// Its pointer in the document whose workflow spec is at `spec`, in template `t`.
    fn pointer(self, spec: &str, t: usize) -> String {
        match self {
            Call::Step(g, s) => format!("{spec}/templates/{t}/steps/{g}/{s}"),
            Call::Task(k) => format!("{spec}/templates/{t}/dag/tasks/{k}"),
        }
    }
}

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    let mut index: HashMap<(&str, &str, bool), &Value> = HashMap::new();
    for (_, d) in c.of_kind(&["WorkflowTemplate", "ClusterWorkflowTemplate"]) {
        index.insert(
            (
                d.namespace(),
                d.name(),
                d.kind() == "ClusterWorkflowTemplate",
            ),
            &d.value["spec"],
        );
    }
    // A value's calls, and where those to its own templates lead, are read once per pruned
    // value of a kind, as the admission rules size pods (at N = 10,000 in four environments
    // there are hundreds of thousands of WorkflowTemplates, copies of a few dozen: the
    // values a stream prunes are interned, and one address is one value while the corpus
    // holds them); a templateRef is resolved in each document's own namespace.
    let kinds = c.kinds_index();
    let mut seen: HashMap<(*const Value, usize), Vec<CallOf>> = HashMap::new();
    for (i, d) in c.of_kind(WORKFLOW_KINDS) {
        let Some((ptr, spec)) = workflow_spec(d) else {
            continue;
        };
        let calls = seen
            .entry((std::sync::Arc::as_ptr(&d.value), kinds.number(i)))
            .or_insert_with(|| calls_of(spec));
        for call in calls.iter() {
            judge(d, i, ptr, call, &index, out);
        }
    }
}

/// A call of one template of a workflow spec to another.
struct CallOf<'v> {
    /// The calling template's index, and the call's place in it.
    template: usize,
    at: Call,
    /// The parameters the call passes.
    given: Vec<&'v str>,
    to: To<'v>,
}

/// What a call names; shown in messages as `template.entry` by reference, else the
/// workflow's own template.
enum To<'v> {
    /// A `templateRef`: the WorkflowTemplate (cluster-scoped or not) and its template.
    Ref {
        name: &'v str,
        cluster: bool,
        template: &'v str,
    },
    /// A template of its own spec, found or not there.
    Own {
        template: &'v str,
        found: Option<&'v Value>,
    },
}

impl std::fmt::Display for To<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            To::Ref { name, template, .. } => write!(f, "{name}.{template}"),
            To::Own { template, .. } => f.write_str(template),
        }
    }
}

/// The calls of every template of `spec`, each to a template: steps, then DAG tasks.
fn calls_of(spec: &Value) -> Vec<CallOf<'_>> {
    let mut calls = Vec::new();
    for (t, tmpl) in spec["templates"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let steps = tmpl["steps"].as_array().into_iter().flatten().enumerate();
        let steps = steps.flat_map(|(g, group)| {
            let calls = group.as_array().into_iter().flatten().enumerate();
            calls.map(move |(s, step)| (Call::Step(g, s), step))
        });
        let tasks = tmpl
            .pointer("/dag/tasks")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(k, task)| (Call::Task(k), task));
        for (at, call) in steps.chain(tasks) {
            let to = if let Some(r) = call.get("templateRef") {
                To::Ref {
                    name: r["name"].as_str().unwrap_or_default(),
                    cluster: r["clusterScope"] == true,
                    template: r["template"].as_str().unwrap_or_default(),
                }
            } else if let Some(template) = call.get("template").and_then(Value::as_str) {
                To::Own {
                    template,
                    found: find_template(spec, template),
                }
            } else {
                continue;
            };
            let given = call
                .pointer("/arguments/parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|p| p["name"].as_str())
                .collect();
            calls.push(CallOf {
                template: t,
                at,
                given,
                to,
            });
        }
    }
    calls
}

/// Document `i`'s (`d`) call: its target resolves, and gets every parameter it requires.
/// Pointers are spelled out only for a call that is reported.
fn judge(
    d: &Document,
    i: usize,
    ptr: &str,
    call: &CallOf<'_>,
    index: &HashMap<(&str, &str, bool), &Value>,
    out: &mut Vec<Hit>,
) {
    let at = || call.at.pointer(ptr, call.template);
    let target = match call.to {
        To::Ref {
            name,
            cluster,
            template,
        } => {
            let ns = if cluster { "" } else { d.namespace() };
            let Some(target_spec) = index.get(&(ns, name, cluster)) else {
                let kind = if cluster {
                    "ClusterWorkflowTemplate"
                } else {
                    "WorkflowTemplate"
                };
                out.push(Hit::new(
                    i,
                    format!("{}/templateRef/name", at()),
                    format!(
                        "{}: {kind} `{name}` is not in the linted set{}",
                        d.display(),
                        if cluster {
                            String::new()
                        } else {
                            format!(" (namespace `{}`)", d.namespace())
                        }
                    ),
                ));
                return;
            };
            let Some(found) = find_template(target_spec, template) else {
                out.push(Hit::new(
                    i,
                    format!("{}/templateRef/template", at()),
                    format!("{}: `{name}` has no template `{template}`", d.display()),
                ));
                return;
            };
            found
        }
        To::Own { template, found } => {
            let Some(found) = found else {
                out.push(Hit::new(
                    i,
                    format!("{}/template", at()),
                    format!("{}: no template `{template}` in this workflow", d.display()),
                ));
                return;
            };
            found
        }
    };
    for p in required_params(target) {
        if !call.given.contains(&p) {
            out.push(Hit::new(
                i,
                at(),
                format!(
                    "{}: `{}` needs parameter `{p}`, which is not passed",
                    d.display(),
                    call.to
                ),
            ));
        }
    }
}
