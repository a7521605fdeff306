//! The file system side of trees: read one, and write one atomically without ever touching a
//! file the tool does not own.
//!
//! Safety rules, in order: everything is checked before anything is written (a file without
//! the generated header where a generated file would go, a directory or symlink in the way,
//! all stop the write with every offending path named); new contents are written to
//! temporary siblings first and only then renamed over their targets; stale files are pruned
//! only when they carry the header; files whose bytes did not change are not touched.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::diagnostic::{partition, Diagnostic, Diagnostics};
use crate::manifest::is_generated;
use crate::source::{Location, MAX_FILE_BYTES};

use super::at::Dirs;
use super::checkout::Later;
pub use super::guard::WriteLock;
use super::known::{Known, Stat, Vouch};
use super::layout::duplicate_path;
use super::unrendered::unrendered;
use super::{Scope, Tree};

/// Read every file under `dir` (relative `/` paths → bytes). A missing directory is empty.
/// Symlinks are not followed; dot-files and dot-directories are skipped. Files are read in
/// parallel: a tree has tens of thousands of small files.
pub fn read_tree(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, Diagnostics> {
    read_files(dir, list_files(dir)?)
}

/// Read the files `paths` (relative to `dir`, as [`list_files`] gives them), in parallel.
pub fn read_files(
    dir: &Path,
    paths: impl IntoIterator<Item = String>,
) -> Result<BTreeMap<String, Vec<u8>>, Diagnostics> {
    let paths: Vec<String> = paths.into_iter().collect();
    let read: Vec<Result<(String, Vec<u8>), Diagnostics>> = paths
        .into_par_iter()
        .map(|rel| {
            let path = dir.join(&rel);
            read_capped(&path)
                .map(|b| (rel, b))
                .map_err(|err| read_failed(&path, &err))
        })
        .collect();
    let (files, diags) = partition(read);
    diags.into_result(files.into_iter().collect())
}

/// An output directory that a render is compared with file by file as it renders (`render
/// --check`, `diff --against`, and the write's [`Output`]): neither the rendered tree nor the
/// directory's is held whole, only the files that differ. It is not listed first: each
/// rendered file is looked up at its path, and the directory's other files are searched for
/// once the render is done (see [`unrendered`]), reading only the directories the stat index
/// does not vouch for.
pub struct OnDisk {
    dir: PathBuf,
    /// Its directories, opened to look up the files in them.
    dirs: Dirs,
    /// What the directory's stat index vouches for (see [`Known`]).
    known: Known,
    /// What Git's index vouches for, where there is no stat index (a fresh clone).
    git: Option<Later>,
}

/// A render against a directory, less the files with the same bytes on both sides.
#[derive(Debug)]
pub struct Drift {
    /// Rendered files the directory does not hold with the same bytes.
    pub changed: BTreeMap<String, Vec<u8>>,
    /// The directory's files, except those rendered with the same bytes.
    pub others: BTreeMap<String, Vec<u8>>,
    /// How many files were rendered.
    pub rendered: usize,
}

impl OnDisk {
    /// The directory `dir` to compare with, read-only (a missing directory is empty).
    pub fn open(dir: &Path) -> Result<OnDisk, Diagnostics> {
        if fs::metadata(dir).is_ok_and(|m| !m.is_dir()) {
            return Err(Diagnostic::error(
                "read-failed",
                format!("cannot read {}: Not a directory", dir.display()),
            )
            .into());
        }
        Ok(OnDisk::with(dir, Known::load(dir)?, true))
    }

    /// `compares`: files will be compared with the directory's (it is not fresh).
    fn with(dir: &Path, known: Known, compares: bool) -> OnDisk {
        // Only without a stat index: with one, the files it cannot vouch for are mostly
        // files whose bytes changed, which Git's index cannot vouch for either, and reading
        // it would cost every re-render of a changed estate (~0.3 s of CPU at N = 10,000).
        let git = (compares && known.entries() == 0).then(|| Later::new(dir));
        OnDisk {
            dir: dir.to_path_buf(),
            dirs: Dirs::new(dir),
            known,
            git,
        }
    }

    /// How many files Git's index vouched for.
    pub fn vouched_by_git(&self) -> usize {
        self.git.as_ref().map_or(0, Later::vouched)
    }

    /// Where the file at relative `path` is.
    pub fn target(&self, path: &str) -> PathBuf {
        self.dir.join(path)
    }

    /// About how many files the directory holds, as its stat index knows it (a capacity
    /// hint: 0 without an index).
    pub fn expected_files(&self) -> usize {
        self.known.entries()
    }

    /// `bytes` unless the directory holds exactly them at `path`. Thread-safe: called on
    /// the thread that rendered the file.
    pub fn differing(&self, path: &str, bytes: Vec<u8>) -> Option<Vec<u8>> {
        let same = matches!(self.current(path, &bytes), Some(Current::Same));
        (!same).then_some(bytes)
    }

    /// What the file at `path` holds compared with `bytes`: vouched for by the stat index,
    /// else read; `None` if there is no regular file at `path`.
    fn current(&self, path: &str, bytes: &[u8]) -> Option<Current> {
        match self.known.vouch(path, bytes, || self.dirs.stat(path)) {
            Vouch::Same => Some(Current::Same),
            Vouch::Read(pending) => {
                let git = self.git.as_ref();
                if let Some(stat) =
                    git.and_then(|g| g.vouches(path, bytes, || self.dirs.stat(path)))
                {
                    self.known.learn(pending, true, Some(stat));
                    return Some(Current::Same);
                }
                let found = self.compare_file(path, bytes);
                let same = matches!(found, Some((Current::Same, _)));
                self.known
                    .learn(pending, same, found.as_ref().and_then(|f| f.1));
                found.map(|f| f.0)
            }
        }
    }

    /// The regular files under the directory that `rendered` (sorted relative paths) does
    /// not name, sorted.
    fn unrendered(&self, rendered: &[String]) -> Result<Vec<String>, Diagnostics> {
        let walk = unrendered(&self.dir, rendered, &self.known);
        let mut diags = Diagnostics::new();
        for (path, err) in walk.errors {
            diags.extend(read_failed(&path, &err));
        }
        diags.into_result(walk.files)
    }

    /// The rendered files with their [`OnDisk::differing`] verdicts, and the directory's
    /// other files read: two rendered files at one path are an error.
    pub fn drift(
        &self,
        rendered: impl IntoIterator<Item = (String, Option<Vec<u8>>)>,
    ) -> Result<Drift, Diagnostics> {
        let mut changed = BTreeMap::new();
        let mut paths = Vec::new();
        for (path, bytes) in rendered {
            if let Some(bytes) = bytes {
                changed.insert(path.clone(), bytes);
            }
            paths.push(path);
        }
        let count = paths.len();
        sorted_once(&mut paths)?;
        let mut others = read_files(&self.dir, self.unrendered(&paths)?)?;
        crate::free_in_background(paths);
        // The changed files the directory holds too, as they are now.
        let held: Vec<Option<(String, Vec<u8>)>> = changed
            .par_iter()
            .map(|(path, _)| {
                self.read_regular(path)
                    .map(|held| held.map(|bytes| (path.clone(), bytes)))
                    .map_err(|err| read_failed(&self.target(path), &err))
            })
            .collect::<Result<_, _>>()?;
        others.extend(held.into_iter().flatten());
        Ok(Drift {
            changed,
            others,
            rendered: count,
        })
    }

    /// Compare the file at `path` with `bytes`, reading at most one byte more than `bytes`,
    /// with the stat of the opened file taken before it was read (for the stat index);
    /// `None` if there is no regular file at `path`.
    fn compare_file(&self, path: &str, bytes: &[u8]) -> Option<(Current, Option<Stat>)> {
        use std::io::Read as _;
        let (file, stat) = match self.dirs.open_regular(path) {
            Ok(Some(found)) => found,
            Ok(None) => return None,
            Err(_) => return Some((Current::Unowned, None)),
        };
        READ_BUF.with_borrow_mut(|buf| {
            buf.clear();
            let current = match file.take(bytes.len() as u64 + 1).read_to_end(buf) {
                Ok(_) if buf.as_slice() == bytes => Current::Same,
                Ok(_) if super::is_owned(path, buf) => Current::Generated,
                _ => Current::Unowned,
            };
            Some((current, Some(stat)))
        })
    }

    /// The bytes of the regular file at `path`; `None` if there is none.
    fn read_regular(&self, path: &str) -> std::io::Result<Option<Vec<u8>>> {
        use std::io::Read as _;
        let Some((file, _)) = self.dirs.open_regular(path)? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        file.take(MAX_FILE_BYTES as u64 + 1)
            .read_to_end(&mut bytes)?;
        if bytes.len() > MAX_FILE_BYTES {
            return Err(too_large());
        }
        Ok(Some(bytes))
    }
}

/// Sort the rendered paths `paths`: a path rendered twice is an error.
fn sorted_once(paths: &mut [String]) -> Result<(), Diagnostics> {
    // Sorted, the rendered paths show their duplicates side by side, and give each
    // directory's entries side by side for the search of the files the tree no longer has.
    paths.par_sort_unstable();
    let mut diags = Diagnostics::new();
    for pair in paths.windows(2).filter(|p| p[0] == p[1]) {
        diags.push(duplicate_path(&pair[1]));
    }
    diags.into_result(())
}

fn too_large() -> std::io::Error {
    std::io::Error::other(format!(
        "larger than the {} MiB limit of a file in the tree",
        MAX_FILE_BYTES >> 20
    ))
}

/// The bytes of the file at `path`, refused past [`MAX_FILE_BYTES`] before it is read (a
/// planted 20 GB sparse file in the output folder costs one `stat`).
fn read_capped(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let file = fs::File::open(path)?;
    if file.metadata()?.len() > MAX_FILE_BYTES as u64 {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

/// The first line of the file at `path` (with its line break), read no further: all that
/// ownership needs of a file the render may prune.
fn first_line(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read as _;
    let mut head = Vec::new();
    fs::File::open(path)
        .ok()?
        .take(4096)
        .read_to_end(&mut head)
        .ok()?;
    let end = head
        .iter()
        .position(|&b| b == b'\n')
        .map_or(head.len(), |i| i + 1);
    head.truncate(end);
    Some(head)
}

fn read_failed(path: &Path, err: &std::io::Error) -> Diagnostics {
    Diagnostic::error(
        "read-failed",
        format!("cannot read {}: {err}", path.display()),
    )
    .into()
}

/// The regular files under `dir` as sorted relative `/` paths, without reading them (see
/// [`walk`](super::walk::walk)). A missing directory is empty.
pub fn list_files(dir: &Path) -> Result<Vec<String>, Diagnostics> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let walk = super::walk::walk(dir);
    let mut diags = Diagnostics::new();
    for (path, err) in walk.errors {
        diags.extend(read_failed(&path, &err));
    }
    // Nearly sorted already (a walk by name and the order of whole paths differ only where
    // a name is a sibling's prefix followed by a character before `/`, like `-` or `.`), so
    // this costs little more than a pass.
    let mut files = walk.files;
    files.sort_unstable();
    diags.into_result(files)
}

/// What a write will do, decided before anything is written.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct WritePlan {
    /// Files to create or replace, with their new bytes.
    pub writes: Vec<(String, Vec<u8>)>,
    /// Generated files no longer rendered.
    pub prunes: Vec<String>,
    /// Files already up to date.
    pub unchanged: usize,
    /// Files in scope without the header that the tree does not need: left alone.
    pub kept: Vec<String>,
    /// Files already created in the staging folder of a fresh write ([`Output`]), to be
    /// moved into place with it.
    pub staged: Vec<String>,
}

impl WritePlan {
    /// Files the tree has (written or already up to date).
    pub fn files(&self) -> usize {
        self.written() + self.unchanged
    }

    /// Files this write creates or replaces.
    pub fn written(&self) -> usize {
        self.writes.len() + self.staged.len()
    }
}

/// What one file of a tree means for its target, judged before anything is written.
pub enum Judged {
    Unchanged,
    /// The new bytes, to be written.
    Write(Vec<u8>),
    /// Created in the staging folder of a fresh write: nothing is kept.
    Staged,
    /// Boxed: every file of the estate is judged and its verdict held until the plan, and
    /// an inline diagnostic would make each verdict seven times the size.
    Blocked(Box<Diagnostic>),
}

fn blocked(d: Diagnostic) -> Judged {
    Judged::Blocked(Box::new(d))
}

/// The output directory as found before a write: every check of a target is made against it.
pub struct Output {
    on_disk: OnDisk,
    /// Set when the directory held nothing a render could replace: files are then created
    /// in the staging folder as they are judged, instead of being kept until the plan.
    fresh: Option<Fresh>,
}

/// A write into an empty directory in progress: the staging folder
/// (`out/.gitops-render-fresh.tmp`, named in the journal before anything is created in it)
/// receives each file under its own name on the thread that rendered it, so a first render
/// of any size holds no file's bytes; [`apply`] renames its top-level folders into place, and
/// a refused render removes it ([`Output::abandon`]). Each file is therefore absent or whole
/// in the tree at every moment, and an interrupted render leaves only the staging folder,
/// which `render --check` reports and the next render removes.
struct Fresh {
    stage: PathBuf,
    /// The cache folder did not exist: a refused render removes it again.
    cache_created: bool,
    /// Folders already created in the stage (each file's parent is created once).
    dirs: std::sync::Mutex<std::collections::HashSet<String>>,
}

/// The fresh writes in progress in this process (staging folder → whether its cache folder
/// was created by the write), so that a run stopped by its memory budget can take them back
/// first ([`abandon_in_progress`]). A file is created in a stage only while its write is
/// listed here, under the read lock: once a stage is taken back nothing can be created in
/// it again.
static IN_PROGRESS: std::sync::RwLock<BTreeMap<PathBuf, bool>> =
    std::sync::RwLock::new(BTreeMap::new());

/// Take back every fresh write in progress (see [`Output::abandon`]), for a process about to
/// exit before its write is applied.
pub fn abandon_in_progress() {
    let mut writes = IN_PROGRESS
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for (stage, cache_created) in std::mem::take(&mut *writes) {
        abandon_stage(&stage, cache_created);
    }
}

/// Remove a fresh write's staging folder, its journal, and the cache folder if the write
/// made it: for a refused write, and for one that failed half way (`cache_created` false:
/// the cache stays with whatever the write already put in place).
fn abandon_stage(stage: &Path, cache_created: bool) {
    let Some(out) = stage.parent() else { return };
    let _ = fs::remove_dir_all(stage);
    super::guard::end_staging(out);
    if cache_created {
        let cache = out.join(super::known::CACHE_DIR);
        for name in [".gitignore", "CACHEDIR.TAG"] {
            let _ = fs::remove_file(cache.join(name));
        }
        let _ = fs::remove_dir(cache);
    }
}

/// Stop listing the fresh write staged in `stage`; true if it was listed.
fn unlist(stage: &Path) -> Option<bool> {
    IN_PROGRESS
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .remove(stage)
}

impl Fresh {
    fn begin(out: &Path) -> Result<Fresh, Diagnostics> {
        let failed = |e: std::io::Error, what: &Path| {
            Diagnostics::from(Diagnostic::error(
                "write-failed",
                format!("cannot write {}: {e}", what.display()),
            ))
        };
        let cache = out.join(super::known::CACHE_DIR);
        let cache_created = fs::symlink_metadata(&cache).is_err();
        super::guard::begin_staging(out, ["."]).map_err(|e| failed(e, &cache))?;
        let stage = out.join(super::guard::FRESH_STAGE);
        if let Err(e) = fs::create_dir(&stage) {
            super::guard::end_staging(out);
            return Err(failed(e, &stage));
        }
        IN_PROGRESS
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(stage.clone(), cache_created);
        Ok(Fresh {
            stage,
            cache_created,
            dirs: Default::default(),
        })
    }

    /// Create `path` (relative, confined) in the stage with `bytes`.
    fn create(&self, path: &str, bytes: &[u8]) -> std::io::Result<()> {
        let listed = IN_PROGRESS
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !listed.contains_key(&self.stage) {
            return Err(std::io::Error::other("the write was abandoned"));
        }
        if let Some((dir, _)) = path.rsplit_once('/') {
            let known = self
                .dirs
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .contains(dir);
            if !known {
                fs::create_dir_all(self.stage.join(dir))?;
                self.dirs
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(dir.to_owned());
            }
        }
        create_new(&self.stage.join(path), bytes)
    }
}

impl Output {
    /// The directory to write (missing is fine: it will be created); a file in its place is
    /// an error.
    pub fn open(dir: &Path) -> Result<Output, Diagnostics> {
        if dir.exists() && !dir.is_dir() {
            return Err(Diagnostic::error(
                "output-not-a-directory",
                format!("{} exists and is not a directory", dir.display()),
            )
            .into());
        }
        let known = Known::load_for_write(dir)?;
        let fresh = if is_fresh(dir) {
            Some(Fresh::begin(dir)?)
        } else {
            None
        };
        let on_disk = OnDisk::with(dir, known, fresh.is_none());
        Ok(Output { on_disk, fresh })
    }

    /// Where the file at `path` is until the write is applied: in the staging folder of a
    /// fresh write, else at its target.
    pub fn current_path(&self, path: &str) -> PathBuf {
        match &self.fresh {
            Some(fresh) => fresh.stage.join(path),
            None => self.on_disk.target(path),
        }
    }

    /// Take back what a fresh write staged, for a render that will not be applied (render
    /// or lint errors): the staging folder, the journal, and the cache folder if this write
    /// made it. The directory is as it was.
    pub fn abandon(&self) {
        let Some(fresh) = &self.fresh else { return };
        if unlist(&fresh.stage).is_some() {
            abandon_stage(&fresh.stage, fresh.cache_created);
        }
    }

    /// The directory, for reading files as they are.
    pub fn on_disk(&self) -> &OnDisk {
        &self.on_disk
    }

    /// Compare one file with its target. Thread-safe and called on the thread that rendered
    /// the file, so that only the bytes of files that change are kept.
    pub fn judge(&self, path: &str, bytes: Vec<u8>) -> Judged {
        if let Err(d) = super::confined(path) {
            return blocked(d);
        }
        if let Some(fresh) = &self.fresh {
            return match fresh.create(path, &bytes) {
                Ok(()) => Judged::Staged,
                // Two files at one path: reported as such by the plan.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Judged::Staged,
                Err(e) => blocked(Diagnostic::error(
                    "write-failed",
                    format!("cannot write {}: {e}", self.on_disk.target(path).display()),
                )),
            };
        }
        let on_disk = &self.on_disk;
        let current = match on_disk.current(path, &bytes) {
            Some(current) => current,
            None => match missing_target(&on_disk.dir, path) {
                Ok(false) => return Judged::Write(bytes),
                // Created since it was looked for.
                Ok(true) => on_disk
                    .compare_file(path, &bytes)
                    .map_or(Current::Unowned, |found| found.0),
                Err(blocked) => return blocked,
            },
        };
        judged(on_disk, path, current, bytes)
    }

    /// The stat index, with what judging and planning learned, for [`Known::save`] after the
    /// write.
    pub fn take_known(&mut self) -> Known {
        std::mem::take(&mut self.on_disk.known)
    }

    /// The plan for a tree whose files (in `scope`) were judged: every blocked target is an
    /// error, and generated files the tree no longer has are pruned.
    pub fn plan(
        &self,
        judged: impl IntoIterator<Item = (String, Judged), IntoIter: ExactSizeIterator>,
        scope: &Scope,
    ) -> Result<WritePlan, Diagnostics> {
        let judged = judged.into_iter();
        let mut plan = WritePlan::default();
        let mut diags = Diagnostics::new();
        let mut paths = Vec::with_capacity(judged.len());
        for (path, j) in judged {
            match j {
                Judged::Unchanged => plan.unchanged += 1,
                Judged::Write(bytes) => plan.writes.push((path.clone(), bytes)),
                Judged::Staged => plan.staged.push(path.clone()),
                Judged::Blocked(d) => diags.push(*d),
            }
            paths.push(path);
        }
        if let Err(dups) = sorted_once(&mut paths) {
            diags.extend(dups);
        }
        // Nothing will be written: what the tree no longer has does not matter.
        diags.into_result(())?;
        let stale: Vec<String> = self
            .on_disk
            .unrendered(&paths)?
            .into_iter()
            .filter(|path| scope.covers(path))
            .collect();
        crate::free_in_background(paths);
        let generated: Vec<bool> = stale
            .par_iter()
            .map(|path| {
                super::is_layout_path(path)
                    && first_line(&self.on_disk.target(path)).is_some_and(|b| is_generated(&b))
            })
            .collect();
        for (path, generated) in stale.into_iter().zip(generated) {
            if generated {
                plan.prunes.push(path);
            } else {
                plan.kept.push(path);
            }
        }
        plan.writes.sort_by(|a, b| a.0.cmp(&b.0));
        plan.staged.sort();
        Ok(plan)
    }
}

/// Decide the write of `tree` into `out`, refusing if it would overwrite anything not owned.
///
/// Each target is read once, in parallel, and compared with the new bytes; files the tree does
/// not name are read only when they are candidates for pruning.
pub fn plan_write(out: &Path, tree: Tree) -> Result<WritePlan, Diagnostics> {
    let output = Output::open(out)?;
    let judged: Vec<(String, Judged)> = tree
        .files
        .into_par_iter()
        .map(|(path, bytes)| {
            let j = output.judge(&path, bytes);
            (path, j)
        })
        .collect();
    output.plan(judged, &tree.scope)
}

/// Why there is no regular file to compare at a target: `Ok(false)` when nothing is there,
/// an error verdict when something else is in the way, `Ok(true)` when a file is there after
/// all (created since it was looked for, or not readable).
fn missing_target(out: &Path, path: &str) -> Result<bool, Judged> {
    let target = out.join(path);
    if let Some(blocker) = blocking_ancestor(out, path) {
        return Err(blocked(
            Diagnostic::error(
                "output-blocked",
                format!(
                    "cannot write {path}: {} is a file, not a directory",
                    blocker.display()
                ),
            )
            .help("move the file away; gitops-render never deletes files it did not generate"),
        ));
    }
    match fs::symlink_metadata(&target) {
        Ok(meta) if !meta.is_file() => Err(blocked(
            Diagnostic::error(
                "output-blocked",
                format!(
                    "cannot write {}: a {} is in the way",
                    target.display(),
                    if meta.is_dir() {
                        "directory"
                    } else if meta.file_type().is_symlink() {
                        "symlink"
                    } else {
                        "special file"
                    }
                ),
            )
            .help("move it away; gitops-render never replaces what it did not generate"),
        )),
        Ok(_) => Ok(true),
        Err(_) => Ok(false),
    }
}

/// The verdict on the target at `path` that holds `current` (its path is built only for an
/// error: judging an unchanged file allocates nothing more).
fn judged(on_disk: &OnDisk, path: &str, current: Current, bytes: Vec<u8>) -> Judged {
    match current {
        Current::Same => Judged::Unchanged,
        Current::Generated => Judged::Write(bytes),
        Current::Unowned => {
            let target = on_disk.target(path);
            blocked(
                Diagnostic::error(
                    "unowned-file",
                    format!(
                        "refusing to overwrite {}: it has no generated header, \
                     so it was not written by gitops-render",
                        target.display()
                    ),
                )
                .at(Location {
                    file: target.display().to_string(),
                    line: 1,
                    col: 1,
                    line_text: None,
                })
                .help("move or delete the hand-written file, or render to another --out directory"),
            )
        }
    }
}

/// What a target file holds compared with its new bytes.
enum Current {
    Same,
    /// Different bytes, with the generated header: ours to replace.
    Generated,
    /// Different bytes without the header, or unreadable.
    Unowned,
}

thread_local! {
    /// One read buffer per thread, reused for every file: a fresh allocation per file costs
    /// more than the read itself (the allocator hands out fresh pages the kernel must zero).
    static READ_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The first existing non-directory on the way to `rel` under `out`.
fn blocking_ancestor(out: &Path, rel: &str) -> Option<PathBuf> {
    let mut p = out.to_path_buf();
    let parts: Vec<&str> = rel.split('/').collect();
    for part in &parts[..parts.len().saturating_sub(1)] {
        p.push(part);
        match fs::symlink_metadata(&p) {
            Ok(m) if !m.is_dir() => return Some(p),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}

/// Carry out a plan: stage every new file as a temporary sibling, then rename them all into
/// place, then prune. A failure while staging removes what was staged and the directories
/// this write created, and leaves the previous tree untouched.
///
/// Every path is checked again here, whatever planned it: it must be confined to `out`
/// ([`super::confined`]) and no directory on its way may be a symlink (or anything but a
/// directory), so neither a template nor a symlink planted in the tree can make a write or a
/// prune land outside `out`.
pub fn apply(out: &Path, plan: &WritePlan) -> Result<(), Diagnostics> {
    let write_failed = |what: String| Diagnostics::from(Diagnostic::error("write-failed", what));
    // Each directory is checked and created once, not once per file in it.
    let mut dirs: BTreeSet<&str> = BTreeSet::new();
    let mut diags = Diagnostics::new();
    for path in plan.writes.iter().map(|(p, _)| p).chain(&plan.prunes) {
        match super::confined(path) {
            Ok(()) => {
                dirs.insert(path.rsplit_once('/').map_or("", |(d, _)| d));
            }
            Err(d) => diags.push(d),
        }
    }
    let mut real = BTreeSet::new();
    for dir in &dirs {
        if let Err(d) = real_dirs(out, dir, &mut real) {
            diags.push(d);
        }
    }
    diags.into_result(())?;
    if !plan.staged.is_empty() {
        return move_staged(out, plan);
    }
    // A fresh write that rendered nothing: its empty staging folder goes.
    let stage_root = out.join(super::guard::FRESH_STAGE);
    if let Some(cache_created) = unlist(&stage_root) {
        abandon_stage(&stage_root, cache_created);
    }
    if plan.prunes.is_empty() && !plan.writes.is_empty() && is_fresh(out) {
        return apply_fresh(out, plan, &dirs);
    }
    let mut created = Created::default();
    for dir in dirs.iter().filter(|d| !d.is_empty()) {
        if let Err(e) = created.create_all(out, dir) {
            created.undo();
            return Err(write_failed(format!(
                "cannot create {}: {e}",
                out.join(dir).display()
            )));
        }
    }
    // The journal names the folders staged into, so that a write killed before it ends
    // is cleaned up by the next one (see `guard`).
    if !plan.writes.is_empty() {
        if let Err(e) = super::guard::begin_staging(out, dirs.iter().copied()) {
            created.undo();
            return Err(write_failed(format!(
                "cannot record the write in {}: {e}",
                out.join(super::known::CACHE_DIR).display()
            )));
        }
    }
    // Staged in parallel: creating tens of thousands of files is bound by the file system's
    // per-file work, which two threads overlap. The first failure drops every staged file.
    let staged: Result<Vec<(tempfile::TempPath, PathBuf)>, Diagnostics> = plan
        .writes
        .par_iter()
        .map(|(path, bytes)| {
            let target = out.join(path);
            match stage(&target, bytes) {
                Ok(staged_file) => Ok((staged_file, target)),
                Err(e) => Err(write_failed(format!(
                    "cannot write {}: {e}",
                    target.display()
                ))),
            }
        })
        .collect();
    let staged = match staged {
        Ok(staged) => staged,
        Err(d) => {
            // Every staged file was dropped (deleted) with the error.
            created.undo();
            super::guard::end_staging(out);
            return Err(d);
        }
    };
    for (tmp, target) in staged {
        tmp.persist(&target)
            .map_err(|e| write_failed(format!("cannot rename into {}: {e}", target.display())))?;
    }
    super::guard::end_staging(out);
    for path in &plan.prunes {
        let target = out.join(path);
        fs::remove_file(&target)
            .map_err(|e| write_failed(format!("cannot remove {}: {e}", target.display())))?;
        remove_empty_parents(out, &target);
    }
    Ok(())
}

/// Does `out` hold nothing a render could replace (at most its cache folder)? Then a write
/// creates every file, and nothing needs a temporary sibling to be replaced atomically.
fn is_fresh(out: &Path) -> bool {
    let Ok(entries) = fs::read_dir(out) else {
        return false;
    };
    entries
        .flatten()
        .all(|e| e.file_name() == super::known::CACHE_DIR)
}

/// A render into an empty folder, at the file system's floor: every file is created under
/// its own name in a staging folder (`out/.gitops-render-fresh.tmp`, recorded in the
/// journal), with no temporary file and rename per file, and the staging folder's top-level
/// folders are then renamed into `out`, one rename each. Each file is therefore absent or
/// whole in `out` at every moment, as with per-file renames: an interrupted write leaves the
/// staging folder, which the next render removes and `render --check` reports.
fn apply_fresh(out: &Path, plan: &WritePlan, dirs: &BTreeSet<&str>) -> Result<(), Diagnostics> {
    let write_failed = |what: String| Diagnostics::from(Diagnostic::error("write-failed", what));
    let stage_root = out.join(super::guard::FRESH_STAGE);
    let failed_in = |e: std::io::Error, what: &Path| {
        abandon_stage(&stage_root, false);
        write_failed(format!("cannot write {}: {e}", what.display()))
    };
    super::guard::begin_staging(out, ["."]).map_err(|e| {
        write_failed(format!(
            "cannot record the write in {}: {e}",
            out.join(super::known::CACHE_DIR).display()
        ))
    })?;
    if let Err(e) = fs::create_dir(&stage_root) {
        return Err(failed_in(e, &stage_root));
    }
    for dir in dirs.iter().filter(|d| !d.is_empty()) {
        let path = stage_root.join(dir);
        if let Err(e) = fs::create_dir_all(&path) {
            return Err(failed_in(e, &path));
        }
    }
    let written: Result<(), (std::io::Error, PathBuf)> =
        plan.writes.par_iter().try_for_each(|(path, bytes)| {
            let target = stage_root.join(path);
            create_new(&target, bytes).map_err(|e| (e, out.join(path)))
        });
    if let Err((e, path)) = written {
        return Err(failed_in(e, &path));
    }
    let tops: BTreeSet<&str> = plan
        .writes
        .iter()
        .map(|(p, _)| p.split_once('/').map_or(p.as_str(), |(top, _)| top))
        .collect();
    for top in tops {
        let target = out.join(top);
        if let Err(e) = fs::rename(stage_root.join(top), &target) {
            return Err(failed_in(e, &target));
        }
    }
    let _ = fs::remove_dir(&stage_root);
    super::guard::end_staging(out);
    Ok(())
}

/// Finish a fresh write whose files were created in the staging folder as they were judged
/// ([`Output`]): its top-level folders are renamed into `out`, one rename each.
fn move_staged(out: &Path, plan: &WritePlan) -> Result<(), Diagnostics> {
    let stage_root = out.join(super::guard::FRESH_STAGE);
    // From here on the write is applied, not taken back.
    unlist(&stage_root);
    let tops: BTreeSet<&str> = plan
        .staged
        .iter()
        .map(|p| p.split_once('/').map_or(p.as_str(), |(top, _)| top))
        .collect();
    for top in tops {
        let target = out.join(top);
        if let Err(e) = fs::rename(stage_root.join(top), &target) {
            abandon_stage(&stage_root, false);
            return Err(Diagnostic::error(
                "write-failed",
                format!("cannot write {}: {e}", target.display()),
            )
            .into());
        }
    }
    let _ = fs::remove_dir(&stage_root);
    super::guard::end_staging(out);
    Ok(())
}

/// Create `target` (which must not exist) with a regular file's mode and `bytes`.
fn create_new(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o644);
    }
    options.open(target)?.write_all(bytes)
}

/// Check that every existing directory on the way from `out` to `dir` (relative) is a real
/// directory, not a symlink or a file; `checked` remembers the prefixes already seen.
fn real_dirs(out: &Path, dir: &str, checked: &mut BTreeSet<String>) -> Result<(), Diagnostic> {
    if dir.is_empty() {
        return Ok(());
    }
    let mut end = 0;
    for part in dir.split('/') {
        end += part.len();
        let prefix = &dir[..end];
        end += 1;
        if checked.contains(prefix) {
            continue;
        }
        let path = out.join(prefix);
        match fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => {
                checked.insert(prefix.to_owned());
            }
            Ok(m) => {
                let what = if m.file_type().is_symlink() {
                    "a symlink"
                } else {
                    "not a directory"
                };
                return Err(Diagnostic::error(
                    "output-blocked",
                    format!(
                        "refusing to write under {}: it is {what}",
                        path.display()
                    ),
                )
                .help("gitops-render writes only into real directories under the output folder; move it away"));
            }
            // Missing: this write creates it and everything below it.
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}

/// The directories a write created, deepest last, so that a failed write can remove them.
#[derive(Default)]
struct Created(Vec<PathBuf>);

impl Created {
    /// Create `rel` under `out` and every missing directory on its way, remembering each.
    fn create_all(&mut self, out: &Path, rel: &str) -> std::io::Result<()> {
        let mut path = out.to_path_buf();
        if !path.exists() {
            if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
                fs::create_dir_all(parent)?;
            }
            fs::create_dir(&path)?;
            self.0.push(path.clone());
        }
        for part in rel.split('/') {
            path.push(part);
            match fs::create_dir(&path) {
                Ok(()) => self.0.push(path.clone()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && path.is_dir() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Remove the directories created (each only if empty), deepest first.
    fn undo(self) {
        for dir in self.0.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
}

/// Write `bytes` to a temporary sibling of `target` and close it (a tree has more files than
/// a process may keep open), keeping only its path until the rename.
fn stage(target: &Path, bytes: &[u8]) -> std::io::Result<tempfile::TempPath> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let mut builder = tempfile::Builder::new();
    builder
        .prefix(super::guard::TEMP_PREFIX)
        .suffix(super::guard::TEMP_SUFFIX);
    // Created with a regular file's mode (0644 less the umask) rather than the temporary
    // file's 0600 fixed up by a second system call per file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o644));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    // No fsync per file: the rename makes each file atomic for readers, Git is the durable
    // store, and 50,000 fsyncs cost ~15 s on this machine class.
    tmp.write_all(bytes)?;
    Ok(tmp.into_temp_path())
}

fn remove_empty_parents(out: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == out || !d.starts_with(out) || fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::HEADER_PREFIX;

    fn put(dir: &Path, path: &str, text: &str) {
        let p = dir.join(path);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(p, text).expect("write");
    }

    /// A failed write removes exactly the folders it created, deepest first, and only when
    /// empty; folders that were there before stay.
    #[test]
    fn undo_removes_only_the_folders_the_write_created() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("gitops");
        put(&out, "dev/tenants/keep/namespace-keep.yaml", "a: 1\n");
        let mut created = Created::default();
        created
            .create_all(&out, "dev/tenants/new-dev")
            .expect("creates");
        created
            .create_all(&out, "prod/workflows/x-prod")
            .expect("creates");
        assert!(out.join("dev/tenants/new-dev").is_dir());
        created.undo();
        assert!(!out.join("dev/tenants/new-dev").exists());
        assert!(!out.join("prod").exists());
        assert!(out.join("dev/tenants/keep/namespace-keep.yaml").exists());

        let fresh = dir.path().join("fresh");
        let mut created = Created::default();
        created.create_all(&fresh, "a/b").expect("creates");
        created.undo();
        assert!(
            !fresh.exists(),
            "an output folder the write created goes too"
        );
    }

    /// A symlinked directory on the way, or a plan path that is not confined, stops the
    /// write before anything is created or written.
    #[cfg(unix)]
    #[test]
    fn apply_refuses_symlinked_folders_and_unconfined_paths() {
        let dir = tempfile::tempdir().expect("tempdir");
        let elsewhere = tempfile::tempdir().expect("elsewhere");
        let out = dir.path().join("gitops");
        fs::create_dir_all(out.join("dev")).expect("mkdir");
        std::os::unix::fs::symlink(elsewhere.path(), out.join("dev/tenants")).expect("ln");
        let plan = |path: &str| WritePlan {
            writes: vec![(path.to_owned(), b"x".to_vec())],
            ..WritePlan::default()
        };
        let err = apply(&out, &plan("dev/tenants/a/namespace-a.yaml")).expect_err("symlink");
        assert!(err.render().contains("it is a symlink"), "{}", err.render());
        for bad in ["../escape.yaml", "/tmp/x.yaml", "dev/../../x.yaml"] {
            let err = apply(&out, &plan(bad)).expect_err("unconfined");
            assert!(err.render().contains("unsafe-path"), "{}", err.render());
        }
        assert_eq!(fs::read_dir(elsewhere.path()).expect("ls").count(), 0);
        assert!(!dir.path().join("escape.yaml").exists());
    }

    /// The plan walks the sorted rendered paths along the sorted listing: stale files before,
    /// between and after the rendered ones are all found, in scope only.
    #[test]
    fn plan_finds_every_stale_file_wherever_it_sorts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let generated = format!("{HEADER_PREFIX} from test; do not edit.\n");
        for stale in [
            "applicationsets/dev.yaml",
            "dev/tenants/a-dev/configmap-x.yaml",
            "dev/tenants/c-dev/configmap-x.yaml",
            "prod/tenants/a-prod/configmap-x.yaml",
            "staging/argocd/configmap-x.yaml",
        ] {
            put(root, stale, &generated);
        }
        put(root, "dev/tenants/b-dev/configmap-same.yaml", &generated);
        put(root, "dev/tenants/b-dev/notes.md", "hand-written\n");
        // The exact header in a file the layout never writes: kept, not pruned.
        put(root, "dev/tenants/b-dev/README.md", &generated);
        let output = Output::open(root).expect("listed");
        let rendered = [
            "dev/tenants/b-dev/configmap-same.yaml",
            "dev/tenants/b-dev/configmap-new-1.yaml",
            "dev/tenants/b-dev/configmap-new-2.yaml",
            "dev/tenants/b-dev/configmap-new-3.yaml",
        ];
        let judged = |paths: &[&str]| -> Vec<(String, Judged)> {
            paths
                .iter()
                .map(|p| {
                    (
                        p.to_string(),
                        output.judge(p, generated.clone().into_bytes()),
                    )
                })
                .collect()
        };
        let plan = output
            .plan(judged(&rendered), &Scope::All)
            .expect("planned");
        assert_eq!(plan.unchanged, 1);
        assert_eq!(plan.writes.len(), 3);
        assert_eq!(
            plan.prunes,
            [
                "applicationsets/dev.yaml",
                "dev/tenants/a-dev/configmap-x.yaml",
                "dev/tenants/c-dev/configmap-x.yaml",
                "prod/tenants/a-prod/configmap-x.yaml",
                "staging/argocd/configmap-x.yaml",
            ]
        );
        assert_eq!(
            plan.kept,
            ["dev/tenants/b-dev/README.md", "dev/tenants/b-dev/notes.md"]
        );

        let dev = Scope::Environments(["dev".to_string()].into());
        let plan = output.plan(judged(&rendered), &dev).expect("planned");
        assert_eq!(
            plan.prunes,
            [
                "applicationsets/dev.yaml",
                "dev/tenants/a-dev/configmap-x.yaml",
                "dev/tenants/c-dev/configmap-x.yaml"
            ]
        );

        let twice = [rendered[0], rendered[1], rendered[0], rendered[0]];
        let err = output
            .plan(judged(&twice), &Scope::All)
            .expect_err("a path rendered twice");
        let dups: Vec<&str> = err.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            dups,
            ["two objects would be written to dev/tenants/b-dev/configmap-same.yaml"]
        );
    }
}
