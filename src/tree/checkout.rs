//! Git's index of the checkout that holds an output directory: what a render on a fresh
//! clone (CI, Argo CD's repo server) compares with before it has a stat index of its own.
//!
//! Git's index records, for each tracked file, the stat the file had when Git last wrote or
//! checked it, and its object name: the SHA-1 of `blob <size>\0` and its bytes. As in
//! `git status`, a file whose size, change and modification times and inode still match
//! holds that object, unless it was modified in the same clock tick as the index was
//! written (Git's racy-clean rule: only entries modified strictly before the index file
//! count). A rendered file whose object name is that one has the same bytes, so the render
//! compares it with one `stat` and one SHA-1 instead of opening and reading it.
//!
//! That holds only where the checked-out file is the object itself. Nothing is vouched
//! for (every file is read, as without Git) when a checkout could have converted bytes —
//! `core.autocrlf`, `core.attributesFile`, an included config, `info/attributes`, or a
//! tracked `.gitattributes` in a folder on the way to the tree or inside it — nor for
//! SHA-256 repositories, split indexes, index versions other than 2–4, or when Git's
//! environment variables point elsewhere (a hook, whose index may be mid-commit). Entries
//! that are conflicted, assumed unchanged, skipped in the worktree, intent-to-add or not
//! regular files are left out. A malformed index is no index.

use std::fs;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::thread::JoinHandle;

use sha1::{Digest as _, Sha1};
use xxhash_rust::xxh3::xxh3_64;

use super::known::{Entries, Stat};

/// Git's object name of a blob.
type ObjectName = [u8; 20];

/// The largest index read: room for 8 million files (a bound on the memory an index costs).
const MAX_ENTRIES: u32 = 8 << 20;
/// The longest path read from an index (Git's own limit is the platform's `PATH_MAX`).
const MAX_PATH: u64 = 4096;
/// The most bytes of extensions read after the entries (the tree cache of 800,000 files is
/// ~4 MiB).
const MAX_EXTENSIONS: u64 = 64 << 20;
/// The largest file compared through Git's index; a larger one is read. A file's `open`,
/// `read` and `close` cost ~3.6 µs more than its `stat` (N = 10,000: 2.9 s of system time
/// for 800,012 files), about what SHA-1 takes for 8 KiB beyond the copy and comparison a
/// read needs. A file-per-app tree (8,012 files of ~17 KiB at N = 1,000), all hashed,
/// took 0.60 s in the bench against 0.48 s read; by hand, five alternating runs, user time
/// 1.00 s all hashed, 0.90 s with this limit, 0.95 s all read.
const HASHED_BYTES: usize = 8 << 10;
/// The largest config file looked at; a larger one is taken to convert.
const MAX_CONFIG: u64 = 1 << 20;

/// The files of an output directory that Git's index vouches for.
pub struct Checkout {
    /// Hash of a path relative to the output directory → seal of (object name, stat).
    entries: Entries,
}

impl Checkout {
    /// Git's index of the checkout holding `dir`, as far as it speaks for `dir`; `None`
    /// where there is none or it cannot be relied on (see the module docs).
    pub fn find(dir: &Path) -> Option<Checkout> {
        const ELSEWHERE: [&str; 6] = [
            "GIT_DIR",
            "GIT_WORK_TREE",
            "GIT_INDEX_FILE",
            "GIT_COMMON_DIR",
            "GIT_CONFIG_PARAMETERS",
            "GIT_CONFIG_COUNT",
        ];
        if ELSEWHERE.iter().any(|v| std::env::var_os(v).is_some()) {
            return None;
        }
        let dir = dir.canonicalize().ok()?;
        let (worktree, git_dir) = repository_of(&dir)?;
        let common = common_dir(&git_dir);
        let attributes = [&git_dir, &common].map(|d| d.join("info").join("attributes"));
        if attributes.iter().any(|a| a.exists()) {
            return None;
        }
        let mut configs = vec![
            git_dir.join("config.worktree"),
            common.join("config"),
            common.join("config.worktree"),
        ];
        configs.extend(user_configs());
        if configs.iter().any(|c| may_convert(c)) {
            return None;
        }
        let prefix = relative(&dir, &worktree)?;
        let file = fs::File::open(git_dir.join("index")).ok()?;
        let written = modified(&file.metadata().ok()?)?;
        let entries = read_index(file, &prefix, written).ok()??;
        Some(Checkout { entries })
    }

    /// The stat of the file at `path` (relative to the output directory) if Git's index
    /// vouches that it holds exactly `bytes`. `stat` (not following a symlink) is asked
    /// only if the index has the file.
    pub fn vouches(
        &self,
        path: &str,
        bytes: &[u8],
        stat: impl FnOnce() -> Option<Stat>,
    ) -> Option<Stat> {
        let sealed = *self.entries.get(&xxh3_64(path.as_bytes()))?;
        let stat = stat()?;
        (seal(&object_name(bytes), stat.git_words()) == sealed).then_some(stat)
    }
}

/// Git's index of an output directory, read on a thread of its own from the start of a
/// render, beside its first tenants.
pub struct Later {
    reading: Mutex<Option<JoinHandle<Option<Checkout>>>>,
    read: OnceLock<Option<Checkout>>,
    vouched: AtomicUsize,
}

impl Later {
    /// Start reading the index of the checkout holding the output directory `dir`.
    pub fn new(dir: &Path) -> Later {
        let dir = dir.to_path_buf();
        Later {
            reading: Mutex::new(Some(std::thread::spawn(move || Checkout::find(&dir)))),
            read: OnceLock::new(),
            vouched: AtomicUsize::new(0),
        }
    }

    /// The index, waited for (the first files judged come ~0.1 s before it is read at
    /// N = 10,000; reading them instead would make what the summary counts vary).
    fn checkout(&self) -> Option<&Checkout> {
        self.read
            .get_or_init(|| {
                let thread = self
                    .reading
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                thread.and_then(|t| t.join().ok().flatten())
            })
            .as_ref()
    }

    /// The stat of the file at `path` if Git's index vouches that it holds exactly `bytes`
    /// (see [`Checkout::vouches`]).
    pub fn vouches(
        &self,
        path: &str,
        bytes: &[u8],
        stat: impl FnOnce() -> Option<Stat>,
    ) -> Option<Stat> {
        if bytes.len() > HASHED_BYTES {
            return None;
        }
        let stat = self.checkout()?.vouches(path, bytes, stat)?;
        self.vouched.fetch_add(1, Ordering::Relaxed);
        Some(stat)
    }

    /// How many files Git's index vouched for.
    pub fn vouched(&self) -> usize {
        self.vouched.load(Ordering::Relaxed)
    }
}

/// Git's object name of a blob holding `bytes`.
fn object_name(bytes: &[u8]) -> ObjectName {
    let mut h = Sha1::new();
    h.update(format!("blob {}\0", bytes.len()).as_bytes());
    h.update(bytes);
    h.finalize().into()
}

/// One hash of an object name and a stat as Git keeps it (see [`Stat::git_words`]).
fn seal(name: &ObjectName, words: [u32; 6]) -> u64 {
    let mut bytes = [0u8; 20 + 6 * 4];
    bytes[..20].copy_from_slice(name);
    for (at, w) in bytes[20..].chunks_exact_mut(4).zip(words) {
        at.copy_from_slice(&w.to_le_bytes());
    }
    xxh3_64(&bytes)
}

/// The worktree and Git directory of the repository holding `dir`: the nearest ancestor
/// with a `.git` folder, or a `.git` file naming one (a linked worktree, a submodule).
fn repository_of(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    for at in dir.ancestors() {
        let dot_git = at.join(".git");
        let Ok(meta) = fs::metadata(&dot_git) else {
            continue;
        };
        let git_dir = if meta.is_dir() {
            dot_git
        } else {
            let text = read_capped(&dot_git, 4096)?;
            let named = text.strip_prefix("gitdir:")?.trim();
            at.join(named)
        };
        return Some((at.to_path_buf(), git_dir));
    }
    None
}

/// Where a linked worktree's repository keeps what its worktrees share (`commondir`).
fn common_dir(git_dir: &Path) -> PathBuf {
    match read_capped(&git_dir.join("commondir"), 4096) {
        Some(named) => git_dir.join(named.trim()),
        None => git_dir.to_path_buf(),
    }
}

/// The global and system config files Git would read.
fn user_configs() -> Vec<PathBuf> {
    let var = |v: &str| std::env::var_os(v).map(PathBuf::from);
    let mut files = Vec::new();
    files.extend(var("GIT_CONFIG_GLOBAL"));
    files.extend(var("GIT_CONFIG_SYSTEM"));
    files.push(PathBuf::from("/etc/gitconfig"));
    if let Some(home) = var("HOME") {
        files.push(home.join(".gitconfig"));
        files.push(home.join(".config/git/config"));
    }
    files.extend(var("XDG_CONFIG_HOME").map(|x| x.join("git/config")));
    files
}

/// Could the config file at `path` make a checkout's files differ from their objects? Read
/// loosely and erring towards yes: any `autocrlf` other than false, an attributes file, an
/// include (whose file is not looked at), an object format other than SHA-1.
fn may_convert(path: &Path) -> bool {
    let Ok(meta) = fs::metadata(path) else {
        return false;
    };
    if meta.len() > MAX_CONFIG {
        return true;
    }
    let Some(text) = read_capped(path, MAX_CONFIG) else {
        return true;
    };
    text.lines().any(|line| {
        let line = line.trim().to_ascii_lowercase();
        if let Some(section) = line.strip_prefix('[') {
            return section.trim_start().starts_with("include");
        }
        let (key, value) = line.split_once('=').unwrap_or((&line, "true"));
        let value = value.split(['#', ';']).next().unwrap_or("").trim();
        match key.trim() {
            "autocrlf" => !matches!(value, "false" | "no" | "off" | "0"),
            "attributesfile" => true,
            "objectformat" => value != "sha1",
            _ => false,
        }
    })
}

fn read_capped(path: &Path, cap: u64) -> Option<String> {
    let mut text = String::new();
    fs::File::open(path)
        .ok()?
        .take(cap)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

/// `dir` relative to `worktree` as a `/` path (`""`: the worktree itself).
fn relative(dir: &Path, worktree: &Path) -> Option<String> {
    let rel = dir.strip_prefix(worktree).ok()?;
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    Some(parts?.join("/"))
}

/// The modification time of the index file: Git's "timestamp" of the index.
#[cfg(unix)]
fn modified(meta: &fs::Metadata) -> Option<(u32, u32)> {
    use std::os::unix::fs::MetadataExt;
    Some((u32::try_from(meta.mtime()).ok()?, meta.mtime_nsec() as u32))
}

/// Without inodes and change times a stat vouches for nothing.
#[cfg(not(unix))]
fn modified(_: &fs::Metadata) -> Option<(u32, u32)> {
    None
}

/// Is `path` a `.gitattributes` that applies to files under `prefix` (in a folder on the
/// way to it, or in one inside it)?
fn attributes_apply(path: &[u8], prefix: &str) -> bool {
    let (dir, name) = match path.iter().rposition(|&b| b == b'/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (&[][..], path),
    };
    if name != b".gitattributes" {
        return false;
    }
    let prefix = prefix.as_bytes();
    let under = |a: &[u8], b: &[u8]| a.is_empty() || b == a || b.starts_with(&[a, b"/"].concat());
    under(dir, prefix) || under(prefix, dir)
}

/// The entries of the index read from `file` for files under the folder `prefix`, keyed
/// by their path below it; `None` if the index is of a kind not relied on, or a
/// `.gitattributes` applies to the folder. `written` is the index file's modification time.
fn read_index(file: impl Read, prefix: &str, written: (u32, u32)) -> io::Result<Option<Entries>> {
    let mut r = BufReader::with_capacity(1 << 18, file);
    let mut header = [0u8; 12];
    r.read_exact(&mut header)?;
    let version = be32(&header[4..8]);
    let count = be32(&header[8..12]);
    if &header[..4] != b"DIRC" || !(2..=4).contains(&version) || count > MAX_ENTRIES {
        return Ok(None);
    }
    let under = if prefix.is_empty() {
        Vec::new()
    } else {
        format!("{prefix}/").into_bytes()
    };
    let mut entries = Entries::default();
    // Most of a checkout's index is usually the tree's.
    entries.reserve(count.min(1 << 20) as usize);
    let mut path = Vec::new();
    for _ in 0..count {
        let Some(entry) = read_entry(&mut r, version, &mut path)? else {
            return Ok(None);
        };
        if attributes_apply(&path, prefix) {
            return Ok(None);
        }
        if entry.counts(written) {
            if let Some(rel) = path.strip_prefix(under.as_slice()) {
                entries.insert(xxh3_64(rel), seal(&entry.name, entry.words));
            }
        }
    }
    // A split index keeps most entries in a shared index this file only amends.
    let mut rest = Vec::new();
    r.take(MAX_EXTENSIONS).read_to_end(&mut rest)?;
    let mut at = 0;
    while rest.len() >= at + 8 + 20 {
        let size = be32(&rest[at + 4..at + 8]) as usize;
        if &rest[at..at + 4] == b"link" {
            return Ok(None);
        }
        at += 8 + size;
    }
    Ok(Some(entries))
}

/// What an index entry says, with its flags.
struct Entry {
    name: ObjectName,
    /// Size, change time, modification time (seconds, nanoseconds) and inode.
    words: [u32; 6],
    mode: u32,
    flags: u16,
    extended: u16,
}

impl Entry {
    /// Does the entry vouch for a file: a regular file at stage 0, neither assumed
    /// unchanged, skipped in the worktree nor intent-to-add, and modified before the index
    /// was `written`?
    fn counts(&self, written: (u32, u32)) -> bool {
        const ASSUME_VALID: u16 = 0x8000;
        const STAGE: u16 = 0x3000;
        const SKIP_WORKTREE: u16 = 0x4000;
        const INTENT_TO_ADD: u16 = 0x2000;
        self.mode & 0o170000 == 0o100000
            && self.flags & (ASSUME_VALID | STAGE) == 0
            && self.extended & (SKIP_WORKTREE | INTENT_TO_ADD) == 0
            && (self.words[3], self.words[4]) < written
    }
}

/// Read one entry, its path into `path` (which holds the previous entry's, for version
/// 4's prefix compression); `None` if it is malformed.
fn read_entry(r: &mut impl BufRead, version: u32, path: &mut Vec<u8>) -> io::Result<Option<Entry>> {
    const EXTENDED: u16 = 0x4000;
    let mut fixed = [0u8; 62];
    r.read_exact(&mut fixed)?;
    let w = |i: usize| be32(&fixed[i * 4..i * 4 + 4]);
    let flags = u16::from_be_bytes([fixed[60], fixed[61]]);
    let mut extended = 0;
    let mut start = 62;
    if flags & EXTENDED != 0 {
        if version < 3 {
            return Ok(None);
        }
        let mut more = [0u8; 2];
        r.read_exact(&mut more)?;
        extended = u16::from_be_bytes(more);
        start += 2;
    }
    if version == 4 {
        let strip = varint(r)?;
        let Some(keep) = path.len().checked_sub(strip) else {
            return Ok(None);
        };
        path.truncate(keep);
    } else {
        path.clear();
    }
    let before = path.len();
    r.take(MAX_PATH).read_until(0, path)?;
    // A version 4 path is the previous one's prefix and a suffix: bounded as a whole.
    if path.pop() != Some(0) || path.len() > MAX_PATH as usize {
        return Ok(None);
    }
    if version < 4 {
        // Versions 2 and 3 pad each entry with 1–8 NULs to a multiple of 8 bytes.
        let len = start + path.len() - before;
        let pad = ((len + 8) & !7) - len - 1;
        let mut nuls = [0u8; 8];
        r.read_exact(&mut nuls[..pad])?;
    }
    let mut name = [0u8; 20];
    name.copy_from_slice(&fixed[40..60]);
    Ok(Some(Entry {
        name,
        words: [w(9), w(0), w(1), w(2), w(3), w(5)],
        mode: w(6),
        flags,
        extended,
    }))
}

/// Version 4's path-prefix length: Git's offset encoding (7 bits a byte, most significant
/// first, each continuation adding one).
fn varint(r: &mut impl Read) -> io::Result<usize> {
    let mut byte = [0u8; 1];
    r.read_exact(&mut byte)?;
    let mut value = usize::from(byte[0] & 0x7f);
    while byte[0] & 0x80 != 0 {
        r.read_exact(&mut byte)?;
        value = value
            .checked_add(1)
            .and_then(|v| v.checked_mul(128))
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "prefix too long"))?
            + usize::from(byte[0] & 0x7f);
    }
    Ok(value)
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::process::Command;
    use std::time::{Duration, SystemTime};

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE")
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8(out.stdout).expect("utf-8")
    }

    fn write_aged(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write");
        let ago = SystemTime::now() - Duration::from_secs(10);
        fs::File::options()
            .write(true)
            .open(path)
            .and_then(|f| f.set_modified(ago))
            .expect("age");
    }

    /// A repository with files in `tree/` and beside it, all added; an executable, a
    /// symlink, a file intent-to-add; files dated ten seconds back (not racily clean).
    fn repository() -> tempfile::TempDir {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path();
        git(p, &["init", "-q"]);
        write_aged(&p.join("tree/a.yaml"), "a: 1\n");
        write_aged(&p.join("tree/sub/b.yaml"), "b: 2\n");
        write_aged(&p.join("tree/run.sh"), "#!/bin/sh\n");
        fs::set_permissions(p.join("tree/run.sh"), fs::Permissions::from_mode(0o755))
            .expect("chmod");
        write_aged(&p.join("treehouse.txt"), "beside\n");
        write_aged(&p.join("outside.txt"), "outside\n");
        std::os::unix::fs::symlink("a.yaml", p.join("tree/link")).expect("symlink");
        git(p, &["add", "-A"]);
        dir
    }

    /// What the index should say of the files under `tree/`: regular files only.
    fn expected(repo: &Path) -> Entries {
        let mut entries = Entries::default();
        for rel in ["a.yaml", "sub/b.yaml", "run.sh"] {
            let path = repo.join("tree").join(rel);
            let bytes = fs::read(&path).expect("read");
            let name = object_name(&bytes);
            let hashed = git(repo, &["hash-object", path.to_str().expect("utf-8")]);
            assert_eq!(hashed.trim(), hex(&name), "Git's object name of {rel}");
            let stat = Stat::of(&fs::symlink_metadata(&path).expect("stat"));
            entries.insert(xxh3_64(rel.as_bytes()), seal(&name, stat.git_words()));
        }
        entries
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn read(repo: &Path, prefix: &str) -> Option<Entries> {
        let index = repo.join(".git/index");
        let written = modified(&fs::metadata(&index).expect("index")).expect("mtime");
        read_index(fs::File::open(index).expect("open"), prefix, written).expect("reads")
    }

    fn version(repo: &Path) -> u8 {
        fs::read(repo.join(".git/index")).expect("index")[7]
    }

    #[test]
    fn reads_every_index_version_git_writes() {
        let repo = repository();
        let p = repo.path();
        let want = expected(p);
        for v in ["2", "4"] {
            git(p, &["update-index", "--index-version", v]);
            assert_eq!(version(p).to_string(), v);
            assert!(read(p, "tree") == Some(want.clone()), "version {v}");
        }
        // Intent-to-add sets an extended flag, which only version 3 and later hold.
        write_aged(&p.join("tree/new.yaml"), "new: 3\n");
        git(p, &["add", "-N", "tree/new.yaml"]);
        for v in ["3", "4"] {
            git(p, &["update-index", "--index-version", v]);
            assert_eq!(version(p).to_string(), v);
            assert!(read(p, "tree") == Some(want.clone()), "version {v}");
        }
        // The whole worktree: keys are paths from its root.
        let whole = read(p, "").expect("index");
        assert!(whole.contains_key(&xxh3_64(b"outside.txt")));
        assert!(whole.contains_key(&xxh3_64(b"tree/a.yaml")));
        assert!(!whole.contains_key(&xxh3_64(b"a.yaml")));
        assert_eq!(
            whole.len(),
            5,
            "regular files, not intent-to-add or a symlink"
        );
    }

    #[test]
    fn racily_clean_entries_do_not_count() {
        let repo = repository();
        let p = repo.path();
        let index = p.join(".git/index");
        let file = fs::File::open(&index).expect("open");
        let written = modified(&file.metadata().expect("meta")).expect("mtime");
        let a = Stat::of(&fs::metadata(p.join("tree/a.yaml")).expect("stat")).git_words();
        // Dated at the second and nanosecond of a file's modification: that file is racy.
        let at = (a[3], a[4]);
        assert!(at < written);
        let entries = read_index(file, "tree", at).expect("reads").expect("index");
        assert!(!entries.contains_key(&xxh3_64(b"a.yaml")));
        assert_eq!(entries.len(), 0, "the others were modified after it");
    }

    #[test]
    fn attributes_on_the_way_to_the_tree_or_inside_it_refuse_the_index() {
        let repo = repository();
        let p = repo.path();
        for (at, refused) in [
            ("docs/.gitattributes", false),
            ("treehouse/.gitattributes", false),
            ("tree/sub/.gitattributes", true),
            ("tree/.gitattributes", true),
            (".gitattributes", true),
        ] {
            write_aged(&p.join(at), "* -text\n");
            git(p, &["add", at]);
            assert_eq!(read(p, "tree").is_none(), refused, "{at}");
            git(p, &["rm", "-q", "--cached", at]);
        }
        assert!(read(p, "tree").is_some());
    }

    #[test]
    fn a_split_index_is_no_index() {
        let repo = repository();
        let p = repo.path();
        git(p, &["update-index", "--split-index"]);
        assert!(read(p, "tree").is_none());
        git(p, &["update-index", "--no-split-index"]);
        assert!(read(p, "tree").is_some());
    }

    #[test]
    fn configs_that_may_convert() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("config");
        for (text, converts) in [
            ("[core]\n\tautocrlf = false\n\tbare = false\n", false),
            ("[core]\n\tAutoCRLF = input\n", true),
            ("[core]\n\tautocrlf\n", true),
            ("[core]\n\tattributesFile = ~/.attrs\n", true),
            ("[include]\n\tpath = other\n", true),
            ("[includeIf \"gitdir:~/w/\"]\n\tpath = other\n", true),
            ("[extensions]\n\tobjectFormat = sha256\n", true),
            ("[extensions]\n\tobjectformat = sha1\n", false),
        ] {
            fs::write(&config, text).expect("write");
            assert_eq!(may_convert(&config), converts, "{text}");
        }
        assert!(!may_convert(&dir.path().join("missing")));
    }

    /// A version 4 index whose paths each keep all of the previous one (strip 0) and add
    /// 1,000 bytes: refused once a path is past the longest path, not grown without end.
    #[test]
    fn a_path_growing_without_end_is_refused() {
        let entries = 1_000u32;
        let mut index = b"DIRC".to_vec();
        index.extend(4u32.to_be_bytes());
        index.extend(entries.to_be_bytes());
        for _ in 0..entries {
            let mut fixed = [0u8; 62];
            fixed[24..28].copy_from_slice(&0o100644u32.to_be_bytes());
            fixed[60..62].copy_from_slice(&0x0fffu16.to_be_bytes());
            index.extend(fixed);
            index.push(0);
            index.extend([b'a'; 1000]);
            index.push(0);
        }
        let mut path = Vec::new();
        let mut r = &index[12..];
        for _ in 0..4 {
            assert!(read_entry(&mut r, 4, &mut path).expect("reads").is_some());
        }
        assert_eq!(path.len(), 4000);
        assert!(read_entry(&mut r, 4, &mut path).expect("reads").is_none());
        assert!(matches!(
            read_index(&index[..], "", (u32::MAX, 0)),
            Ok(None)
        ));
    }

    #[test]
    fn malformed_indexes_are_no_index_and_never_a_panic() {
        let repo = repository();
        let p = repo.path();
        for v in ["2", "4"] {
            git(p, &["update-index", "--index-version", v]);
            let bytes = fs::read(p.join(".git/index")).expect("index");
            // Cut anywhere: never a panic; cut within its six entries, never an index.
            for len in 0..bytes.len() {
                let cut = read_index(&bytes[..len], "tree", (u32::MAX, 0));
                assert!(len >= 12 + 62 * 6 || !matches!(cut, Ok(Some(_))), "{len}");
            }
            for (at, byte) in [(0, b'X'), (7, 5), (8, 0xff)] {
                let mut bad = bytes.clone();
                bad[at] = byte;
                assert!(matches!(
                    read_index(&bad[..], "tree", (u32::MAX, 0)),
                    Ok(None)
                ));
            }
            // Every byte of the entries flipped in turn: read or refused, never a panic.
            for at in 12..bytes.len() {
                let mut bad = bytes.clone();
                bad[at] ^= 0xa5;
                let _ = read_index(&bad[..], "tree", (u32::MAX, 0));
            }
        }
    }
}
