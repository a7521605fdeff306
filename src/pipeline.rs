//! The one path every render takes:
//!
//! ```text
//! Selection ─resolve─▶ Plan (one environment at a time) ─render─▶ units of manifests
//!     ─tree::lay_out─▶ files ─lint (file rules; pruned documents kept)─▶ Sink
//! ```
//!
//! A unit is a tenant's objects or an environment's own. Each is rendered, laid out, judged
//! by lint's file rules and handed to the [`Sink`] on the thread that rendered it; the sink
//! keeps what it needs of each file (a verdict against the output folder, a difference from
//! it, a place in a spool, or the bytes), so memory holds the units in flight and what the
//! cross-object lint rules keep, not the tree. The cross-object rules run once every unit is
//! in, and locate their findings in the files through the sink. The sinks are the tree
//! writer ([`tree::io::Output`]), `render --check` and `diff --against`
//! ([`tree::io::OnDisk`]), the YAML streams of the plugin and `render --stdout`
//! ([`Spool`]) and [`Collect`] (tests, `render --stdout --no-lint`).

use std::path::PathBuf;

use rayon::slice::ParallelSliceMut;

use crate::diagnostic::{self, Diagnostics};
use crate::inputs::Inputs;
use crate::lint::{self, LintConfig};
use crate::resolve::{self, Plan, Selection};
use crate::source::PathList;
use crate::spool::{Piece, Spool};
use crate::tree::io::{Judged, OnDisk, Output};
use crate::{free_in_background, manifest, render, tree};

/// Where rendered files go, each on the thread that rendered it.
pub trait Sink: Sync {
    /// What the sink keeps of a file.
    type Kept: Send + Sync;
    /// Take the file at `path` (tree-relative) with its bytes.
    fn take(&self, path: &str, bytes: Vec<u8>) -> Self::Kept;
    /// Take a unit's files (a tenant's, in tree order) at once: one at a time unless the
    /// sink keeps them together.
    fn take_unit(&self, files: Vec<(&str, Vec<u8>)>) -> Vec<Self::Kept> {
        files
            .into_iter()
            .map(|(path, bytes)| self.take(path, bytes))
            .collect()
    }
    /// The file's text again, to locate a cross-object rule's finding in it.
    fn text(&self, path: &str, kept: &Self::Kept) -> Option<String>;
    /// How many files the render is expected to bring (the folder's count on a re-render):
    /// room is made for them once instead of growing by doubling.
    fn expected_files(&self) -> usize {
        0
    }
}

/// The tree writer: a verdict per file (unchanged, to write, staged, blocked).
impl Sink for Output {
    type Kept = Judged;
    fn take(&self, path: &str, bytes: Vec<u8>) -> Judged {
        self.judge(path, bytes)
    }
    fn text(&self, path: &str, kept: &Judged) -> Option<String> {
        match kept {
            Judged::Write(bytes) => String::from_utf8(bytes.clone()).ok(),
            _ => read(self.current_path(path)),
        }
    }
    fn expected_files(&self) -> usize {
        self.on_disk().expected_files()
    }
}

/// `render --check`, `diff --against`: the bytes of files that differ from the folder's.
impl Sink for OnDisk {
    type Kept = Option<Vec<u8>>;
    fn take(&self, path: &str, bytes: Vec<u8>) -> Option<Vec<u8>> {
        self.differing(path, bytes)
    }
    fn text(&self, path: &str, kept: &Option<Vec<u8>>) -> Option<String> {
        match kept {
            Some(bytes) => String::from_utf8(bytes.clone()).ok(),
            None => read(self.target(path)),
        }
    }
    fn expected_files(&self) -> usize {
        OnDisk::expected_files(self)
    }
}

/// The YAML streams: each file's place in a spool on disk. A unit's files go in one after
/// another, so that a tenant's files are one run of the stream ([`Spool::write_runs_to`]).
impl Sink for Spool {
    type Kept = std::io::Result<Piece>;
    fn take(&self, _: &str, bytes: Vec<u8>) -> Self::Kept {
        self.put(&bytes)
    }
    fn take_unit(&self, files: Vec<(&str, Vec<u8>)>) -> Vec<Self::Kept> {
        // In tree order: a tenant's files in each of its folders are then one run.
        let mut order: Vec<usize> = (0..files.len()).collect();
        order.sort_by_key(|&i| files[i].0);
        let put = self.put_all(order.iter().map(|&i| files[i].1.as_slice()));
        // One piece per file, given back in the files' order.
        let mut placed: Vec<(usize, Self::Kept)> = order.into_iter().zip(put).collect();
        placed.sort_unstable_by_key(|&(i, _)| i);
        placed.into_iter().map(|(_, piece)| piece).collect()
    }
    fn text(&self, _: &str, kept: &Self::Kept) -> Option<String> {
        let piece = kept.as_ref().ok()?;
        String::from_utf8(self.read(*piece).ok()?).ok()
    }
}

/// Every file's bytes, in memory: for tests and small trees.
pub struct Collect;

impl Sink for Collect {
    type Kept = Vec<u8>;
    fn take(&self, _: &str, bytes: Vec<u8>) -> Vec<u8> {
        bytes
    }
    fn text(&self, _: &str, kept: &Vec<u8>) -> Option<String> {
        String::from_utf8(kept.clone()).ok()
    }
}

fn read(path: PathBuf) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// The stages a render runs after laying its files out.
#[derive(Clone, Copy)]
pub struct Stages<'a> {
    /// Lint with this configuration (`None`: `--no-lint`).
    pub lint: Option<&'a LintConfig>,
    /// Tenants rendered before their units join the lint stream.
    pub tenants_per_batch: usize,
}

impl<'a> Stages<'a> {
    pub fn linted(config: &'a LintConfig) -> Stages<'a> {
        Stages {
            lint: Some(config),
            tenants_per_batch: TENANTS_PER_BATCH,
        }
    }

    pub fn unlinted() -> Stages<'static> {
        Stages {
            lint: None,
            tenants_per_batch: TENANTS_PER_BATCH,
        }
    }

    /// In batches of `tenants` (tests use small ones to cross batch edges).
    pub fn batches_of(self, tenants: usize) -> Stages<'a> {
        Stages {
            tenants_per_batch: tenants,
            ..self
        }
    }
}

/// Tenants rendered before their pruned documents join the stream: the units of a batch are
/// held until the batch is done (at N = 10,000 a whole environment's took ~150 MB more
/// peak memory than batches of 1,000), and each batch compiles its templates (~ms).
pub const TENANTS_PER_BATCH: usize = 1000;

/// What a render handed its sink.
#[derive(Debug)]
pub struct Rendered<K> {
    /// Every file's tree-relative path and what the sink kept of it, in the order rendered.
    pub files: Files<K>,
    /// Lint's findings (none without lint); errors among them refuse a write or a stream.
    pub findings: Vec<lint::Finding>,
    /// Objects linted.
    pub objects: usize,
    /// The environments rendered.
    pub environments: Vec<String>,
}

impl<K> Rendered<K> {
    /// Whether lint found errors.
    pub fn refused(&self) -> bool {
        lint::has_errors(&self.findings)
    }

    /// The files in tree order (by path).
    pub fn in_tree_order(mut self) -> Rendered<K> {
        self.files.sort_by_path();
        self
    }
}

/// A render's files: each one's path and what the sink kept of it. The paths stay packed
/// ([`PathList`]) and a file's path `String` is made only as it is taken out: a stream
/// keeps none of them, and made all at once they were the last ~20 MB a stream of
/// 200,000 files took, at its peak of memory (N = 10,000).
#[derive(Debug)]
pub struct Files<K> {
    paths: PathList,
    /// Whose path the `i`th file's is: `paths.get(order[i])` (`None`: the `i`th path).
    order: Option<Vec<u32>>,
    kept: Vec<K>,
}

impl<K> Files<K> {
    fn new(paths: PathList, kept: Vec<K>) -> Files<K> {
        debug_assert_eq!(paths.len(), kept.len());
        Files {
            paths,
            order: None,
            kept,
        }
    }

    pub fn len(&self) -> usize {
        self.kept.len()
    }

    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    /// What was kept of the files whose path `keep` keeps, in order: no path is copied
    /// (a stream of 200,000 files made as many `String`s to filter them).
    pub fn kept_where(self, keep: impl Fn(&str) -> bool) -> Vec<K> {
        let Files { paths, order, kept } = self;
        kept.into_iter()
            .enumerate()
            .filter_map(|(i, k)| {
                let at = order.as_ref().map_or(i, |order| order[i] as usize);
                keep(paths.get(at)).then_some(k)
            })
            .collect()
    }

    /// Put the files in order of their paths.
    fn sort_by_path(&mut self) {
        if self.order.is_some() {
            return;
        }
        let paths = &self.paths;
        // Files are counted in 32 bits (`SourceId`).
        let mut order: Vec<u32> = (0..paths.len() as u32).collect();
        // On both cores: a stream waits for this sort before it prints.
        order.par_sort_unstable_by(|&a, &b| paths.get(a as usize).cmp(paths.get(b as usize)));
        // What was kept moves to its file's new place: the `i`th kept is the one that was
        // at `by[i]`. Each cycle of the permutation is followed once, swapping as it goes.
        let mut by: Vec<u32> = order.clone();
        let done = u32::MAX;
        for start in 0..by.len() {
            let mut at = start;
            while by[at] != done {
                let from = by[at] as usize;
                by[at] = done;
                if from == start {
                    break;
                }
                self.kept.swap(at, from);
                at = from;
            }
        }
        self.order = Some(order);
    }
}

impl<K> IntoIterator for Files<K> {
    type Item = (String, K);
    type IntoIter = FilesIter<K>;

    fn into_iter(self) -> FilesIter<K> {
        FilesIter {
            paths: self.paths,
            order: self.order,
            kept: self.kept.into_iter().enumerate(),
        }
    }
}

/// [`Files`] taken out one at a time, a path `String` made for each.
pub struct FilesIter<K> {
    paths: PathList,
    order: Option<Vec<u32>>,
    kept: std::iter::Enumerate<std::vec::IntoIter<K>>,
}

impl<K> Iterator for FilesIter<K> {
    type Item = (String, K);

    fn next(&mut self) -> Option<(String, K)> {
        let (i, kept) = self.kept.next()?;
        let at = self.order.as_ref().map_or(i, |order| order[i] as usize);
        Some((self.paths.get(at).to_owned(), kept))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.kept.size_hint()
    }
}

impl<K> ExactSizeIterator for FilesIter<K> {}

/// Render what `selection` asks for through `stages` into `sink`. Environments are resolved
/// and rendered one at a time (an environment's tenants in parallel, in batches), so one
/// environment's plan is held at once. When lint runs, the cross-object rules see the
/// documents environment by environment; where one reports the second of two objects
/// (duplicate-object), they are in different environments (rendering refuses two in one),
/// so the earlier environment's comes first, as in tree order: the findings are those of a
/// lint of the whole render (`tests/render_tree.rs` holds them to it).
///
/// The inputs are the run's: an environment file's parsed tenant entries are let go of as
/// soon as no environment left to render reads them (its `extends` chain,
/// [`Inputs::release_tenants`]), and what is left of them is freed in the background at
/// the end.
pub fn run<S: Sink>(
    mut inputs: Inputs,
    selection: &Selection,
    stages: Stages<'_>,
    sink: &S,
) -> Result<Rendered<S::Kept>, Diagnostics> {
    let environments = resolve::select_environments(&inputs, &selection.environments)?;
    let reads: Vec<Vec<String>> = environments
        .iter()
        .map(|name| match resolve::chain(&inputs, name) {
            Ok(chain) => chain.iter().map(|env| env.name.clone()).collect(),
            // Resolving reports the broken chain before it reads any tenant.
            Err(_) => vec![name.clone()],
        })
        .collect();
    let mut stream = stages.lint.map(|config| {
        // Render, check and the plugin count notes; `lint` places them.
        let mut stream =
            lint::Stream::new(config, Some(tree_path(config).to_owned())).counting_notes();
        stream.reserve_files(sink.expected_files());
        stream
    });
    // What the sink kept, in the order added; the paths come from the lint stream when it
    // runs (a second copy of 770,012 paths at N = 10,000 is ~70 MB), else from here.
    let mut kept: Vec<S::Kept> = Vec::with_capacity(sink.expected_files());
    let mut paths = PathList::default();
    let mut diags = Diagnostics::new();
    for (at, name) in environments.iter().enumerate() {
        let one = Selection {
            environments: vec![name.clone()],
            ..selection.clone()
        };
        let resolved = resolve::resolve(&inputs, &one);
        for file in &reads[at] {
            if reads[at + 1..].iter().any(|later| later.contains(file)) {
                continue;
            }
            if let Some(tenants) = inputs.release_tenants(file) {
                free_in_background(tenants);
            }
        }
        let mut plan = match resolved {
            Ok(plan) => plan,
            Err(d) => {
                diags.extend(d);
                continue;
            }
        };
        let inputs = &inputs;
        let growth = Growth::new(kept.len(), plan.environments[0].tenants.len());
        let mut done = 0;
        // The last batch's units: the lint stream gathers them while the next batch
        // renders (on one core, ~35 ms a batch at N = 10,000, with the other core idle
        // when it came between batches).
        let mut pending: Vec<Unit<S::Kept>> = Vec::new();
        in_batches(&mut plan, stages.tenants_per_batch, |plan| {
            let (judging, gathered) = match stream.as_mut() {
                Some(stream) => {
                    let (judging, gathered) = stream.parts();
                    (Some(judging), Some(gathered))
                }
                None => (None, None),
            };
            let last = std::mem::take(&mut pending);
            let (units, ()) = rayon::join(
                || {
                    render::render_units(inputs, plan, |unit| {
                        // Every path confined to the tree, none twice.
                        let mut files =
                            tree::collect(tree::lay_out(&unit), tree::Scope::All)?.files;
                        let (Some(judging), Some(config)) = (judging, stages.lint) else {
                            let (paths, bytes): (Vec<String>, Vec<Vec<u8>>) =
                                files.into_iter().unzip();
                            let files = sink
                                .take_unit(paths.iter().map(String::as_str).zip(bytes).collect());
                            return Ok((None, paths, files));
                        };
                        let set = manifest::ManifestSet { manifests: unit };
                        let (corpus, lineages) =
                            lint::Corpus::from_stamped(set, &mut files, tree_path(config));
                        let mut chunk = judging.judge(corpus, &lineages, |_| true);
                        let files = sink.take_unit(chunk.take_texts());
                        Ok((Some(chunk), Vec::new(), files))
                    })
                },
                || gather(last, gathered, &mut paths, &mut kept),
            );
            match units {
                Ok(units) => {
                    let (units, errors) = diagnostic::partition(units);
                    diags.extend(errors);
                    if diags.is_empty() {
                        pending = units;
                    }
                }
                Err(d) => diags.extend(d),
            }
            if let Some(stream) = stream.as_mut() {
                stream.forget_repeats();
            }
            done += plan.environments[0].tenants.len();
            let files = kept.len() + pending.iter().map(|(_, _, f)| f.len()).sum::<usize>();
            if let Some(files) = growth.expected_files(files, done) {
                if let Some(stream) = stream.as_mut() {
                    stream.reserve_files(files);
                } else {
                    paths.reserve(files.saturating_sub(paths.len()));
                }
                kept.reserve_exact(files.saturating_sub(kept.len()));
            }
        });
        let gathered = stream.as_mut().map(|stream| stream.parts().1);
        gather(
            std::mem::take(&mut pending),
            gathered,
            &mut paths,
            &mut kept,
        );
        // Freeing an environment's plan is ~50 ms on one core at N = 10,000.
        free_in_background(plan);
    }
    free_in_background(inputs);
    // Each environment's repeats were collapsed as it was rendered; across them too.
    let kept = diags.sorted().collapse_repeats().into_result(kept)?;
    let Some(stream) = stream else {
        return Ok(Rendered {
            files: Files::new(paths, kept),
            findings: Vec::new(),
            objects: 0,
            environments,
        });
    };
    // The `i`th file added is `kept[i]`.
    let (findings, corpus) = stream.finish(|i, path| sink.text(path, &kept[i]));
    let objects = corpus.docs.len();
    let lint::Corpus { sources, docs, .. } = corpus;
    free_in_background(docs);
    let files = Files::new(sources.into_paths(), kept);
    Ok(Rendered {
        files,
        findings,
        objects,
        environments,
    })
}

/// A unit rendered and judged: its chunk for the lint stream (none without lint), its
/// paths (without lint: the stream holds them otherwise) and what the sink kept of its
/// files.
type Unit<K> = (Option<lint::Chunk>, Vec<String>, Vec<K>);

/// Hand a batch's units to the lint stream, and their paths and what the sink kept of
/// their files to the render's lists, in the order rendered.
fn gather<K>(
    units: Vec<Unit<K>>,
    mut gathered: Option<&mut lint::Gathered>,
    paths: &mut PathList,
    kept: &mut Vec<K>,
) {
    for (chunk, unit_paths, files) in units {
        if let (Some(gathered), Some(chunk)) = (gathered.as_deref_mut(), chunk) {
            gathered.add(chunk);
        }
        unit_paths.iter().for_each(|p: &String| paths.push(p));
        kept.extend(files);
    }
}

/// How many files an environment will bring, extrapolated from its tenants rendered so far.
/// The lists of files and documents (at N = 10,000 one environment's documents alone are
/// ~27 MB) are then grown once to that size instead of by doubling, which left up to half
/// of each unused and, while a list was copied, held it twice (the peak of a stream was
/// such a copy: heaptrack, N = 10,000). Documents are counted as files: with
/// `layout: file-per-app` a file holds many, and the document list still grows by doubling.
struct Growth {
    /// Files before this environment's.
    before: usize,
    tenants: usize,
}

impl Growth {
    fn new(before: usize, tenants: usize) -> Growth {
        Growth { before, tenants }
    }

    /// With `files` in all after `done` of the tenants: the expected total, 5% (and 64
    /// files) more than the tenants so far foretell, while some are still to come.
    fn expected_files(&self, files: usize, done: usize) -> Option<usize> {
        if done == 0 || done >= self.tenants {
            return None;
        }
        let per_tenant = (files - self.before) as f64 / done as f64;
        let rest = per_tenant * (self.tenants - done) as f64;
        Some(files + (rest * 1.05) as usize + 64)
    }
}

fn tree_path(config: &LintConfig) -> &str {
    config.tree_path.as_deref().unwrap_or("gitops")
}

/// Hand `each` a one-environment plan as plans of `size` tenants each, the first with the
/// environment-level objects (rendered beside its tenants, [`render::render_units`]), the
/// others without (partial). The roster, which environment templates read, stays whole.
/// The environment level comes with the first batch: alone, it was one unit on one core
/// with the other idle. The tenants not yet handed on are held in a list that shrinks
/// as batches leave it: the whole list is ~9 MB of plans at N = 10,000, which else stayed
/// allocated until the environment's last batch, when its documents are all in and memory
/// is at its peak.
fn in_batches(plan: &mut Plan, size: usize, mut each: impl FnMut(&Plan)) {
    let env = &mut plan.environments[0];
    let partial = env.partial;
    // Last tenant first, so that a batch is split off the end without moving the rest.
    let mut rest = std::mem::take(&mut env.tenants);
    rest.reverse();
    loop {
        let mut batch = rest.split_off(rest.len().saturating_sub(size.max(1)));
        batch.reverse();
        rest.shrink_to_fit();
        plan.environments[0].tenants = batch;
        each(plan);
        plan.environments[0].partial = true;
        if rest.is_empty() {
            break;
        }
    }
    plan.environments[0].partial = partial;
}

#[cfg(test)]
mod tests {
    use super::{Files, Growth};
    use crate::source::PathList;

    fn files(paths: &[&str]) -> Files<usize> {
        let mut list = PathList::default();
        paths.iter().for_each(|p| list.push(p));
        Files::new(list, (0..paths.len()).collect())
    }

    #[test]
    fn files_in_tree_order_keep_each_path_with_what_was_kept_of_it() {
        // Kept `i` belongs to the `i`th path added: sorting must move it with its path,
        // through cycles of every length (here 3, 2 and 1).
        let added = ["c", "a", "b", "e", "d", "f"];
        let mut f = files(&added);
        assert_eq!(f.len(), 6);
        f.sort_by_path();
        // Sorting twice changes nothing.
        f.sort_by_path();
        let got: Vec<(String, usize)> = f.into_iter().collect();
        let mut want: Vec<(String, usize)> = added
            .iter()
            .enumerate()
            .map(|(i, p)| (p.to_string(), i))
            .collect();
        want.sort();
        assert_eq!(got, want);
        // What was kept of some of them, without their paths, in the same order.
        let mut f = files(&added);
        f.sort_by_path();
        let some: Vec<usize> = want
            .iter()
            .filter(|(p, _)| p != "b" && p != "e")
            .map(|(_, k)| *k)
            .collect();
        assert_eq!(f.kept_where(|p| p != "b" && p != "e"), some);
        assert_eq!(files(&added).kept_where(|p| p == "c" || p == "d"), [0, 4]);
        // Unsorted, they come out as added.
        let got: Vec<(String, usize)> = files(&added).into_iter().collect();
        assert_eq!(got[0], ("c".to_string(), 0));
        assert_eq!(got[5], ("f".to_string(), 5));
    }

    proptest::proptest! {
        #[test]
        fn files_sorted_by_path_are_the_pairs_sorted(
            paths in proptest::collection::vec("[a-c/]{0,4}", 0..40)
        ) {
            let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
            let mut f = files(&refs);
            f.sort_by_path();
            let got: Vec<(String, usize)> = f.into_iter().collect();
            let mut want: Vec<(String, usize)> =
                paths.iter().cloned().zip(0..).collect();
            want.sort_by(|a, b| a.0.cmp(&b.0));
            // Equal paths may come in any order; each keeps its own kept value.
            proptest::prop_assert_eq!(
                got.iter().map(|g| &g.0).collect::<Vec<_>>(),
                want.iter().map(|w| &w.0).collect::<Vec<_>>()
            );
            for (path, k) in &got {
                proptest::prop_assert_eq!(path, &paths[*k]);
            }
        }
    }

    #[test]
    fn batches_hand_on_the_environment_level_with_the_first_then_every_tenant_once() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let files = crate::source::EstateFiles::read_dir(root).expect("example estate");
        let inputs = crate::inputs::load(&files).expect("loads");
        let mut plan =
            crate::resolve::resolve(&inputs, &crate::resolve::Selection::environment("dev"))
                .expect("resolves");
        let all: Vec<String> = plan.environments[0]
            .tenants
            .iter()
            .map(|t| t.namespace.clone())
            .collect();
        assert!(all.len() > 2, "{all:?}");
        let mut handed: Vec<(Vec<String>, bool)> = Vec::new();
        super::in_batches(&mut plan, 2, |p| {
            let env = &p.environments[0];
            let names = env.tenants.iter().map(|t| t.namespace.clone()).collect();
            handed.push((names, env.partial));
        });
        // The first two tenants with the environment level, as the plan was (whole: not
        // partial) ...
        assert_eq!(handed[0], (all[..2].to_vec(), false));
        // ... then the others in order, two at a time, without the environment level.
        assert!(handed[1..]
            .iter()
            .all(|(names, partial)| *partial && !names.is_empty() && names.len() <= 2));
        let tenants: Vec<String> = handed.iter().flat_map(|(n, _)| n.clone()).collect();
        assert_eq!(tenants, all);
        assert_eq!(handed.len(), all.len().div_ceil(2));
        // An environment without tenants is handed on once, with its own objects.
        plan.environments[0].tenants.clear();
        let mut calls = Vec::new();
        super::in_batches(&mut plan, 2, |p| {
            let env = &p.environments[0];
            calls.push((env.tenants.len(), env.partial));
        });
        assert_eq!(calls, [(0, false)]);
        assert!(
            !plan.environments[0].partial,
            "the plan's own flag is given back"
        );
    }

    #[test]
    fn growth_extrapolates_an_environment_from_its_first_tenants() {
        // 100 files before this environment; 1,000 of 10,000 tenants brought 19,000.
        let growth = Growth::new(100, 10_000);
        assert_eq!(
            growth.expected_files(19_100, 1_000),
            Some(19_100 + (171_000.0 * 1.05) as usize + 64)
        );
        // Nothing to foretell before the first tenant or after the last.
        assert_eq!(growth.expected_files(100, 0), None);
        assert_eq!(growth.expected_files(190_100, 10_000), None);
    }
}
