//! `gitops-render cmp init|discover|generate|parameters`: the Argo CD plugin entry points.
//! Argo CD runs them in the application's source folder; stdout is the manifest stream (or
//! the parameters), stderr is for people, and the first stderr line is the reason on failure.

use clap::Subcommand;

use crate::cmp;
use crate::source::EstateFiles;

use super::{output, Exit};

#[derive(Debug, Subcommand)]
pub enum CmpCommand {
    /// Check that the estate loads (Argo CD's init step). Prints nothing on success.
    Init,
    /// Exit 0 (and say so) only when the current folder is an estate.
    Discover,
    /// Print the slice's manifests as a YAML stream (ARGOCD_ENV_ENVIRONMENT, ARGOCD_ENV_TENANT, …).
    Generate,
    /// Print the dynamic parameters (environments and tenants) for the Argo CD UI.
    Parameters,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn failure(app: Option<&str>, reason: &str, details: Option<&str>) -> Exit {
    let who = app
        .map(|a| format!(" (application {a})"))
        .unwrap_or_default();
    let mut text = format!("error: gitops-render cmp: {reason}{who}\n");
    if let Some(d) = details {
        text.push_str(d);
    }
    output::err(&text);
    Exit::Error
}

pub fn run(cmd: &CmpCommand) -> Exit {
    let cwd = std::env::current_dir().unwrap_or_default();
    if let CmpCommand::Discover = cmd {
        let is_estate = cwd.join("environments").is_dir() && cwd.join("policy-packs").is_dir();
        if is_estate {
            output::out("gitops-render estate\n");
            return Exit::Clean;
        }
        return Exit::Findings;
    }
    let Some(root) = cmp::find_root(&cwd) else {
        return failure(
            None,
            &format!(
                "no estate (environments/ and policy-packs/) in {} or above",
                cwd.display()
            ),
            None,
        );
    };
    if let CmpCommand::Generate = cmd {
        return generate(&root);
    }
    let files = match EstateFiles::read_dir(&root) {
        Ok(f) => f,
        Err(d) => return unreadable(&d),
    };
    match cmd {
        CmpCommand::Discover | CmpCommand::Generate => Exit::Clean,
        CmpCommand::Init => match crate::inputs::load(&files) {
            Ok(_) => Exit::Clean,
            Err(d) => failure(None, "the estate's inputs are invalid", Some(&d.render())),
        },
        CmpCommand::Parameters => match cmp::parameters(&files) {
            Ok(v) => {
                output::out(&format!(
                    "{}\n",
                    serde_json::to_string(&v).unwrap_or_default()
                ));
                Exit::Clean
            }
            Err(d) => failure(None, "the estate does not resolve", Some(&d.render())),
        },
    }
}

fn unreadable(d: &crate::diagnostic::Diagnostics) -> Exit {
    failure(
        None,
        "the estate's inputs cannot be read",
        Some(&d.render()),
    )
}

/// `generate`: the slice the request names, from the files it reads (its environment's own
/// and the bases, see [`cmp::slice_reads`]).
fn generate(root: &std::path::Path) -> Exit {
    let req = match cmp::request(&env) {
        Ok(r) => r,
        Err(msg) => return failure(env("ARGOCD_APP_NAME").as_deref(), &msg, None),
    };
    // The schemas a tenant's objects are checked against are made ready on the other core
    // while this one reads the estate: those that cannot be cut are compiled (the CRD ones
    // are cut to the fields their objects have, from nodes read as needed: the whole
    // WorkflowTemplate schema is ~20 ms of compiling).
    crate::schema::objects::prepare_ahead(cmp::TENANT_KINDS);
    let files = match EstateFiles::read_dir_where(root, cmp::slice_reads(&req.environment)) {
        Ok(f) => f,
        Err(d) => return unreadable(&d),
    };
    if let Err(d) = cmp::environment_exists(root, &files, &req.environment) {
        let reason = d.message.clone();
        let details = crate::diagnostic::Diagnostics::from(d).render();
        return failure(req.app.as_deref(), &reason, Some(&details));
    }
    let generated = cmp::generate_from(&files, &req);
    match generated {
        Ok(stream) => output::out_stream(&stream),
        Err(d) => {
            let first = d
                .iter()
                .next()
                .map(|x| x.message.clone())
                .unwrap_or_else(|| "generation failed".into());
            failure(req.app.as_deref(), &first, Some(&d.render()))
        }
    }
}
