//! Lint of files on disk in bounded memory. Holding every parsed object of a large tree
//! costs ~12 KB per object (9 GB at N = 10,000), so files are read in chunks: each chunk
//! is parsed, judged by the file-scoped rules while its values and text are at hand, then
//! pruned to what the corpus rules read ([`super::prune`]) and its text dropped. The corpus
//! rules run last over every pruned document, and the files they report on are read again
//! for positions. Findings are the same as [`super::lint`]'s over the whole corpus.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;

use crate::manifest::Lineage;
use crate::source::SourceId;

use super::corpus::{list_paths, Corpus, Document, Origin};
use super::prune::{prune, prune_as, shares_cut, Interner};
use super::registry::Scope;
use super::repeats::{Found, Repeats, Seen};
use super::{
    hits, judge, locate, locate_with, sorted, suppress, Finding, Hit, Hits, LintConfig, Notes,
};

/// Files per chunk. A chunk is read, parsed, judged and pruned by one worker while its
/// values are in that core's cache; 32 files are enough that running the rules on a chunk
/// costs little over running them on its documents (512 took a third more CPU: values
/// evicted before they were judged, and freed by another thread than built them).
pub const CHUNK_FILES: usize = 32;

/// Chunks judged in parallel before they join the stream: enough to keep both cores busy
/// (a chunk's cost varies with its files), few enough that the judged chunks waiting to
/// join are a small part of the tree.
const WINDOW_CHUNKS: usize = 64;

/// What a lint found, and how many objects it checked.
#[derive(Debug)]
pub struct Linted {
    pub findings: Vec<Finding>,
    pub checked: usize,
    /// Files that are not manifests (Kustomize, Helm charts, data), with why.
    pub skipped: Vec<super::Skipped>,
}

/// Lint files and directories (see [`list_paths`]) `chunk_files` files at a time.
pub fn lint_paths(
    paths: &[String],
    config: &LintConfig,
    chunk_files: usize,
) -> Result<Linted, String> {
    let mut listing = list_paths(paths)?;
    exclude(&mut listing, &config.exclude)?;
    let mut stream = Stream::new(config, listing.root_name.clone());
    let chunk_files = chunk_files.max(1);
    // As many documents as files, at least (more where a file holds several).
    stream.reserve_files(listing.inputs.len());
    let mut aside = Aside::default();
    // Chunks are judged in parallel a window at a time and joined in order as each window
    // ends: collecting every chunk first held the tree's documents twice while they were
    // joined (~100 MB at N = 10,000).
    let window = chunk_files * WINDOW_CHUNKS;
    for (w, inputs) in listing.inputs.chunks(window).enumerate() {
        let chunks: Vec<(Chunk, Aside)> = inputs
            .par_chunks(chunk_files)
            .enumerate()
            .map(|(n, inputs)| {
                let mut chunk = Corpus::read_inputs(inputs, listing.root_name.clone())?;
                let first = w * window + n * chunk_files;
                let aside = Aside::of(&mut chunk, config, first);
                // Text read once (stdin) cannot be read again: it is kept.
                let keep = |i: usize| matches!(inputs[i].origin, Origin::Text(_));
                let judged = stream.judge(chunk, &[], keep);
                Ok((judged, aside))
            })
            .collect::<Result<_, String>>()?;
        for (chunk, a) in chunks {
            stream.add(chunk);
            aside.skipped.extend(a.skipped);
            aside.crds.extend(a.crds);
            aside.unvalidated.extend(a.unvalidated);
        }
        // A file-per-app tree holds ~10 documents a file: grow the list once to what the
        // tree will hold at the rate seen so far, not by doubling from one per file.
        let done = (w * window + inputs.len()).max(1);
        stream
            .reserve_documents(stream.gathered.relations.docs.len() * listing.inputs.len() / done);
    }
    // CRDs among the linted files validate their custom resources in this run: the files
    // holding objects no schema knew are read again for the schema rule (the corpus rules
    // run with those schemas too).
    let mut in_tree = crate::schema::custom::Custom::default();
    in_tree.add_crds(aside.crds.iter())?;
    let grew = !in_tree.is_empty();
    let extended;
    let config = if !grew {
        config
    } else {
        let mut c = config.clone();
        c.custom.push(std::sync::Arc::new(in_tree));
        extended = c;
        &extended
    };
    let mut stream = stream.with_config(config);
    if grew {
        let late = revalidate(&listing, &aside.unvalidated, config)?;
        stream.gathered.findings.extend(late);
    }
    // A skipped file's folder is still a folder of the repository (an Application's path
    // may be a Kustomize overlay that holds nothing else).
    for dir in &listing.skipped_dirs {
        stream.gathered.relations.add_dirs(dir);
    }
    let (mut findings, mut relations) = stream.finish(|i, _| listing.inputs[i].read().ok());
    let checked = relations.docs.len();
    // Paths as reports show them: under the folder as typed.
    let mut late_skipped = std::mem::take(&mut relations.skipped);
    late_skipped.extend(aside.skipped);
    if !listing.folders.is_empty() {
        let shown = listing.shown(
            findings
                .iter()
                .map(|f| f.location.file.as_str())
                .chain(late_skipped.iter().map(|s| s.path.as_str())),
        );
        let show = |p: &mut String| {
            if let Some(s) = shown.get(p.as_str()) {
                *p = s.clone();
            }
        };
        findings.iter_mut().for_each(|f| show(&mut f.location.file));
        late_skipped.iter_mut().for_each(|s| show(&mut s.path));
    }
    let mut skipped = std::mem::take(&mut listing.skipped);
    skipped.append(&mut late_skipped);
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    crate::free_in_background(relations);
    Ok(Linted {
        findings,
        checked,
        skipped,
    })
}

/// What one chunk sets aside before its rules run.
#[derive(Default)]
struct Aside {
    /// Objects of kinds the configuration skips.
    skipped: Vec<super::Skipped>,
    /// The CustomResourceDefinitions read, whole (the chunk's documents are pruned next).
    crds: Vec<serde_json::Value>,
    /// (input index, apiVersion, kind) of objects no schema knew when the chunk was judged.
    unvalidated: Vec<(usize, String, String)>,
}

impl Aside {
    fn of(chunk: &mut Corpus, config: &LintConfig, first_input: usize) -> Aside {
        let mut aside = Aside::default();
        if !config.skip_kinds.is_empty() {
            let sources = &chunk.sources;
            chunk.docs.retain(|d| {
                let skip = config.skips(d.api_version(), d.kind());
                if skip {
                    aside.skipped.push(super::Skipped {
                        path: sources.path(d.file).to_owned(),
                        reason: format!("{} not checked (skipKinds)", d.display()),
                    });
                }
                !skip
            });
        }
        for d in &chunk.docs {
            if d.kind() == "CustomResourceDefinition" {
                aside.crds.push((*d.value).clone());
            } else if d.id.is_some() && !config.has_schema(d.api_version(), d.kind()) {
                aside.unvalidated.push((
                    first_input + d.file.index(),
                    d.api_version().to_owned(),
                    d.kind().to_owned(),
                ));
            }
        }
        aside
    }
}

/// The schema rule's findings on objects that only a CRD among the linted files describes:
/// their files are read again and judged with `config` (which holds those CRDs).
fn revalidate(
    listing: &super::Listing,
    unvalidated: &[(usize, String, String)],
    config: &LintConfig,
) -> Result<Vec<Finding>, String> {
    let now: Vec<&(usize, String, String)> = unvalidated
        .iter()
        .filter(|(_, v, k)| config.has_schema(v, k))
        .collect();
    let files: BTreeSet<usize> = now.iter().map(|(i, _, _)| *i).collect();
    let inputs: Vec<super::Input> = files.iter().map(|&i| listing.inputs[i].clone()).collect();
    if inputs.is_empty() {
        return Ok(Vec::new());
    }
    let corpus = Corpus::read_inputs(&inputs, listing.root_name.clone())?;
    let judged: Vec<_> = judge(&corpus, config, |r| r.id == "schema-invalid")
        .into_iter()
        .filter(|j| {
            let d = &corpus.docs[j.hit.doc];
            now.iter()
                .any(|(_, v, k)| v == d.api_version() && k == d.kind())
        })
        .collect();
    Ok(locate(&corpus, judged))
}

/// Move the listed files matching a glob of `globs` (relative paths, `**` across folders)
/// to the skipped ones.
fn exclude(listing: &mut super::Listing, globs: &[String]) -> Result<(), String> {
    if globs.is_empty() {
        return Ok(());
    }
    let mut set = globset::GlobSetBuilder::new();
    for g in globs {
        let glob = globset::GlobBuilder::new(g)
            .literal_separator(true)
            .build()
            .map_err(|e| format!("exclude pattern `{g}`: {e}"))?;
        set.add(glob);
    }
    let set = set.build().map_err(|e| e.to_string())?;
    let (out, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut listing.inputs)
        .into_iter()
        .partition(|i| set.is_match(&i.path));
    listing.inputs = kept;
    listing
        .skipped
        .extend(out.into_iter().map(|i| super::Skipped {
            reason: "excluded (lint.exclude / --exclude)".into(),
            path: i.path,
        }));
    Ok(())
}

/// A lint fed in chunks of whole files.
pub struct Stream<'c> {
    judging: Judging<'c>,
    gathered: Gathered,
}

/// What judges a chunk ([`Stream::judge`]): chunks are judged in parallel, from `&self`.
pub struct Judging<'c> {
    config: &'c LintConfig,
    interner: Interner,
    /// What the object rules found in, and the cut of, the first object of each lineage in
    /// this batch of a render.
    repeats: Repeats,
    notes: Notes,
}

/// What the judged chunks leave for the corpus rules ([`Stream::add`]). Apart from
/// [`Judging`], so that a render gathers one batch's chunks while it judges the next
/// ([`Stream::parts`]).
pub struct Gathered {
    findings: Vec<Finding>,
    /// Every document added so far, pruned, and its file (text kept or dropped).
    relations: Corpus,
}

/// The hits known documents are given: the `i`th document what `known[i]` found.
fn replayed(known: &[Option<Found>]) -> Vec<Hits> {
    let mut out = Vec::new();
    for (doc, found) in known.iter().enumerate() {
        for seen in found.iter().flat_map(|f| &f.seen) {
            let hit = Hit::new(doc, seen.pointer.clone(), seen.message.clone());
            out.push(Hits {
                rule: seen.rule,
                hits: vec![hit],
            });
        }
    }
    out
}

/// Give each document stamped from a lineage, which comes holding its stamped heading
/// alone ([`Corpus::from_stamped`]), a value to be judged by. One that is known, whose cut
/// its lineage shares and has already (its first object's, [`shares_cut`]), takes its
/// lineage's unstamped document as it is shared: nothing is copied, and what the rules
/// that still run on it read is the same there. Those are the file rules (which read the
/// body, and the namespace from the identity), suppressions (the template's annotations,
/// the identity) and the binding facts pruning keeps (the body); pruning then gives it
/// the shared cut. Every other one is filled in from its lineage's document. A document
/// already whole is filled to itself.
fn fill(docs: &mut [Document], lineages: &[Option<Lineage>], known: &[Option<Found>]) {
    if lineages.len() != docs.len() {
        return;
    }
    docs.par_iter_mut()
        .zip(lineages.par_iter().zip(known.par_iter()))
        .for_each(|(d, (lineage, known))| {
            let Some(lineage) = lineage else { return };
            let cut = known
                .as_ref()
                .filter(|_| shares_cut(d))
                .and_then(|k| k.cut.get());
            d.value = match cut {
                Some(_) => Arc::clone(lineage.shared()),
                None => {
                    let held = Arc::unwrap_or_clone(std::mem::take(&mut d.value));
                    Arc::new(lineage.fill(held))
                }
            };
        });
}

/// `each`'s hits on `chunk` with the documents `aside[i]` taken out, at the documents'
/// places in the whole chunk; the chunk is whole again afterwards.
fn apart(chunk: &mut Corpus, aside: &[bool], each: impl FnOnce(&Corpus) -> Vec<Hits>) -> Vec<Hits> {
    let mut kept_at = Vec::new();
    let mut set_aside = Vec::new();
    for (i, doc) in std::mem::take(&mut chunk.docs).into_iter().enumerate() {
        if aside[i] {
            set_aside.push(doc);
        } else {
            kept_at.push(i);
            chunk.docs.push(doc);
        }
    }
    // The kind index is of the documents it was built over.
    chunk.kinds = OnceLock::new();
    let mut found = each(chunk);
    for h in found.iter_mut().flat_map(|h| &mut h.hits) {
        h.doc = kept_at[h.doc];
    }
    let mut judged = std::mem::take(&mut chunk.docs).into_iter();
    let mut set_aside = set_aside.into_iter();
    chunk.docs = aside
        .iter()
        .filter_map(|&a| if a { set_aside.next() } else { judged.next() })
        .collect();
    chunk.kinds = OnceLock::new();
    found
}

/// A chunk after the file rules: its findings and its documents pruned.
pub struct Chunk {
    findings: Vec<Finding>,
    corpus: Corpus,
}

impl Chunk {
    /// Take every file's text out, with the file's path, in the order the files were added
    /// (the path stays the chunk's: no copy per file).
    pub fn take_texts(&mut self) -> Vec<(&str, Vec<u8>)> {
        let sources = &mut self.corpus.sources;
        let texts: Vec<String> = (0..sources.len())
            .map(|i| sources.take_text(SourceId::nth(i)))
            .collect();
        let sources = &self.corpus.sources;
        texts
            .into_iter()
            .enumerate()
            .map(|(i, text)| (sources.path(SourceId::nth(i)), text.into_bytes()))
            .collect()
    }
}

impl<'c> Stream<'c> {
    pub fn new(config: &'c LintConfig, root_name: Option<String>) -> Stream<'c> {
        Stream {
            judging: Judging {
                config,
                interner: Interner::default(),
                repeats: Repeats::default(),
                notes: Notes::Placed,
            },
            gathered: Gathered {
                findings: Vec::new(),
                relations: Corpus {
                    root_name,
                    ..Corpus::default()
                },
            },
        }
    }

    /// The same stream, placing notes at their file's first line (see [`Notes`]): for
    /// callers that count notes and show only errors and warnings.
    pub fn counting_notes(mut self) -> Stream<'c> {
        self.judging.notes = Notes::Counted;
        self
    }

    /// What judges chunks and what gathers them, apart: a render judges a batch's chunks
    /// while the last batch's are gathered.
    pub fn parts(&mut self) -> (&Judging<'c>, &mut Gathered) {
        (&self.judging, &mut self.gathered)
    }

    /// See [`Judging::judge`].
    pub fn judge(
        &self,
        chunk: Corpus,
        lineages: &[Option<Lineage>],
        keep_text: impl Fn(usize) -> bool,
    ) -> Chunk {
        self.judging.judge(chunk, lineages, keep_text)
    }

    /// The same stream, judged from now on with `config` (the same settings, and more
    /// schemas: the CRDs found while the chunks were read).
    fn with_config<'d>(self, config: &'d LintConfig) -> Stream<'d> {
        let Judging {
            interner,
            repeats,
            notes,
            ..
        } = self.judging;
        Stream {
            judging: Judging {
                config,
                interner,
                repeats,
                notes,
            },
            gathered: self.gathered,
        }
    }

    /// Let the entries of the last batch of a render go ([`Repeats::forget`]).
    pub fn forget_repeats(&mut self) {
        self.judging.repeats.forget();
    }

    /// Add a judged chunk after the files added before it.
    pub fn add(&mut self, chunk: Chunk) {
        self.gathered.add(chunk);
    }
}

impl Judging<'_> {
    /// Run the file and object rules on `chunk` and prune its documents; the text of its
    /// `i`th file is dropped unless `keep_text(i)`. Chunks may be judged in parallel. A
    /// render gives each document's lineage (`lineages[i]` the `i`th's; else none): a
    /// document of a lineage seen before in the environment is given what the object rules
    /// found in the first one, and its cut when it can share it ([`Repeats`]).
    pub fn judge(
        &self,
        mut chunk: Corpus,
        lineages: &[Option<Lineage>],
        keep_text: impl Fn(usize) -> bool,
    ) -> Chunk {
        // One lineage (or none) per document, or none at all.
        debug_assert!(lineages.is_empty() || lineages.len() == chunk.docs.len());
        let lineages = if lineages.len() == chunk.docs.len() {
            lineages
        } else {
            &[]
        };
        let mut known = self.repeats.known(&chunk.docs, lineages);
        fill(&mut chunk.docs, lineages, &known);
        let aside: Vec<bool> = known.iter().map(Option::is_some).collect();
        let mut raw = if aside.contains(&true) {
            let mut raw = hits(&chunk, self.config, |r| matches!(r.scope, Scope::File));
            raw.extend(apart(&mut chunk, &aside, |chunk| {
                hits(chunk, self.config, |r| matches!(r.scope, Scope::Object))
            }));
            raw
        } else {
            hits(&chunk, self.config, |r| {
                matches!(r.scope, Scope::File | Scope::Object)
            })
        };
        if lineages.iter().any(Option::is_some) {
            raw.extend(replayed(&known));
            self.remember(&chunk, lineages, &mut known, &raw);
        }
        let judged = suppress(&chunk, self.config, raw);
        let mut findings = locate_with(&chunk, judged, self.notes);
        findings.append(&mut chunk.read_findings);
        // An object of a known lineage is cut as the first was, when the cut cannot hold
        // what differs between them.
        chunk
            .docs
            .par_iter_mut()
            .zip(known.par_iter())
            .for_each(
                |(d, known)| match known.as_ref().filter(|_| shares_cut(d)) {
                    Some(known) => match known.cut.get() {
                        Some(cut) => prune_as(d, cut),
                        None => {
                            prune(d, &self.interner);
                            let _ = known.cut.set(Arc::clone(&d.value));
                        }
                    },
                    None => prune(d, &self.interner),
                },
            );
        for i in (0..chunk.sources.len()).filter(|&i| !keep_text(i)) {
            chunk.sources.forget_text(SourceId::nth(i));
        }
        Chunk {
            findings,
            corpus: chunk,
        }
    }

    /// Keep what the object rules found in each document judged (not `known`) that has a
    /// lineage, and hold it as known.
    fn remember(
        &self,
        chunk: &Corpus,
        lineages: &[Option<Lineage>],
        known: &mut [Option<Found>],
        raw: &[Hits],
    ) {
        let mut found: Vec<Vec<Seen>> = (0..chunk.docs.len()).map(|_| Vec::new()).collect();
        let judged = |doc: usize| lineages[doc].is_some() && known[doc].is_none();
        for h in raw.iter().filter(|h| matches!(h.rule.scope, Scope::Object)) {
            for hit in h.hits.iter().filter(|hit| judged(hit.doc)) {
                found[hit.doc].push(Seen {
                    rule: h.rule,
                    pointer: hit.pointer.clone(),
                    message: hit.message.clone(),
                });
            }
        }
        for (i, found) in found.into_iter().enumerate() {
            if let (Some(lineage), None) = (&lineages[i], &known[i]) {
                known[i] = self.repeats.remember(&chunk.docs[i], lineage, found);
            }
        }
    }
}

impl Stream<'_> {
    fn reserve_documents(&mut self, documents: usize) {
        let more = documents.saturating_sub(self.gathered.relations.docs.len());
        self.gathered.relations.docs.reserve_exact(more);
    }

    /// Make room for `files` files (and as many documents) in all.
    pub fn reserve_files(&mut self, files: usize) {
        let docs = files.saturating_sub(self.gathered.relations.docs.len());
        self.gathered.relations.docs.reserve_exact(docs);
        self.gathered.relations.sources.reserve(files);
        let written = files.saturating_sub(self.gathered.relations.written.len());
        self.gathered.relations.written.reserve_exact(written);
    }

    /// Run the corpus rules and return every finding, sorted, and the corpus of pruned
    /// documents with their files. Positions in files whose text was dropped need it back:
    /// `reread(i, path)` reads the `i`th file added (`None`: it has gone; the finding points
    /// at the file's first line).
    pub fn finish(
        mut self,
        reread: impl Fn(usize, &str) -> Option<String> + Sync,
    ) -> (Vec<Finding>, Corpus) {
        let relations = &mut self.gathered.relations;
        let judged = judge(relations, self.judging.config, |r| {
            matches!(r.scope, Scope::Corpus(_))
        });
        let reported: BTreeSet<usize> = judged
            .iter()
            .map(|j| relations.docs[j.hit.doc].file.index())
            .filter(|&i| relations.sources.get(SourceId::nth(i)).text.is_empty())
            .collect();
        let texts: Vec<(usize, String)> = reported
            .into_par_iter()
            .filter_map(|i| Some((i, reread(i, relations.sources.path(SourceId::nth(i)))?)))
            .collect();
        for (i, text) in texts {
            relations.sources.restore_text(SourceId::nth(i), text);
        }
        self.gathered
            .findings
            .extend(locate_with(relations, judged, self.judging.notes));
        self.gathered
            .findings
            .extend(self.judging.config.expired_waivers());
        (sorted(self.gathered.findings), self.gathered.relations)
    }
}

impl Gathered {
    /// Add a judged chunk after the files added before it.
    pub fn add(&mut self, chunk: Chunk) {
        self.findings.extend(chunk.findings);
        self.relations.append(chunk.corpus);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::{json, Value};

    use super::*;
    use crate::lint::LintConfig;
    use crate::manifest::{Manifest, ManifestSet, ObjectRef, Placement, Unstamped};
    use crate::render::Stamp;

    /// The object of `lineage` a render gives tenant `team` in prod: its stamped heading.
    fn stamped(lineage: &Lineage, team: &str) -> Manifest {
        let stamp = Stamp {
            env: "prod",
            team: Some(team),
            namespace: Some(team),
        };
        let heading = stamp.apply(lineage.heading()).expect("it stamps");
        let placement = Placement::Workflows {
            env: "prod".into(),
            namespace: team.into(),
        };
        let id = ObjectRef::of(&heading).expect("an object");
        Manifest::stamped(
            id,
            placement,
            heading,
            "test".into(),
            Default::default(),
            lineage.clone(),
        )
    }

    /// `m` judged by `stream`, with its lineage or whole: its findings and pruned value.
    fn judged(stream: &Stream<'_>, m: Manifest, with_lineage: bool) -> (Vec<String>, Value) {
        let set = ManifestSet { manifests: vec![m] };
        let (corpus, lineages) = if with_lineage {
            Corpus::from_stamped(set, &mut BTreeMap::new(), "gitops")
        } else {
            (
                Corpus::from_rendered(set, &mut BTreeMap::new(), "gitops"),
                Vec::new(),
            )
        };
        let mut chunk = stream.judge(corpus, &lineages, |_| true);
        let mut findings: Vec<String> = chunk
            .findings
            .iter()
            .map(|f| format!("{}: {}", f.rule, f.message))
            .collect();
        findings.sort();
        let doc = chunk.corpus.docs.pop().expect("one document");
        (findings, doc.value.as_ref().clone())
    }

    /// Objects that come holding their heading alone are judged and cut as their whole
    /// values are: the first of a lineage, one known before its cut is kept (another
    /// chunk judging the first meanwhile), and one known with its cut, whose value is then
    /// the lineage's unstamped document until it is cut.
    #[test]
    fn objects_held_as_headings_are_judged_as_their_whole_values() {
        // Hits of the object rules that name no namespace (kept for the lineage), and one of
        // a file rule that reads the body (the system priority classes).
        let doc = json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "WorkflowTemplate",
            "metadata": {"name": "ci", "annotations": {"team.example/owner": "platform"}},
            "spec": {
                "entrypoint": "main",
                "serviceAccountName": "argo-workflow",
                "activeDeadlineSeconds": 3600,
                "retryStrategy": {"limit": 2, "backoff": {"duration": "10s", "factor": 2}},
                "podGC": {"strategy": "OnPodCompletion"},
                "ttlStrategy": {"secondsAfterCompletion": 600},
                "podPriorityClassName": "system-cluster-critical",
                "templates": [{"name": "main", "priorityClassName": "system-node-critical",
                               "container": {"image": "busybox:1.36", "command": ["true"]}}],
            },
        });
        let lineage = Lineage::new(Arc::new(Unstamped::new(vec![doc])), 0);
        let config = LintConfig::new();
        let stream = Stream::new(&config, Some("gitops".into()));
        let whole = |team: &str| {
            let alone = Stream::new(&config, Some("gitops".into()));
            judged(&alone, stamped(&lineage, team).whole(), false)
        };
        // Known before its cut: the first object judged by the object rules and remembered,
        // not yet cut.
        let first = Corpus::from_rendered(
            ManifestSet {
                manifests: vec![stamped(&lineage, "team-a").whole()],
            },
            &mut BTreeMap::new(),
            "gitops",
        );
        let raw = super::super::hits(&first, &config, |r| matches!(r.scope, Scope::Object));
        let mut known = vec![None];
        stream
            .judging
            .remember(&first, &[Some(lineage.clone())], &mut known, &raw);
        let found = known[0].clone().expect("kept");
        assert!(!found.seen.is_empty(), "the object rules found something");
        assert!(shares_cut(&first.docs[0]), "the case under test");
        assert!(found.cut.get().is_none());
        let b = judged(&stream, stamped(&lineage, "team-b"), true);
        assert_eq!(b, whole("team-b"));
        assert!(found.cut.get().is_some(), "the cut is kept now");
        let c = judged(&stream, stamped(&lineage, "team-c"), true);
        assert_eq!(c, whole("team-c"));
        assert!(
            c.0.iter()
                .any(|f| f.contains("system-priority-class") && f.contains("team-c")),
            "the file rules read the body of a known object: {c:?}"
        );
        // A lineage not seen before.
        let other = Lineage::new(
            Arc::new(Unstamped::new(vec![lineage.document().clone()])),
            0,
        );
        let d = judged(&stream, stamped(&other, "team-d"), true);
        let alone = Stream::new(&config, Some("gitops".into()));
        assert_eq!(d, judged(&alone, stamped(&other, "team-d").whole(), false));
    }
}
