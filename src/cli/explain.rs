//! `gitops-render explain ENV TENANT [FIELD]`.

use std::path::Path;

use clap::Args;

use crate::diagnostic::{did_you_mean, Diagnostic};
use crate::explain;

use super::{fail, output, Exit};

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Environment name.
    env: String,
    /// Tenant: team name or namespace.
    tenant: String,
    /// Show only this field and what is below it (e.g. `tenant.tier`, `tiers.large.cpu`).
    field: Option<String>,
}

pub fn run(root: &Path, args: &ExplainArgs) -> Exit {
    let (inputs, plan, index) = match super::tenant_plan(root, &args.env, &args.tenant) {
        Ok(t) => t,
        Err(exit) => return exit,
    };
    let env = &plan.environments[0];
    let tenant = &env.tenants[index];
    let mut entries = explain::explain(&inputs, env, tenant);
    if let Some(field) = &args.field {
        let all_paths: Vec<String> = entries.iter().map(|e| e.path.clone()).collect();
        entries = explain::filter(entries, field);
        if entries.is_empty() {
            let mut d = Diagnostic::error(
                "unknown-field",
                format!(
                    "no field `{field}` for tenant `{}` in `{}`",
                    tenant.team, env.name
                ),
            );
            if let Some(s) = did_you_mean(field, all_paths.iter().map(String::as_str)) {
                d = d.help(format!("did you mean `{s}`?"));
            }
            return fail(&d.into());
        }
    }
    output::out(&format!(
        "# {}/{} → namespace {}, pack {}@{}\n",
        env.name, tenant.team, tenant.namespace, env.pack_name, env.pack_version
    ));
    output::out(&explain::format(&entries));
    Exit::Clean
}
