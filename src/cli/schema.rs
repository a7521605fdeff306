//! `gitops-render schema [NAME]`: the JSON Schemas of the input files, as the binary checks
//! them, for editors (yaml-language-server modelines, VS Code's `yaml.schemas`).

use clap::Args;

use crate::diagnostic::did_you_mean;
use crate::schema::{CONFIG_SCHEMA, ENVIRONMENT_SCHEMA, POLICY_PACK_SCHEMA};

use super::{output, Exit};

/// Name, file name (as `init` writes it), what it describes, text.
pub const SCHEMAS: [(&str, &str, &str, &str); 3] = [
    (
        "pack",
        "policy-pack.schema.json",
        "policy-packs/<name>/<version>/pack.yaml",
        POLICY_PACK_SCHEMA,
    ),
    (
        "environment",
        "environment.schema.json",
        "environments/<env>.yaml",
        ENVIRONMENT_SCHEMA,
    ),
    (
        "config",
        "config.schema.json",
        ".gitops-render.yaml",
        CONFIG_SCHEMA,
    ),
];

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// pack, environment or config; without it, the list.
    name: Option<String>,
}

pub fn run(args: &SchemaArgs) -> Exit {
    let Some(name) = &args.name else {
        let mut text = String::new();
        for (name, file, describes, _) in SCHEMAS {
            text.push_str(&format!("{name:12} {file:26} {describes}\n"));
        }
        output::out(&text);
        return Exit::Clean;
    };
    let wanted = if name == "policy-pack" { "pack" } else { name };
    match SCHEMAS.iter().find(|s| s.0 == wanted) {
        Some((_, _, _, text)) => {
            output::out(text);
            if !text.ends_with('\n') {
                output::out("\n");
            }
            Exit::Clean
        }
        None => {
            let mut msg = format!(
                "error: there is no schema `{}`; expected pack, environment or config\n",
                crate::diagnostic::escape(name)
            );
            if let Some(s) = did_you_mean(name, SCHEMAS.iter().map(|s| s.0)) {
                msg.push_str(&format!("  = help: did you mean `{s}`?\n"));
            }
            output::err(&msg);
            Exit::Error
        }
    }
}
