//! What keeps one output directory consistent across runs: the cache folder (never a
//! symlink), one writer at a time (an exclusive `flock` on the directory), and a journal of
//! the folders a write stages temporary files in, so that a render killed mid-write is
//! cleaned up by the next one and `render --check` can say the tree is not whole.
//!
//! A journal rather than a search: the walk of the tree skips dot-files, and listing
//! 40,000 folders for temporary files on every render would cost what the stat index saves.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;

use super::known::CACHE_DIR;

/// The prefix and suffix of every temporary file a write stages.
pub const TEMP_PREFIX: &str = ".gitops-render-";
pub const TEMP_SUFFIX: &str = ".tmp";
/// The journal of an unfinished write, in the cache folder.
const JOURNAL: &str = "staging";
/// The folder a render into an empty output folder stages the whole tree in (`io`).
pub const FRESH_STAGE: &str = ".gitops-render-fresh.tmp";

/// The cache folder of `out`, when it is safe to use: missing, or a real directory. A
/// symlink (or a file) there is refused, so the index and the lock are never written
/// outside the tree.
pub fn cache_dir(out: &Path) -> Result<PathBuf, Diagnostic> {
    let cache = out.join(CACHE_DIR);
    match fs::symlink_metadata(&cache) {
        Ok(m) if !m.is_dir() => Err(Diagnostic::error(
            "cache-unsafe",
            format!(
                "{} is {}, not a directory: refusing to use it",
                cache.display(),
                if m.file_type().is_symlink() {
                    "a symlink"
                } else {
                    "a file"
                }
            ),
        )
        .help("delete it; gitops-render recreates its cache folder")),
        _ => Ok(cache),
    }
}

/// The cache folder, created (with its `.gitignore` and `CACHEDIR.TAG`) if missing.
pub fn ensure_cache_dir(out: &Path) -> std::io::Result<PathBuf> {
    let cache = cache_dir(out).map_err(|d| std::io::Error::other(d.message))?;
    fs::create_dir_all(&cache)?;
    for (name, text) in [
        (".gitignore", "# Written by gitops-render: a cache, never committed.\n*\n"),
        (
            "CACHEDIR.TAG",
            "Signature: 8a477f597d28d172789f06886806bc55\n# gitops-render's stat index of this output directory.\n",
        ),
    ] {
        let path = cache.join(name);
        if fs::symlink_metadata(&path).is_err() {
            fs::write(path, text)?;
        }
    }
    Ok(cache)
}

/// An exclusive lock on an output directory for the length of a render that writes it.
/// Dropped, it is released; if the render created the directory and it is still empty, the
/// directory goes too.
pub struct WriteLock {
    out: PathBuf,
    created: bool,
    #[cfg(unix)]
    _fd: std::os::fd::OwnedFd,
}

impl WriteLock {
    /// Lock `out` (created if missing) or say who holds it. Never waits: a second render of
    /// the same folder fails at once, before it reads anything it could get wrong.
    pub fn acquire(out: &Path) -> Result<WriteLock, Diagnostic> {
        let failed = |e: &dyn std::fmt::Display| {
            Diagnostic::error(
                "write-failed",
                format!("cannot lock {}: {e}", out.display()),
            )
        };
        if fs::symlink_metadata(out).is_ok_and(|m| !m.file_type().is_dir() && !out.is_dir()) {
            return Err(Diagnostic::error(
                "output-not-a-directory",
                format!("{} exists and is not a directory", out.display()),
            ));
        }
        let created = !out.exists();
        if created {
            fs::create_dir_all(out).map_err(|e| failed(&e))?;
        }
        #[cfg(unix)]
        {
            use rustix::fs::{flock, open, FlockOperation, Mode, OFlags};
            let fd = open(
                out,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(|e| failed(&e))?;
            match flock(&fd, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => Ok(WriteLock {
                    out: out.to_path_buf(),
                    created,
                    _fd: fd,
                }),
                Err(rustix::io::Errno::WOULDBLOCK) => Err(Diagnostic::error(
                    "output-locked",
                    format!(
                        "another gitops-render is writing {}; nothing was read or written",
                        out.display()
                    ),
                )
                .help("run renders of one output folder one after another")),
                Err(e) => Err(failed(&e)),
            }
        }
        #[cfg(not(unix))]
        Ok(WriteLock {
            out: out.to_path_buf(),
            created,
        })
    }
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        if self.created {
            // Only if empty: a render that wrote keeps its folder.
            let _ = fs::remove_dir(&self.out);
        }
    }
}

/// Record, before staging, the folders (relative to `out`) temporary files go into.
pub fn begin_staging<'a>(
    out: &Path,
    dirs: impl IntoIterator<Item = &'a str>,
) -> std::io::Result<()> {
    let cache = ensure_cache_dir(out)?;
    let mut text = String::new();
    for d in dirs {
        text.push_str(if d.is_empty() { "." } else { d });
        text.push('\n');
    }
    let mut tmp = tempfile::NamedTempFile::new_in(&cache)?;
    tmp.write_all(text.as_bytes())?;
    tmp.persist(cache.join(JOURNAL)).map_err(|e| e.error)?;
    Ok(())
}

/// The write is over (done or undone): no temporary file of it is left.
pub fn end_staging(out: &Path) {
    let _ = fs::remove_file(out.join(CACHE_DIR).join(JOURNAL));
}

/// Temporary files an interrupted write left, as relative paths (sorted): only the folders
/// the journal names are read, and only entries named like a staged file count.
pub fn leftovers(out: &Path) -> Vec<String> {
    let Ok(cache) = cache_dir(out) else {
        return Vec::new();
    };
    let Ok(journal) = fs::read_to_string(cache.join(JOURNAL)) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for dir in journal.lines() {
        if dir != "." && super::confined(dir).is_err() {
            continue;
        }
        let Ok(entries) = fs::read_dir(out.join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let staged = name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX);
            let fresh_stage = dir == "." && name == FRESH_STAGE;
            let kind_ok =
                e.file_type()
                    .is_ok_and(|t| if fresh_stage { t.is_dir() } else { t.is_file() });
            if staged && kind_ok {
                found.push(if dir == "." {
                    name
                } else {
                    format!("{dir}/{name}")
                });
            }
        }
    }
    found.sort();
    found
}

/// Remove what an interrupted write left (the caller holds the [`WriteLock`], so no other
/// write is under way); the removed paths.
pub fn clean_leftovers(out: &Path) -> Vec<String> {
    let found = leftovers(out);
    for f in &found {
        if f == FRESH_STAGE {
            // A whole staged tree (a render into an empty folder): every file in it is
            // this tool's, and none of it was ever in place.
            let _ = fs::remove_dir_all(out.join(f));
        } else {
            let _ = fs::remove_file(out.join(f));
        }
    }
    end_staging(out);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_and_a_created_folder_goes_when_empty() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("gitops");
        let first = WriteLock::acquire(&out).expect("first");
        let second = WriteLock::acquire(&out).err().expect("second is refused");
        assert_eq!(second.code, "output-locked");
        drop(first);
        assert!(!out.exists(), "the empty folder it created is removed");
        let again = WriteLock::acquire(&out).expect("free again");
        fs::write(out.join("kept.yaml"), "a: 1\n").expect("write");
        drop(again);
        assert!(out.join("kept.yaml").exists());
    }

    #[test]
    fn the_journal_finds_leftovers_in_the_folders_it_names_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path();
        fs::create_dir_all(out.join("dev/tenants/a")).expect("mkdir");
        fs::write(out.join("dev/tenants/a/.gitops-render-x1.tmp"), "x").expect("tmp");
        fs::write(out.join("dev/tenants/a/.other.tmp"), "x").expect("other");
        assert!(
            leftovers(out).is_empty(),
            "no journal: no write was cut short"
        );
        begin_staging(out, ["dev/tenants/a", "../escape"]).expect("journal");
        assert_eq!(leftovers(out), ["dev/tenants/a/.gitops-render-x1.tmp"]);
        assert_eq!(
            clean_leftovers(out),
            ["dev/tenants/a/.gitops-render-x1.tmp"]
        );
        assert!(leftovers(out).is_empty());
        assert!(out.join("dev/tenants/a/.other.tmp").exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_cache_folder_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let elsewhere = tempfile::tempdir().expect("elsewhere");
        std::os::unix::fs::symlink(elsewhere.path(), dir.path().join(CACHE_DIR)).expect("link");
        assert_eq!(
            cache_dir(dir.path()).expect_err("refused").code,
            "cache-unsafe"
        );
        assert!(ensure_cache_dir(dir.path()).is_err());
        assert_eq!(fs::read_dir(elsewhere.path()).expect("ls").count(), 0);
    }
}
