//! `gitops-render plan ENV TENANT FILE...`: which workflows process each file, by the pack's
//! `workflows.byFileType` (first matching pattern, in the order written, wins), plus the
//! required workflows. Exits 1 when a file matches no pattern or needs a workflow the tenant
//! does not have — the same answer a publication gate gets from the `workflow-policy`
//! ConfigMap.

use std::fmt::Write as _;
use std::path::Path;

use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::diagnostic::Diagnostic;
use crate::resolve::{plan_for_file, WorkflowPolicy};

use super::{fail, output, Exit};

/// `--format json`, typed so its fields keep this order.
#[derive(Serialize)]
struct Report<'a> {
    environment: &'a str,
    tenant: &'a str,
    namespace: &'a str,
    files: Vec<FilePlan<'a>>,
    required: Vec<Workflow<'a>>,
    publishable: bool,
}

#[derive(Serialize)]
struct FilePlan<'a> {
    file: &'a str,
    /// `null` when no pattern matches.
    pattern: Option<&'a str>,
    workflows: Vec<Workflow<'a>>,
    missing: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Workflow<'a> {
    name: &'a str,
    workflow_template: Option<String>,
}

impl<'a> Workflow<'a> {
    fn of(policy: &WorkflowPolicy, name: &'a str) -> Self {
        Workflow {
            name,
            workflow_template: policy.workflow_templates.get(name).cloned(),
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Environment name.
    env: String,
    /// Tenant: team name or namespace.
    tenant: String,
    /// Files to plan (paths or names; patterns without `/` match the file name).
    #[arg(required = true)]
    files: Vec<String>,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub fn run(root: &Path, args: &PlanArgs) -> Exit {
    let (_inputs, plan, index) = match super::tenant_plan(root, &args.env, &args.tenant) {
        Ok(t) => t,
        Err(exit) => return exit,
    };
    let env = &plan.environments[0];
    let tenant = &env.tenants[index];
    let Some(policy) = &tenant.workflow_policy else {
        return fail(
            &Diagnostic::error(
                "no-workflows",
                format!(
                    "pack {}@{} defines no workflows",
                    env.pack_name, env.pack_version
                ),
            )
            .into(),
        );
    };
    let mut blocked = false;
    let mut rows = Vec::new();
    for file in &args.files {
        let rule = plan_for_file(policy, file);
        blocked |= rule.is_none_or(|r| !r.missing.is_empty());
        rows.push((file, rule));
    }
    let template = |w: &str| policy.workflow_templates.get(w).cloned();
    match args.format {
        Format::Json => {
            let doc = Report {
                environment: &env.name,
                tenant: &tenant.team,
                namespace: &tenant.namespace,
                files: rows
                    .iter()
                    .map(|&(file, rule)| FilePlan {
                        file,
                        pattern: rule.map(|r| r.pattern.as_str()),
                        workflows: rule
                            .map(|r| {
                                r.workflows
                                    .iter()
                                    .map(|w| Workflow::of(policy, w))
                                    .collect()
                            })
                            .unwrap_or_default(),
                        missing: rule.map(|r| r.missing.as_slice()).unwrap_or_default(),
                    })
                    .collect(),
                required: policy
                    .required
                    .iter()
                    .map(|w| Workflow::of(policy, w))
                    .collect(),
                publishable: !blocked,
            };
            output::out(&format!(
                "{}\n",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            ));
        }
        Format::Text => {
            let mut text = format!(
                "# {}/{} (namespace {}): first matching pattern wins\n",
                env.name, tenant.team, tenant.namespace
            );
            let width = rows.iter().map(|(f, _)| f.len()).max().unwrap_or(0);
            let describe = |w: &str| match template(w) {
                Some(t) => format!("{w} ({t})"),
                None => format!("{w} (MISSING in {})", tenant.namespace),
            };
            for (file, rule) in &rows {
                match rule {
                    Some(r) => {
                        let ws: Vec<String> = r.workflows.iter().map(|w| describe(w)).collect();
                        let _ =
                            writeln!(text, "{file:width$}  {:8} → {}", r.pattern, ws.join(", "));
                    }
                    None => {
                        let _ = writeln!(
                            text,
                            "{file:width$}  no pattern matches: no workflow would process it"
                        );
                    }
                }
            }
            let req: Vec<String> = policy.required.iter().map(|w| describe(w)).collect();
            let _ = writeln!(text, "required: {}", req.join(", "));
            output::out(&text);
        }
    }
    if blocked {
        output::err("not publishable: a file has no plan or needs a workflow the tenant lacks\n");
        Exit::Findings
    } else {
        Exit::Clean
    }
}
