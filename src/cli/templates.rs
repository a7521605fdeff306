//! `gitops-render templates list|show NAME`: the templates the binary carries, so that an
//! override starts from the built-in text (`templates show tenant/quota.yaml.j2 >
//! templates/tenant/quota.yaml.j2`).

use std::path::Path;

use clap::Subcommand;

use crate::diagnostic::did_you_mean;
use crate::embedded::TEMPLATES;

use super::{output, Exit};

#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// Every built-in template with what it renders, and which the estate overrides.
    List,
    /// Print a built-in template.
    Show {
        /// The template's name, as `list` prints it (`tenant/quota.yaml.j2`).
        name: String,
    },
}

pub fn run(root: &Path, cmd: &TemplatesCommand) -> Exit {
    match cmd {
        TemplatesCommand::List => {
            let width = TEMPLATES.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
            let mut text = String::new();
            for (name, body) in TEMPLATES {
                text.push_str(&format!("{name:width$}  {}\n", summary(body)));
                for by in overrides(root, name) {
                    text.push_str(&format!("{:width$}  overridden by {by}\n", ""));
                }
            }
            output::out(&text);
            Exit::Clean
        }
        TemplatesCommand::Show { name } => match crate::embedded::template(name) {
            Some(text) => {
                output::out(text);
                Exit::Clean
            }
            None => {
                let mut msg = format!(
                    "error: there is no built-in template `{}` (`gitops-render templates list` lists them)\n",
                    crate::diagnostic::escape(name)
                );
                if let Some(s) = did_you_mean(name, TEMPLATES.iter().map(|(n, _)| *n)) {
                    msg.push_str(&format!("  = help: did you mean `{s}`?\n"));
                }
                output::err(&msg);
                Exit::Error
            }
        },
    }
}

/// The first sentence of a template's leading `{#- … -#}` comment.
fn summary(text: &str) -> String {
    let Some(rest) = text.trim_start().strip_prefix("{#") else {
        return String::new();
    };
    let comment = rest.split("#}").next().unwrap_or("");
    let flat = comment
        .trim_start_matches('-')
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let end = [": ", ". ", " ("]
        .iter()
        .filter_map(|sep| flat.find(sep))
        .min()
        .unwrap_or(flat.len());
    let first = flat[..end].trim_end_matches(['-', '.']).trim();
    match first.char_indices().nth(72) {
        Some((i, _)) => format!("{}…", &first[..i]),
        None => first.to_owned(),
    }
}

/// The estate's files that override built-in template `name`: `templates/NAME` and any
/// pack version's `templates/NAME`.
fn overrides(root: &Path, name: &str) -> Vec<String> {
    let mut found = Vec::new();
    if root.join("templates").join(name).is_file() {
        found.push(format!("templates/{name}"));
    }
    let Ok(packs) = std::fs::read_dir(root.join("policy-packs")) else {
        return found;
    };
    let mut packs: Vec<_> = packs.flatten().map(|e| e.path()).collect();
    packs.sort();
    for pack in packs {
        let Ok(versions) = std::fs::read_dir(&pack) else {
            continue;
        };
        let mut versions: Vec<_> = versions.flatten().map(|e| e.path()).collect();
        versions.sort();
        for v in versions {
            if v.join("templates").join(name).is_file() {
                if let Ok(rel) = v.strip_prefix(root) {
                    found.push(format!(
                        "{}/templates/{name}",
                        rel.to_string_lossy().replace('\\', "/")
                    ));
                }
            }
        }
    }
    found
}
