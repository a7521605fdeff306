//! The stat index of an output directory: which of its files are known to hold which bytes,
//! so that a render of an unchanged estate checks each file with one `stat` instead of
//! opening and reading it.
//!
//! It works like Git's index. A file is vouched for by a hash of (its bytes, its size,
//! modification and change times, inode): the same stat and the same rendered bytes mean the
//! file still holds them. Any write to a file moves its change time, which no user call can
//! set back, so a file edited by hand is read again. A file is recorded only after its bytes
//! were read and found equal, and only when its times are two seconds older than the render:
//! two writes within one tick of a file system's clock can leave the same times, so a file
//! that may still be in that tick is read every time until it is not.
//!
//! Directories are sealed the same way, by a hash of the names and types of their entries
//! with their stat: adding, removing or renaming an entry moves a directory's times, so a
//! directory whose stat matches its seal still holds the entries it held, and the render's
//! search for files it no longer renders does not read it (Git's untracked cache). Only a
//! directory that was read is recorded, from a stat taken before it was read.
//!
//! The index is a cache: `render` keeps it in `.gitops-render-cache/` inside the output
//! directory (with a `.gitignore` of `*`, so Git leaves it out, and a `CACHEDIR.TAG`). A
//! missing, unreadable or foreign index is an empty one, and without one every file is read.

use std::collections::HashMap;
use std::fs;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed, Xxh3};

/// The cache folder in an output directory (a dot-folder: tree listings skip it).
pub const CACHE_DIR: &str = ".gitops-render-cache";
const INDEX_FILE: &str = "stat-index";
/// First line of the index file; another version of the format is ignored, not misread.
const MAGIC: &[u8] = b"gitops-render stat index 1\n";
/// How long a file's times must have stood still before it is recorded.
const SETTLE: Duration = Duration::from_secs(2);

/// What an index knows, and what a render learned. Thread-safe: files are judged on the
/// threads that render them.
#[derive(Default)]
pub struct Known {
    /// Hash of a path → hash of (bytes, stat) the file had when recorded.
    entries: Entries,
    /// Files whose times are at or after this (ns since the epoch) are not recorded.
    settled_before: i64,
    /// `None` when nothing is recorded (`render --check`, `diff`); else what to change.
    learned: Option<Mutex<Learned>>,
}

/// What a render learned: seals to record by key, and keys to forget. A render learns of
/// each file and directory once (a path rendered twice fails the render, and nothing is
/// saved), so which list a key is in is all that matters. Apart, a recorded key and its
/// seal take 16 bytes, not the 24 of a key with an optional seal: 6 MB at 800,000 files,
/// all learned on a render without an index.
#[derive(Default)]
struct Learned {
    recorded: Vec<(u64, u64)>,
    forgotten: Vec<u64>,
}

/// Is the file at `target` vouched for as holding `bytes`, or does it have to be read?
pub enum Vouch {
    /// Same stat and same bytes as when recorded.
    Same,
    /// Read it, and tell [`Known::learn`] what it held.
    Read(Pending),
}

/// A file to read, with what recording it needs.
pub struct Pending {
    key: u64,
    content: u64,
}

/// The names and types of a directory's entries, in any order: what a directory's seal
/// vouches for besides its stat.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Names {
    count: u64,
    /// Wrapping sum of one hash per entry: the same for any order of the same entries.
    sum: u64,
}

impl Names {
    pub fn add(&mut self, name: &str, is_dir: bool) {
        self.count += 1;
        self.sum = self
            .sum
            .wrapping_add(xxh3_64_with_seed(name.as_bytes(), u64::from(is_dir)));
    }

    fn digest(self) -> u64 {
        let mut h = Xxh3::new();
        h.update(&self.count.to_le_bytes());
        h.update(&self.sum.to_le_bytes());
        h.digest()
    }
}

impl Known {
    /// The index of `dir` for a render that reads only (nothing learned is kept).
    ///
    /// A symlink in place of the cache folder is an error (see [`super::guard::cache_dir`]);
    /// an index that is not a regular file of plausible size with the right magic counts
    /// as empty, checked before it is read.
    pub fn load(dir: &Path) -> Result<Known, crate::diagnostic::Diagnostic> {
        let cache = super::guard::cache_dir(dir)?;
        Ok(Known {
            entries: read_index(&cache.join(INDEX_FILE)).unwrap_or_default(),
            settled_before: 0,
            learned: None,
        })
    }

    /// The index of `dir` for a render that writes: what it confirms by reading is kept for
    /// [`Known::save`].
    pub fn load_for_write(dir: &Path) -> Result<Known, crate::diagnostic::Diagnostic> {
        let now = SystemTime::now()
            .checked_sub(SETTLE)
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        Ok(Known {
            settled_before: now,
            learned: Some(Mutex::new(Learned::default())),
            ..Known::load(dir)?
        })
    }

    /// An index that records what it learns at once, as if every time had settled.
    #[cfg(test)]
    pub(crate) fn recording_everything(dir: &Path) -> Known {
        Known {
            settled_before: i64::MAX,
            ..Known::load_for_write(dir).expect("loads")
        }
    }

    /// Does this render record what it reads (and so need each read file's stat)?
    pub fn records(&self) -> bool {
        self.learned.is_some()
    }

    /// Check the file at `path` in the tree against `bytes` by its stat alone (`stat`, not
    /// following a symlink, asked only if the index knows the file).
    pub fn vouch(&self, path: &str, bytes: &[u8], stat: impl FnOnce() -> Option<Stat>) -> Vouch {
        let key = xxh3_64(path.as_bytes());
        let sealed = self.entries.get(&key);
        if sealed.is_none() && !self.records() {
            // Nothing to vouch with and nothing to record (`--check` on a fresh checkout):
            // the bytes' hash would go unused.
            return Vouch::Read(Pending { key, content: 0 });
        }
        let content = xxh3_64(bytes);
        if let Some(&sealed) = sealed {
            if stat().is_some_and(|s| s.seal(content) == sealed) {
                return Vouch::Same;
            }
        }
        Vouch::Read(Pending { key, content })
    }

    /// Does the seal of the directory at `rel` (`""`: the output directory) vouch that, with
    /// the stat `stat`, it holds exactly the entries `names`?
    pub fn vouch_dir(&self, rel: &str, stat: Stat, names: Names) -> bool {
        self.entries
            .get(&dir_key(rel))
            .is_some_and(|&sealed| stat.seal(names.digest()) == sealed)
    }

    /// The directory at `rel` was read and held `names`, with `stat` taken before it was
    /// read: recorded if its times have settled, forgotten otherwise.
    pub fn learn_dir(&self, rel: &str, stat: Stat, names: Names) {
        let seal = stat
            .settled(self.settled_before)
            .then(|| stat.seal(names.digest()));
        self.record(dir_key(rel), seal);
    }

    /// How many files and directories the index knows (a capacity hint for a render).
    pub fn entries(&self) -> usize {
        self.entries.len()
    }

    /// What reading a [`Vouch::Read`] file found: `same` with `stat` taken from the open file
    /// before it was read. Recorded if its times have settled; forgotten otherwise.
    pub fn learn(&self, pending: Pending, same: bool, stat: Option<Stat>) {
        let seal = stat
            .filter(|s| same && s.settled(self.settled_before))
            .map(|s| s.seal(pending.content));
        self.record(pending.key, seal);
    }

    /// Keep `seal` for `key` for [`Known::save`] (`None`: forget it), if this render records
    /// and it changes what the index holds.
    fn record(&self, key: u64, seal: Option<u64>) {
        let Some(learned) = &self.learned else {
            return;
        };
        if seal.is_none() && !self.entries.contains_key(&key) {
            return;
        }
        let mut learned = learned.lock().unwrap_or_else(PoisonError::into_inner);
        match seal {
            Some(seal) => learned.recorded.push((key, seal)),
            None => learned.forgotten.push(key),
        }
    }

    /// Write the index of `dir` with what this render learned, less the files it pruned.
    /// Nothing is written when nothing changed. A failure is returned for a note: the index
    /// is a cache, and the render it speeds up has already succeeded.
    pub fn save(self, dir: &Path, pruned: &[String]) -> std::io::Result<()> {
        let learned = self
            .learned
            .map(|l| l.into_inner().unwrap_or_else(PoisonError::into_inner))
            .unwrap_or_default();
        let mut entries = self.entries;
        let mut changed = false;
        for (key, seal) in learned.recorded {
            changed |= entries.insert(key, seal) != Some(seal);
        }
        for key in learned.forgotten {
            changed |= entries.remove(&key).is_some();
        }
        for path in pruned {
            changed |= entries.remove(&xxh3_64(path.as_bytes())).is_some();
        }
        if !changed {
            return Ok(());
        }
        write_index(dir, entries)
    }
}

/// What a stat says about a file's contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    size: u64,
    mtime_ns: i64,
    ctime_ns: i64,
    ino: u64,
}

impl Stat {
    #[cfg(unix)]
    pub fn of(m: &fs::Metadata) -> Stat {
        use std::os::unix::fs::MetadataExt;
        let ns = |s: i64, n: i64| s.saturating_mul(1_000_000_000).saturating_add(n);
        Stat {
            size: m.size(),
            mtime_ns: ns(m.mtime(), m.mtime_nsec()),
            ctime_ns: ns(m.ctime(), m.ctime_nsec()),
            ino: m.ino(),
        }
    }

    /// The stat of a `fstatat` (see [`at`](super::at)).
    #[cfg(unix)]
    #[allow(clippy::unnecessary_cast)] // the field types differ between architectures
    pub fn of_raw(s: &rustix::fs::Stat) -> Stat {
        let ns = |s: i64, n: i64| s.saturating_mul(1_000_000_000).saturating_add(n);
        Stat {
            size: s.st_size as u64,
            mtime_ns: ns(s.st_mtime as i64, s.st_mtime_nsec as i64),
            ctime_ns: ns(s.st_ctime as i64, s.st_ctime_nsec as i64),
            ino: s.st_ino as u64,
        }
    }

    /// Without change times and inodes nothing can be vouched for: every file is read.
    #[cfg(not(unix))]
    pub fn of(_: &fs::Metadata) -> Stat {
        Stat {
            size: 0,
            mtime_ns: i64::MAX,
            ctime_ns: i64::MAX,
            ino: 0,
        }
    }

    /// The stat as Git's index keeps it: size, change time, modification time (seconds
    /// and nanoseconds apart) and inode, each cut to 32 bits.
    pub(super) fn git_words(self) -> [u32; 6] {
        const NS: i64 = 1_000_000_000;
        let (cs, cn) = (self.ctime_ns.div_euclid(NS), self.ctime_ns.rem_euclid(NS));
        let (ms, mn) = (self.mtime_ns.div_euclid(NS), self.mtime_ns.rem_euclid(NS));
        [
            self.size, cs as u64, cn as u64, ms as u64, mn as u64, self.ino,
        ]
        .map(|w| w as u32)
    }

    fn settled(self, before: i64) -> bool {
        self.mtime_ns < before && self.ctime_ns < before
    }

    fn seal(self, content: u64) -> u64 {
        let mut h = Xxh3::new();
        for word in [
            content,
            self.size,
            self.mtime_ns as u64,
            self.ctime_ns as u64,
            self.ino,
        ] {
            h.update(&word.to_le_bytes());
        }
        h.digest()
    }
}

/// Hash of a path → seal (also Git's index's, in [`checkout`](super::checkout)).
pub(super) type Entries = HashMap<u64, u64, BuildHasherDefault<KeyHasher>>;

/// Keys are already hashes.
#[derive(Default)]
pub(super) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A directory's key: the hash of its path with a trailing `/`, which no file's path has.
fn dir_key(rel: &str) -> u64 {
    let mut h = Xxh3::new();
    h.update(rel.as_bytes());
    h.update(b"/");
    h.digest()
}

fn index_path(dir: &Path) -> PathBuf {
    dir.join(CACHE_DIR).join(INDEX_FILE)
}

/// The largest index read: 16 bytes a file, room for 8 million files.
const MAX_INDEX_BYTES: u64 = 128 << 20;

fn read_index(path: &Path) -> Option<Entries> {
    use std::io::Read as _;
    // Not followed through a symlink, not a FIFO, and not a sparse 20 GB file.
    let meta = fs::symlink_metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_INDEX_BYTES || meta.len() < MAGIC.len() as u64 {
        return None;
    }
    let mut file = fs::File::open(path).ok()?;
    let mut magic = vec![0; MAGIC.len()];
    file.read_exact(&mut magic).ok()?;
    if magic != MAGIC {
        return None;
    }
    let mut bytes = magic;
    file.take(MAX_INDEX_BYTES).read_to_end(&mut bytes).ok()?;
    let body = bytes.strip_prefix(MAGIC)?;
    if body.len() % 16 != 0 {
        return None;
    }
    let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or_default());
    let mut entries = HashMap::with_capacity_and_hasher(body.len() / 16, Default::default());
    entries.extend(
        body.chunks_exact(16)
            .map(|e| (word(&e[..8]), word(&e[8..]))),
    );
    Some(entries)
}

fn write_index(dir: &Path, entries: Entries) -> std::io::Result<()> {
    let cache = super::guard::ensure_cache_dir(dir)?;
    // Sorted, so that the same knowledge is the same file.
    let mut sorted: Vec<(u64, u64)> = entries.into_iter().collect();
    sorted.sort_unstable();
    let mut bytes = Vec::with_capacity(MAGIC.len() + sorted.len() * 16);
    bytes.extend_from_slice(MAGIC);
    for (key, seal) in sorted {
        bytes.extend_from_slice(&key.to_le_bytes());
        bytes.extend_from_slice(&seal.to_le_bytes());
    }
    let mut tmp = tempfile::NamedTempFile::new_in(&cache)?;
    tmp.write_all(&bytes)?;
    tmp.persist(index_path(dir)).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// A directory holding `files` (name, text).
    fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, text) in files {
            fs::write(dir.path().join(name), text).expect("write");
        }
        dir
    }

    /// Judge `path` as a render does: vouched for, or read and learned.
    fn judge(known: &Known, dir: &Path, path: &str, bytes: &[u8]) -> bool {
        let target = dir.join(path);
        let stat = || fs::symlink_metadata(&target).ok().map(|m| Stat::of(&m));
        match known.vouch(path, bytes, stat) {
            Vouch::Same => true,
            Vouch::Read(pending) => {
                let stat = fs::metadata(&target).ok().map(|m| Stat::of(&m));
                let same = fs::read(&target).is_ok_and(|b| b == bytes);
                known.learn(pending, same, stat);
                false
            }
        }
    }

    #[test]
    fn vouches_only_for_the_same_stat_and_the_same_bytes() {
        let dir = dir_with(&[("a.yaml", "a: 1\n"), ("b.yaml", "b: 1\n")]);
        let d = dir.path();
        let known = Known::recording_everything(d);
        assert!(!judge(&known, d, "a.yaml", b"a: 1\n"), "nothing known yet");
        assert!(!judge(&known, d, "b.yaml", b"b: 2\n"), "different bytes");
        known.save(d, &[]).expect("save");

        let known = Known::recording_everything(d);
        assert!(judge(&known, d, "a.yaml", b"a: 1\n"), "recorded");
        assert!(
            !judge(&known, d, "a.yaml", b"a: 2\n"),
            "new bytes to render"
        );
        assert!(!judge(&known, d, "b.yaml", b"b: 2\n"), "never recorded");
        assert!(!judge(&known, d, "c.yaml", b"a: 1\n"), "another path");

        // Edited by hand to the same size, with its modification time put back: its change
        // time moved, so it is read again.
        let mtime = fs::metadata(d.join("a.yaml"))
            .and_then(|m| m.modified())
            .expect("mtime");
        fs::write(d.join("a.yaml"), "a: 9\n").expect("edit");
        fs::File::options()
            .write(true)
            .open(d.join("a.yaml"))
            .and_then(|f| f.set_modified(mtime))
            .expect("set mtime");
        let known = Known::recording_everything(d);
        assert!(!judge(&known, d, "a.yaml", b"a: 1\n"), "edited by hand");
        // It did not hold the bytes, so it is forgotten.
        known.save(d, &[]).expect("save");
        assert!(Known::load(d).expect("loads").entries.is_empty());
    }

    #[test]
    fn unsettled_files_are_not_recorded_and_reads_only_learn_nothing() {
        let dir = dir_with(&[("a.yaml", "a: 1\n")]);
        let d = dir.path();
        // Written just now: within two seconds of the render.
        let known = Known::load_for_write(d).expect("loads");
        judge(&known, d, "a.yaml", b"a: 1\n");
        known.save(d, &[]).expect("save");
        assert!(!index_path(d).exists(), "nothing learned, nothing written");

        let known = Known {
            settled_before: i64::MAX,
            ..Known::load(d).expect("loads")
        };
        judge(&known, d, "a.yaml", b"a: 1\n");
        known.save(d, &[]).expect("save");
        assert!(!index_path(d).exists(), "a read-only index learns nothing");
    }

    #[test]
    fn pruned_files_are_forgotten_and_a_foreign_index_is_empty() {
        let dir = dir_with(&[("a.yaml", "a: 1\n"), ("b.yaml", "b: 1\n")]);
        let d = dir.path();
        let known = Known::recording_everything(d);
        judge(&known, d, "a.yaml", b"a: 1\n");
        judge(&known, d, "b.yaml", b"b: 1\n");
        known.save(d, &[]).expect("save");
        assert_eq!(Known::load(d).expect("loads").entries.len(), 2);
        let cache = d.join(CACHE_DIR);
        assert_eq!(
            fs::read_to_string(cache.join(".gitignore")).expect("gitignore"),
            "# Written by gitops-render: a cache, never committed.\n*\n"
        );
        assert!(fs::read_to_string(cache.join("CACHEDIR.TAG"))
            .expect("tag")
            .starts_with("Signature: 8a477f597d28d172789f06886806bc55\n"));

        Known::load_for_write(d)
            .expect("loads")
            .save(d, &["b.yaml".to_owned()])
            .expect("save");
        let known = Known::recording_everything(d);
        assert_eq!(known.entries.len(), 1);
        assert!(judge(&known, d, "a.yaml", b"a: 1\n"));
        assert!(!judge(&known, d, "b.yaml", b"b: 1\n"));

        for foreign in [
            &b"gitops-render stat index 0\n"[..],
            b"garbage",
            &MAGIC[..5],
        ] {
            fs::write(index_path(d), foreign).expect("write");
            assert!(Known::load(d).expect("loads").entries.is_empty());
        }
        let mut truncated = MAGIC.to_vec();
        truncated.extend_from_slice(&[0; 15]);
        fs::write(index_path(d), truncated).expect("write");
        assert!(Known::load(d).expect("loads").entries.is_empty());
    }
}
