//! Files of an output tree looked up in their directory rather than by their whole path.
//!
//! A render judges a tenant's files one after another on one thread, so each thread keeps
//! the directory of the file it last looked up open, and states and opens files by name in
//! it (`fstatat`, `openat`). By path, the kernel walked every component of every path: at
//! N = 10,000 that was half the system time of a re-render. Nothing is followed through a
//! symlink at the last step, as a listing would not follow one.

use std::cell::RefCell;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::known::Stat;

/// The directories of one tree, opened on demand, one per thread at a time.
pub struct Dirs {
    root: PathBuf,
    /// Tells this tree's open directory apart from another's (or from an earlier one's at
    /// the same path) in a thread's cache.
    id: u64,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// A thread's open directory: the tree it belongs to, its path in that tree, and its
/// descriptor (`None`: there is no directory there).
#[cfg(unix)]
struct Open {
    id: u64,
    dir: String,
    fd: Option<std::os::fd::OwnedFd>,
}

#[cfg(unix)]
thread_local! {
    static OPEN: RefCell<Option<Open>> = const { RefCell::new(None) };
}

impl Dirs {
    pub fn new(root: &Path) -> Dirs {
        Dirs {
            root: root.to_path_buf(),
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// The stat of what is at `rel` (not followed if a symlink); `None` if nothing is.
    pub fn stat(&self, rel: &str) -> Option<Stat> {
        #[cfg(unix)]
        {
            use rustix::fs::{statat, AtFlags};
            self.in_dir(rel, |dir, name| {
                statat(dir?, name, AtFlags::SYMLINK_NOFOLLOW)
                    .ok()
                    .map(|s| Stat::of_raw(&s))
            })
        }
        #[cfg(not(unix))]
        {
            fs::symlink_metadata(self.root.join(rel))
                .ok()
                .map(|m| Stat::of(&m))
        }
    }

    /// Open the regular file at `rel`, with its stat: `None` if nothing is there, or a
    /// directory, a symlink, anything but a regular file, or a file where a directory on the
    /// way should be. Opened without blocking: a FIFO would wait for a writer.
    pub fn open_regular(&self, rel: &str) -> io::Result<Option<(fs::File, Stat)>> {
        #[cfg(unix)]
        let opened = {
            use rustix::fs::{openat, Mode, OFlags};
            use rustix::io::Errno;
            self.in_dir(rel, |dir, name| {
                let Some(dir) = dir else {
                    return Ok(None);
                };
                let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
                match openat(dir, name, flags, Mode::empty()) {
                    Ok(fd) => Ok(Some(fs::File::from(fd))),
                    Err(Errno::NOENT | Errno::NOTDIR | Errno::LOOP) => Ok(None),
                    Err(e) => Err(io::Error::from(e)),
                }
            })
        };
        #[cfg(not(unix))]
        let opened = match fs::File::open(self.root.join(rel)) {
            Ok(f) => Ok(Some(f)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        };
        let Some(file) = opened? else {
            return Ok(None);
        };
        let meta = file.metadata()?;
        Ok(meta.is_file().then(|| (file, Stat::of(&meta))))
    }

    /// Run `f` with the directory of `rel` (`None` if there is no directory there) and the
    /// name of `rel` in it.
    #[cfg(unix)]
    fn in_dir<R>(
        &self,
        rel: &str,
        f: impl FnOnce(Option<std::os::fd::BorrowedFd<'_>>, &str) -> R,
    ) -> R {
        use std::os::fd::AsFd;
        let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        OPEN.with_borrow_mut(|open| {
            let current = open
                .as_ref()
                .is_some_and(|o| o.id == self.id && o.dir == dir);
            if !current {
                *open = Some(Open {
                    id: self.id,
                    dir: dir.to_owned(),
                    fd: open_dir(&self.root.join(dir)),
                });
            }
            let fd = open.as_ref().and_then(|o| o.fd.as_ref());
            f(fd.map(AsFd::as_fd), name)
        })
    }
}

/// The directory at `path` (the last step not followed if a symlink); `None` if there is
/// none there.
#[cfg(unix)]
fn open_dir(path: &Path) -> Option<std::os::fd::OwnedFd> {
    use rustix::fs::{openat, Mode, OFlags, CWD};
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    openat(CWD, path, flags, Mode::empty()).ok()
}
