//! `gitops-render completions SHELL` and `gitops-render man`: generated from the clap
//! command itself, so they always match the arguments.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{output, Cli, Exit};

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, powershell or elvish.
    shell: Shell,
}

pub fn completions(args: &CompletionsArgs) -> Exit {
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "gitops-render", &mut buf);
    output::out(&String::from_utf8_lossy(&buf));
    Exit::Clean
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// A subcommand (`render`, `lint`, …): its page instead of the main one.
    command: Option<String>,
}

/// The manual page (roff) of the command or of one subcommand:
/// `gitops-render man > gitops-render.1`, `gitops-render man lint | man -l -`.
pub fn man(args: &ManArgs) -> Exit {
    let cmd = Cli::command();
    let page = match &args.command {
        None => cmd,
        Some(name) => match cmd.find_subcommand(name) {
            // clap names a command with a `'static` string; one page per run, so leaking
            // the name is the cost of one allocation.
            Some(sub) => sub
                .clone()
                .name(&*String::leak(format!("gitops-render-{name}"))),
            None => {
                let names: Vec<&str> = cmd.get_subcommands().map(|s| s.get_name()).collect();
                output::err(&format!(
                    "error: there is no command `{}`; expected one of {}\n",
                    crate::diagnostic::escape(name),
                    names.join(", ")
                ));
                return Exit::Error;
            }
        },
    };
    let mut buf = Vec::new();
    if let Err(e) = clap_mangen::Man::new(page).render(&mut buf) {
        output::err(&format!("error: cannot render the manual page: {e}\n"));
        return Exit::Error;
    }
    output::out(&String::from_utf8_lossy(&buf));
    Exit::Clean
}
