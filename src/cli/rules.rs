//! `gitops-render rules [ID]`: list the lint rules, or print one rule's documentation.

use clap::Args;

use crate::diagnostic::did_you_mean;
use crate::lint::{rule, rules_markdown, RULES};

use super::{output, Exit};

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// A rule id to document.
    id: Option<String>,
    /// Print every rule's documentation as one markdown document (the project's
    /// docs/rules.md, which SARIF's helpUri links to).
    #[arg(long, conflicts_with = "id")]
    markdown: bool,
}

pub fn run(args: &RulesArgs) -> Exit {
    if args.markdown {
        output::out(&rules_markdown());
        return Exit::Clean;
    }
    let Some(id) = &args.id else {
        let mut out = String::new();
        let width = RULES.iter().map(|r| r.id.len()).max().unwrap_or(0);
        let mut family = None;
        for r in RULES {
            if family != Some(r.family) {
                out.push_str(&format!("\n{}:\n", r.family));
                family = Some(r.family);
            }
            out.push_str(&format!(
                "  {:width$}  {:7}  {}\n",
                r.id,
                r.severity.to_string(),
                r.summary
            ));
        }
        output::out(out.trim_start());
        return Exit::Clean;
    };
    match rule(id) {
        Some(r) => {
            output::out(&r.page());
            Exit::Clean
        }
        None => {
            let mut msg = format!("error: there is no lint rule `{id}`\n");
            if let Some(s) = did_you_mean(id, RULES.iter().map(|r| r.id)) {
                msg.push_str(&format!("  = help: did you mean `{s}`?\n"));
            }
            output::err(&msg);
            Exit::Error
        }
    }
}
