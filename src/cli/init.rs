//! `gitops-render init [DIR]`: a new estate that renders and lints clean at once.
//!
//! The starter (`starter/` in this repository, embedded) is one pack with the four tiers, a
//! network profile, RBAC roles and a one-workflow catalog, `_base.yaml` and one environment
//! with one team, `.gitops-render.yaml`, a `.gitignore` for the cache, and CI files for
//! GitHub Actions and GitLab CI. `--example` writes this repository's example estate instead
//! (five teams, four environments, two pack versions). Both get the input schemas under
//! `.gitops-render/schemas/`, which the files' yaml-language-server modelines name.
//!
//! Nothing is overwritten: when any file it would write exists, `init` writes nothing.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::embedded::{EXAMPLE, STARTER};

use super::{output, schema::SCHEMAS, Exit};

/// Where `init` puts the input schemas, relative to the estate (a dot-folder: never read as
/// an input, linted or pruned).
pub const SCHEMA_DIR: &str = ".gitops-render/schemas";

/// The starter pack's catalog workflows, copied from the example pack so that the two
/// cannot drift: (example path, starter path).
const STARTER_WORKFLOWS: [(&str, &str); 2] = [
    (
        "policy-packs/platform/1.2.0/workflows/_steps.yaml.j2",
        "policy-packs/platform/1.0.0/workflows/_steps.yaml.j2",
    ),
    (
        "policy-packs/platform/1.2.0/workflows/ci-test.yaml.j2",
        "policy-packs/platform/1.0.0/workflows/ci-test.yaml.j2",
    ),
];

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Folder to create the estate in (created if missing; default: the current folder).
    dir: Option<PathBuf>,
    /// Write the full example estate (5 teams, 4 environments, 2 pack versions).
    #[arg(long)]
    example: bool,
}

/// The files `init` writes: (path relative to the estate, text).
pub fn files(example: bool) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = Vec::new();
    if example {
        files.extend(
            EXAMPLE
                .iter()
                .map(|(p, t)| ((*p).to_owned(), (*t).to_owned())),
        );
        // The example's repository address is in its environments; the starter's config
        // names another one.
        files.extend(
            STARTER
                .iter()
                .filter(|(p, _)| p.starts_with('.') && *p != ".gitops-render.yaml")
                .map(|(p, t)| ((*p).to_owned(), (*t).to_owned())),
        );
    } else {
        files.extend(
            STARTER
                .iter()
                .map(|(p, t)| ((*p).to_owned(), (*t).to_owned())),
        );
        for (from, to) in STARTER_WORKFLOWS {
            if let Some((_, text)) = EXAMPLE.iter().find(|(p, _)| *p == from) {
                files.push((to.to_owned(), (*text).to_owned()));
            }
        }
    }
    for (_, file, _, text) in SCHEMAS {
        files.push((format!("{SCHEMA_DIR}/{file}"), text.to_owned()));
    }
    files.sort();
    files
}

pub fn run(args: &InitArgs) -> Exit {
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let files = files(args.example);
    let existing: Vec<&str> = files
        .iter()
        .map(|(p, _)| p.as_str())
        .filter(|p| dir.join(p).symlink_metadata().is_ok())
        .collect();
    let estate = ["environments", "policy-packs"]
        .iter()
        .any(|d| dir.join(d).exists());
    if estate || !existing.is_empty() {
        let mut msg = format!(
            "error: {} already holds {}; init writes only into a new or empty estate and wrote nothing\n",
            dir.display(),
            if estate {
                "an estate (environments/ or policy-packs/)".to_owned()
            } else {
                format!("{} of the files it would write", existing.len())
            }
        );
        for p in existing.iter().take(10) {
            msg.push_str(&format!("  exists: {p}\n"));
        }
        msg.push_str("  = help: choose another folder: `gitops-render init NEW-DIR`\n");
        output::err(&msg);
        return Exit::Error;
    }
    let mut created = Created::default();
    for (path, text) in &files {
        if let Err(e) = created.write_new(&dir.join(path), text) {
            // A full disk or a read-only folder half way: take back what was created, so
            // that a second `init` is not refused by the first one's leftovers.
            created.undo();
            output::err(&format!(
                "error: cannot write {}: {e}; init wrote nothing\n",
                dir.join(path).display()
            ));
            return Exit::Error;
        }
    }
    let cd = if dir == Path::new(".") {
        String::new()
    } else {
        format!("cd {} && ", dir.display())
    };
    output::info(&format!(
        "wrote {} files into {} ({})\nnext: {cd}gitops-render render && gitops-render lint\n",
        files.len(),
        dir.display(),
        if args.example {
            "the example estate"
        } else {
            "a starter estate: one pack, environment dev, team backend"
        }
    ));
    Exit::Clean
}

/// What `init` created, to undo it when a later write fails.
#[derive(Default)]
struct Created {
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
}

impl Created {
    /// Create `path` (and its missing folders) with `text`; fails if it exists, even as a
    /// dangling symlink, so that `init` never writes through a link or over a file.
    fn write_new(&mut self, path: &Path, text: &str) -> std::io::Result<()> {
        if let Some(parent) = path.parent() {
            let missing: Vec<PathBuf> = parent
                .ancestors()
                .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
                .map(Path::to_path_buf)
                .collect();
            std::fs::create_dir_all(parent)?;
            self.dirs.extend(missing.into_iter().rev());
        }
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)?;
        self.files.push(path.to_path_buf());
        f.write_all(text.as_bytes())?;
        f.sync_all()
    }

    /// Remove the files, then the folders (deepest first; only if empty).
    fn undo(&self) {
        for f in &self.files {
            let _ = std::fs::remove_file(f);
        }
        for d in self.dirs.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
    }
}
