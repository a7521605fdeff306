//! The estate's inputs as they are at a git revision, read from the object database with
//! `git ls-tree` and one `git cat-file --batch` — never a checkout: the work tree and the
//! index are not touched.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use super::files::{is_input_path, EstateFiles};
use super::MAX_FILE_BYTES;

fn git(root: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        let msg = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        return Err(if msg.is_empty() {
            format!("git {} failed", args.join(" "))
        } else {
            msg
        });
    }
    Ok(out.stdout)
}

impl EstateFiles {
    /// Read the inputs under `root` as they are at revision `rev`.
    pub fn read_git(root: &Path, rev: &str) -> Result<EstateFiles, String> {
        git(root, &["rev-parse", "--is-inside-work-tree"])
            .map_err(|e| format!("{} is not in a git repository: {e}", root.display()))?;
        let commit = git(
            root,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{rev}^{{commit}}"),
            ],
        )
        .map_err(|_| format!("`{rev}` is not a commit in this repository"))?;
        let commit = String::from_utf8_lossy(&commit).trim().to_owned();
        // Paths come back relative to `root`, which may be a folder inside the repository.
        let listing = git(
            root,
            &[
                "ls-tree",
                "-r",
                "-z",
                &commit,
                "--",
                "environments",
                "policy-packs",
                "templates",
                "workflows",
            ],
        )?;
        let mut wanted: Vec<(String, String)> = Vec::new();
        for entry in listing.split(|b| *b == 0).filter(|e| !e.is_empty()) {
            let entry = String::from_utf8_lossy(entry);
            let Some((meta, path)) = entry.split_once('\t') else {
                continue;
            };
            let mut parts = meta.split_whitespace();
            let (_mode, kind, sha) = (parts.next(), parts.next(), parts.next());
            if kind == Some("blob") && is_input_path(path) {
                if let Some(sha) = sha {
                    wanted.push((path.to_owned(), sha.to_owned()));
                }
            }
        }
        if !wanted.iter().any(|(p, _)| p.starts_with("environments/")) {
            return Err(format!(
                "there is no estate at `{rev}`: it has no environments/ folder here"
            ));
        }
        let blobs = cat_files(root, wanted.iter().map(|(_, sha)| sha.as_str()))?;
        let mut files = BTreeMap::new();
        for ((path, _), bytes) in wanted.into_iter().zip(blobs) {
            if bytes.len() > MAX_FILE_BYTES {
                return Err(format!(
                    "{path} at `{rev}` is larger than the {} MiB limit",
                    MAX_FILE_BYTES >> 20
                ));
            }
            let text =
                String::from_utf8(bytes).map_err(|_| format!("{path} at `{rev}` is not UTF-8"))?;
            files.insert(path, text);
        }
        Ok(EstateFiles { files })
    }
}

/// The contents of blobs, in order, from one `git cat-file --batch` process.
fn cat_files<'a>(root: &Path, shas: impl Iterator<Item = &'a str>) -> Result<Vec<Vec<u8>>, String> {
    let request: String = shas.map(|s| format!("{s}\n")).collect();
    let count = request.lines().count();
    let mut child = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("git cat-file has no stdin")?;
    // Write on another thread so a large answer cannot deadlock against the request.
    let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
    let mut out = Vec::new();
    child
        .stdout
        .take()
        .ok_or("git cat-file has no stdout")?
        .read_to_end(&mut out)
        .map_err(|e| format!("cannot read from git: {e}"))?;
    let _ = writer.join();
    let _ = child.wait();
    let mut blobs = Vec::with_capacity(count);
    let mut at = 0;
    for _ in 0..count {
        let nl = out[at..]
            .iter()
            .position(|b| *b == b'\n')
            .ok_or("short answer from git cat-file")?
            + at;
        let header = String::from_utf8_lossy(&out[at..nl]).into_owned();
        let size: usize = header
            .rsplit(' ')
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("unexpected answer from git cat-file: {header}"))?;
        let start = nl + 1;
        let end = start + size;
        if end > out.len() {
            return Err("short answer from git cat-file".into());
        }
        blobs.push(out[start..end].to_vec());
        at = end + 1;
    }
    Ok(blobs)
}
