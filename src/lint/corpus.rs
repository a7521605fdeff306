//! The documents lint looks at, from any source: files, directories, stdin, or a tree just
//! rendered in memory. Each file is parsed once; problems reading it are findings, not
//! crashes.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rayon::prelude::*;
use serde_json::Value;

use crate::diagnostic::Severity;
use crate::manifest::{is_generated, write_canonical_yaml, ObjectRef};
use crate::source::{
    parse_documents, read_bounded, read_path, Location, SourceId, Sources, Target,
};

use super::classify::{Classifier, Skipped};
use super::identity::Identity;
use super::kinds::Kinds;
use super::Finding;

/// One Kubernetes object.
#[derive(Debug)]
pub struct Document {
    pub file: SourceId,
    /// Index of the YAML document in its file (for positions).
    pub index: usize,
    /// JSON pointer of the object inside that document (`/items/3` for a `List` item).
    pub base: Box<str>,
    pub value: std::sync::Arc<Value>,
    /// `None` when apiVersion, kind or metadata.name is missing.
    pub id: Option<Identity>,
    /// A pruned binding's `roleRef` and `subjects` (see [`super::binding`]); `None` for
    /// other kinds and for a document not pruned (the facts are read from the value).
    pub binding: Option<Box<super::binding::Binding>>,
}

// A lint holds a `Document` for every object of a tree to its end (~190,000 in one
// environment's stream at N = 10,000): a field that makes it larger is a choice to make.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<Document>() == 80);

// Every rule asks these of every document: read them from the identity taken when the
// document was added (a field, not a hashed map lookup), else from the value.
impl Document {
    pub fn kind(&self) -> &str {
        self.identity_or(Identity::kind, "/kind")
    }

    pub fn api_version(&self) -> &str {
        self.value
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The API group: the apiVersion before its `/`, empty for the core group.
    pub fn group(&self) -> &str {
        match &self.id {
            Some(id) => id.group(),
            None => self.api_version().rsplit_once('/').map_or("", |(g, _)| g),
        }
    }

    pub fn name(&self) -> &str {
        self.identity_or(Identity::name, "/metadata/name")
    }

    pub fn namespace(&self) -> &str {
        self.identity_or(Identity::namespace, "/metadata/namespace")
    }

    /// A field of the identity, or the string at `pointer` for a document without one.
    fn identity_or(&self, field: fn(&Identity) -> &str, pointer: &str) -> &str {
        match &self.id {
            Some(id) => field(id),
            None => self
                .value
                .pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or_default(),
        }
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        self.value
            .get("metadata")?
            .get("labels")?
            .get(key)?
            .as_str()
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.value
            .get("metadata")?
            .get("annotations")?
            .get(key)?
            .as_str()
    }

    /// `Kind namespace/name` for messages and waivers.
    pub fn display(&self) -> String {
        match &self.id {
            Some(id) => id.to_string(),
            None => format!(
                "{} (unnamed)",
                if self.kind().is_empty() {
                    "object"
                } else {
                    self.kind()
                }
            ),
        }
    }
}

/// Everything linted in one run.
#[derive(Debug, Default)]
pub struct Corpus {
    pub sources: Sources,
    pub docs: Vec<Document>,
    /// Directories holding linted files, relative to the linted root (for ApplicationSet paths).
    pub dirs: BTreeSet<String>,
    /// The name of the linted root directory (`gitops`), to match repository paths.
    pub root_name: Option<String>,
    /// Problems found while reading (syntax errors, missing kind, …).
    pub read_findings: Vec<Finding>,
    /// How each file (by source index) was written, judged once while it was parsed: the
    /// rules for generated files and for ambiguous scalars both ask.
    pub written: Vec<Written>,
    /// Files read but not judged: not manifests by their content ([`super::classify`]).
    pub skipped: Vec<super::Skipped>,
    /// The documents by kind, built when first asked ([`Corpus::of_kind`]).
    pub(super) kinds: OnceLock<Kinds>,
}

/// Whether a file is this tool's output as it wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    /// No generated header.
    ByHand,
    /// The generated header over exactly the canonical form of its one object.
    AsGenerated,
    /// The generated header over anything else: comments, key order, quoting, more documents.
    EditedAfterGeneration,
}

impl Written {
    /// Judge the file at `path` from its text and the documents it parsed to. Only a
    /// file-per-app file ([`crate::tree::APP_FILE`]) is written with several documents.
    pub fn judge(
        path: &str,
        text: &str,
        parsed: &Result<Vec<(usize, Value)>, crate::source::YamlError>,
    ) -> Written {
        if !is_generated(text.as_bytes()) {
            return Written::ByHand;
        }
        let several = path.rsplit('/').next() == Some(crate::tree::APP_FILE);
        let canonical = match (parsed.as_deref(), text.split_once('\n')) {
            (Ok([(_, value)]), Some((_, body))) => !is_list(value) && is_canonical(body, value),
            (Ok(docs), Some((_, body))) if several && !docs.is_empty() => {
                let bodies = documents_of(body);
                bodies.len() == docs.len()
                    && docs
                        .iter()
                        .zip(bodies)
                        .all(|((_, value), body)| !is_list(value) && is_canonical(body, value))
            }
            _ => false,
        };
        if canonical {
            Written::AsGenerated
        } else {
            Written::EditedAfterGeneration
        }
    }
}

/// The documents of a generated file's body, split at its `---` lines. Canonical YAML never
/// starts a line with `---` inside a document (block scalars are indented, such strings
/// quoted), so for a file the tool wrote this is exact; for any other it only has to fail.
fn documents_of(body: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut at = 0;
    for line in body.split_inclusive('\n') {
        if line == "---\n" {
            out.push(&body[start..at]);
            start = at + line.len();
        }
        at += line.len();
    }
    out.push(&body[start..]);
    out
}

/// Is `body` the canonical form of `value`? Emitted into a reused buffer: a fresh string
/// per file would reallocate several times.
fn is_canonical(body: &str, value: &Value) -> bool {
    thread_local! {
        static SCRATCH: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    SCRATCH.with_borrow_mut(|emitted| {
        emitted.clear();
        write_canonical_yaml(emitted, value);
        body == emitted.as_str()
    })
}

/// What stands for the name the API server gives an object named by `generateName`.
pub const GENERATED_NAME: &str = "{{ generateName }}";

/// Drop every mapping entry whose value is null, as the API server's decoders do (a null
/// field is an absent one): `annotations:` with nothing under it, `args:` whose items are
/// all commented out. Items of lists are kept.
fn without_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(without_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(without_nulls),
        _ => {}
    }
}

/// The identity of an object named by `metadata.generateName` (Argo Workflows, Argo CD hook
/// Jobs): the API server names it at creation. Shown as kubeconform shows it,
/// `db-migrate-{{ generateName }}`; no rule matches that name to another object.
fn generated_name(value: &Value) -> Option<ObjectRef> {
    if value.pointer("/metadata/name").is_some() {
        return None;
    }
    let prefix = value.pointer("/metadata/generateName")?.as_str()?;
    let mut named = value.clone();
    named["metadata"]["name"] = Value::String(format!("{prefix}{GENERATED_NAME}"));
    ObjectRef::of(&named).ok()
}

/// A `kind: …List` with `items`: its items become the objects.
fn is_list(value: &Value) -> bool {
    value
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.ends_with("List"))
        && value.get("items").is_some_and(Value::is_array)
}

impl Corpus {
    /// Where `pointer` (relative to the object) of document `doc` is.
    pub fn locate(&self, doc: usize, pointer: &str, target: Target) -> Location {
        let d = &self.docs[doc];
        self.sources
            .locate(d.file, d.index, &format!("{}{pointer}", d.base), target)
    }

    /// The relative path of a document's file.
    pub fn path(&self, doc: usize) -> &str {
        self.sources.path(self.docs[doc].file)
    }

    /// Documents of any of `kinds`, in document order, for rules scoped to kinds.
    pub fn of_kind<'a>(
        &'a self,
        kinds: &[&str],
    ) -> impl Iterator<Item = (usize, &'a Document)> + use<'a> {
        let found: Cow<'a, [u32]> = match self.kinds() {
            Some(index) => index.documents(kinds),
            None => Cow::Owned(
                (0..self.docs.len())
                    .filter(|&i| kinds.contains(&self.docs[i].kind()))
                    // A corpus holds far fewer than 4 billion documents.
                    .map(|i| i as u32)
                    .collect(),
            ),
        };
        (0..found.len()).map(move |k| {
            let i = found[k] as usize;
            (i, &self.docs[i])
        })
    }

    /// The documents by kind and the kinds by number ([`Kinds::number`]), over every
    /// document: the corpus's index, or one built now when documents were pushed past it.
    pub fn kinds_index(&self) -> Cow<'_, Kinds> {
        match self.kinds() {
            Some(index) => Cow::Borrowed(index),
            None => Cow::Owned(Kinds::of(&self.docs)),
        }
    }

    /// The index of documents by kind, when it covers every document (documents pushed
    /// onto `docs` after it was built are not in it: then `None`, and callers scan).
    fn kinds(&self) -> Option<&Kinds> {
        Some(self.kinds.get_or_init(|| Kinds::of(&self.docs))).filter(|k| k.covers(self.docs.len()))
    }

    /// Namespace name → index of its Namespace object.
    pub fn namespaces(&self) -> BTreeMap<&str, usize> {
        self.of_kind(&["Namespace"])
            .map(|(i, d)| (d.name(), i))
            .collect()
    }

    /// Record every folder above `path`. A folder recorded has every folder above it
    /// recorded too, so the climb stops at the first one known: a tree's files share few
    /// folders, and copying each of their 3–4 ancestors to look it up cost a string a level
    /// for each of 800,000 files.
    pub(super) fn add_dirs(&mut self, path: &str) {
        let mut d = path;
        while let Some((parent, _)) = d.rsplit_once('/') {
            if self.dirs.contains(parent) {
                return;
            }
            self.dirs.insert(parent.to_owned());
            d = parent;
        }
    }

    /// Add one file's text: every document becomes an object (a `List` becomes its items).
    pub fn add_file(&mut self, path: &str, text: String) {
        let parsed = parse_documents(&text);
        let written = Written::judge(path, &text, &parsed);
        self.add_parsed(path, text, parsed, written);
    }

    /// Add many files, parsing (and judging) them in parallel; objects keep the order of
    /// `files`.
    pub fn add_files(&mut self, files: Vec<(String, String)>) {
        let parsed: Vec<_> = files
            .par_iter()
            .map(|(path, text)| {
                let parsed = parse_documents(text);
                let written = Written::judge(path, text, &parsed);
                (parsed, written)
            })
            .collect();
        for ((path, text), (docs, written)) in files.into_iter().zip(parsed) {
            self.add_parsed(&path, text, docs, written);
        }
    }

    fn add_parsed(
        &mut self,
        path: &str,
        text: String,
        parsed: Result<Vec<(usize, Value)>, crate::source::YamlError>,
        written: Written,
    ) {
        let id = self.sources.add(path, text);
        self.written.push(written);
        self.add_dirs(path);
        let docs = match parsed {
            Ok(d) => d,
            Err(e) => {
                // One broken document of several: the others are still read and judged.
                let apart = crate::source::parse_documents_apart(self.sources.get(id).text);
                let mut docs = Vec::new();
                let mut errors = Vec::new();
                for d in apart {
                    match d {
                        Ok(d) => docs.push(d),
                        Err(e) => errors.push(e),
                    }
                }
                if errors.is_empty() {
                    errors.push(e);
                }
                for e in errors {
                    self.yaml_finding(id, e);
                }
                docs
            }
        };
        if let Some(reason) = super::classify::by_content(&docs) {
            self.skipped.push(super::Skipped {
                path: path.to_owned(),
                reason,
            });
            return;
        }
        for (index, value) in docs {
            self.add_value(id, index, String::new(), value);
        }
    }

    fn yaml_finding(&mut self, id: SourceId, e: crate::source::YamlError) {
        let code = if e.message.contains("duplicate key") {
            "duplicate-key"
        } else {
            "invalid-yaml"
        };
        self.read_findings.push(Finding {
            rule: code,
            severity: Severity::Error,
            message: e.message,
            location: self.sources.location_at(id, e.pos),
            object: None,
            help: None,
        });
    }

    fn add_value(&mut self, file: SourceId, index: usize, base: String, value: Value) {
        if !value.is_object() {
            self.read_findings.push(Finding {
                rule: "not-an-object",
                severity: Severity::Error,
                message: "a YAML document must be a mapping (a Kubernetes object)".into(),
                location: self.sources.locate(file, index, &base, Target::Value),
                object: None,
                help: None,
            });
            return;
        }
        if is_list(&value) {
            if let Some(Value::Array(items)) = value.get("items") {
                for (i, item) in items.clone().into_iter().enumerate() {
                    self.add_value(file, index, format!("{base}/items/{i}"), item);
                }
            }
            return;
        }
        let mut value = value;
        without_nulls(&mut value);
        let id = ObjectRef::of(&value)
            .ok()
            .or_else(|| generated_name(&value));
        if id.is_none() {
            let missing: Vec<&str> = [
                ("apiVersion", "/apiVersion"),
                ("kind", "/kind"),
                ("metadata.name", "/metadata/name"),
            ]
            .into_iter()
            .filter(|(_, p)| value.pointer(p).and_then(Value::as_str).is_none())
            .map(|(n, _)| n)
            .collect();
            self.read_findings.push(Finding {
                rule: "missing-identity",
                severity: Severity::Error,
                message: format!("the object has no {}", missing.join(", ")),
                location: self.sources.locate(file, index, &base, Target::Value),
                object: None,
                help: Some(
                    "every Kubernetes object needs apiVersion, kind and metadata.name".into(),
                ),
            });
        }
        self.docs.push(Document {
            file,
            index,
            base: base.into_boxed_str(),
            value: value.into(),
            id: id.as_ref().map(Identity::from),
            binding: None,
        });
    }

    /// A corpus of a tree rendered in memory: the objects are taken as rendered (no second
    /// parse) and each one's file moves out of `files` as its text, kept for positions (no
    /// copy; a caller that writes the tree next takes them back after judging, with
    /// [`super::Chunk::take_texts`]).
    /// Files of other objects stay in `files`, so one tree can be cut into several corpora.
    pub fn from_rendered(
        manifests: crate::manifest::ManifestSet,
        files: &mut BTreeMap<String, Vec<u8>>,
        root_name: &str,
    ) -> Corpus {
        Corpus::from_manifests(manifests, files, root_name, |m| (m.into_value(), None)).0
    }

    /// [`Corpus::from_rendered`], where an object stamped from a lineage comes as it is
    /// held, its stamped heading without the rest ([`crate::manifest::Manifest`]), with
    /// the lineages: for [`super::Stream::judge`], which fills in the objects it judges.
    pub fn from_stamped(
        manifests: crate::manifest::ManifestSet,
        files: &mut BTreeMap<String, Vec<u8>>,
        root_name: &str,
    ) -> (Corpus, Vec<Option<crate::manifest::Lineage>>) {
        Corpus::from_manifests(manifests, files, root_name, |m| m.into_held())
    }

    fn from_manifests(
        manifests: crate::manifest::ManifestSet,
        files: &mut BTreeMap<String, Vec<u8>>,
        root_name: &str,
        value: impl Fn(crate::manifest::Manifest) -> (Value, Option<crate::manifest::Lineage>),
    ) -> (Corpus, Vec<Option<crate::manifest::Lineage>>) {
        let mut corpus = Corpus {
            root_name: Some(root_name.to_owned()),
            ..Corpus::default()
        };
        let mut lineages = Vec::with_capacity(manifests.manifests.len());
        corpus.docs.reserve_exact(manifests.manifests.len());
        let places = crate::tree::places(&manifests.manifests);
        // A file-per-app file holds several objects: added once, each object a document of it.
        let shared = places.iter().any(|(_, index)| *index > 0);
        let mut added: HashMap<String, SourceId> = HashMap::new();
        for (m, (path, index)) in manifests.manifests.into_iter().zip(places) {
            let file = match added.get(&path).filter(|_| shared) {
                Some(file) => *file,
                None => {
                    let text = files
                        .remove(&path)
                        .map(|b| {
                            String::from_utf8(b).unwrap_or_else(|e| {
                                String::from_utf8_lossy(e.as_bytes()).into_owned()
                            })
                        })
                        .unwrap_or_default();
                    corpus.add_dirs(&path);
                    // Its bytes are the emitter's output for these very values.
                    corpus.written.push(Written::AsGenerated);
                    if shared {
                        let file = corpus.sources.add(path.clone(), text);
                        added.insert(path, file);
                        file
                    } else {
                        corpus.sources.add(path, text)
                    }
                }
            };
            let id = Some(Identity::from(&m.id));
            let (value, lineage) = value(m);
            lineages.push(lineage);
            corpus.docs.push(Document {
                file,
                index,
                base: Box::default(),
                value: value.into(),
                id,
                binding: None,
            });
        }
        (corpus, lineages)
    }

    /// Read files and directories (recursively: `.yaml`, `.yml`, `.json`); `-` reads stdin.
    pub fn read_paths(paths: &[String]) -> Result<Corpus, String> {
        let listing = list_paths(paths)?;
        Corpus::read_inputs(&listing.inputs, listing.root_name)
    }

    /// Read and parse `inputs`, in parallel: a tree is tens of thousands of small files.
    pub fn read_inputs(inputs: &[Input], root_name: Option<String>) -> Result<Corpus, String> {
        // A file that cannot be read (vanished, not text) is one finding; the rest are
        // linted and every report is still written.
        let read: Vec<(String, Result<String, String>)> = inputs
            .par_iter()
            .map(|input| (input.path.clone(), input.read()))
            .collect();
        let mut unreadable = Vec::new();
        let files = read
            .into_iter()
            .enumerate()
            .map(|(i, (path, text))| match text {
                Ok(text) => (path, text),
                Err(why) => {
                    unreadable.push((i, why));
                    (path, String::new())
                }
            })
            .collect();
        let mut corpus = Corpus {
            root_name,
            ..Corpus::default()
        };
        corpus.add_files(files);
        for (i, why) in unreadable {
            corpus.read_findings.push(Finding {
                rule: "unreadable-file",
                severity: Severity::Error,
                message: why,
                location: Location::file_only(corpus.sources.path(SourceId::nth(i))),
                object: None,
                help: Some("lint reads UTF-8, UTF-16 and UTF-32 text files of up to 8 MiB".into()),
            });
        }
        for (i, input) in inputs.iter().enumerate() {
            if let Origin::Link(why) = &input.origin {
                corpus.read_findings.push(Finding {
                    rule: "symlink-out-of-bounds",
                    severity: Severity::Error,
                    message: why.clone(),
                    location: Location::file_only(corpus.sources.path(SourceId::nth(i))),
                    object: None,
                    help: Some(
                        "link only to files inside the repository's folder, or copy the file in"
                            .into(),
                    ),
                });
            }
        }
        Ok(corpus)
    }

    /// Move `other`'s files and documents in after this corpus's own.
    pub fn append(&mut self, other: Corpus) {
        self.kinds = OnceLock::new();
        let offset = self.sources.append(other.sources);
        self.docs.extend(other.docs.into_iter().map(|mut d| {
            d.file = SourceId::nth(d.file.index() + offset);
            d
        }));
        self.dirs.extend(other.dirs);
        self.written.extend(other.written);
        self.read_findings.extend(other.read_findings);
        self.skipped.extend(other.skipped);
        if self.root_name.is_none() {
            self.root_name = other.root_name;
        }
    }
}

/// Where a linted file's text comes from, so that it can be read again for a position.
#[derive(Clone, Debug)]
pub enum Origin {
    File(PathBuf),
    /// A file found in a linted folder, at the input's path under that folder: the folder
    /// is shared by its files rather than joined onto each path (a second copy of every
    /// path, ~55 MB at 800,000 files).
    Under(std::sync::Arc<Path>),
    /// Read once (stdin): the text itself.
    Text(String),
    /// A symlink not followed, with why: its target is outside the linted directory (or
    /// missing). Argo CD refuses such a repository; lint reports it.
    Link(String),
}

/// One file to lint: its display path (relative to the directory named on the command
/// line) and its origin.
#[derive(Clone, Debug)]
pub struct Input {
    pub path: String,
    pub origin: Origin,
}

impl Input {
    /// The file's text, size-checked before it is read (see [`read_bounded`]).
    pub fn read(&self) -> Result<String, String> {
        let read =
            |path: &Path| read_path(path).map_err(|e| format!("cannot read {}: {e}", self.path));
        match &self.origin {
            Origin::File(path) => read(path),
            Origin::Under(dir) => read(&dir.join(&self.path)),
            Origin::Text(text) => Ok(text.clone()),
            Origin::Link(_) => Ok(String::new()),
        }
    }
}

/// The files a lint of some paths reads, in order.
#[derive(Debug, Default)]
pub struct Listing {
    pub inputs: Vec<Input>,
    /// The name of the first directory linted (`gitops`), to match repository paths.
    pub root_name: Option<String>,
    /// Files not listed for lint because their path says they are not manifests (by the
    /// path as the user typed it).
    pub skipped: Vec<super::Skipped>,
    /// The folders of the skipped files, relative to the linted folder (still folders of
    /// the repository for an Application's path).
    pub skipped_dirs: Vec<String>,
    /// `(inputs, folder as typed)`: the inputs listed from a folder, whose paths reports
    /// show under the folder as the user typed it (`gitops/team-a/d.yaml` for `lint
    /// gitops`), so CI annotations attach to the file. Rules see paths relative to the
    /// linted folder.
    pub folders: Vec<(std::ops::Range<usize>, String)>,
}

impl Listing {
    /// How reports show each of the listed files `rel` (the first listed file of a path
    /// wins); only the paths asked for are looked up.
    pub fn shown<'a>(
        &self,
        rel: impl IntoIterator<Item = &'a str>,
    ) -> std::collections::HashMap<String, String> {
        let wanted: BTreeSet<&str> = rel.into_iter().collect();
        let mut out = std::collections::HashMap::new();
        if wanted.is_empty() {
            return out;
        }
        for (range, prefix) in &self.folders {
            for input in &self.inputs[range.clone()] {
                if wanted.contains(input.path.as_str()) {
                    out.entry(input.path.clone())
                        .or_insert_with(|| format!("{prefix}/{}", input.path));
                }
            }
        }
        out
    }
}

/// What the symlinks `links` (relative to `dir`) are to a lint, as Argo CD would read them:
/// a link to a YAML file inside `dir` is read at the link's path; a link whose target is
/// outside `dir` (or missing) is reported ([`Origin::Link`]); a link to a directory inside
/// is not entered (its files are linted at their own paths).
fn links(dir: &Path, links: Vec<String>, yaml: impl Fn(&str) -> bool) -> Vec<Input> {
    let root = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    links
        .into_iter()
        .filter_map(|rel| {
            let at = dir.join(&rel);
            let link = std::fs::read_link(&at)
                .map(|t| t.display().to_string())
                .unwrap_or_else(|_| "?".into());
            let origin = match at.canonicalize() {
                Ok(target) if target.starts_with(&root) => {
                    if !target.is_file() || !yaml(&rel) {
                        return None;
                    }
                    Origin::File(at)
                }
                Ok(_) => Origin::Link(format!(
                    "{rel} is a symlink to {link}, outside the linted directory: not followed (Argo CD refuses out-of-bounds symlinks)"
                )),
                Err(_) => Origin::Link(format!(
                    "{rel} is a symlink to {link}, which does not exist"
                )),
            };
            Some(Input { path: rel, origin })
        })
        .collect()
}

/// List files and directories (recursively: `.yaml`, `.yml`, `.json`, hidden entries
/// skipped, by name); `-` reads stdin now.
pub fn list_paths(paths: &[String]) -> Result<Listing, String> {
    let mut listing = Listing::default();
    for p in paths {
        if p == "-" {
            let text = read_bounded(std::io::stdin().lock(), None)
                .map_err(|e| format!("cannot read stdin: {e}"))?;
            listing.inputs.push(Input {
                path: "<stdin>".into(),
                origin: Origin::Text(text),
            });
            continue;
        }
        let path = Path::new(p);
        if !path.exists() {
            return Err(format!("cannot read {p}: no such file or directory"));
        }
        if !path.is_dir() {
            if let Some(reason) = Classifier::default().skip(p) {
                listing.skipped.push(Skipped {
                    path: p.clone(),
                    reason,
                });
                continue;
            }
            listing.inputs.push(Input {
                path: p.clone(),
                origin: Origin::File(path.to_owned()),
            });
            continue;
        }
        if listing.root_name.is_none() {
            listing.root_name = path.canonicalize().ok().and_then(|c| repo_relative(&c));
        }
        let walk = crate::tree::walk::walk(path);
        if let Some((dir, err)) = walk.errors.first() {
            return Err(format!("cannot read {}: {err}", dir.display()));
        }
        let yaml = |rel: &str| [".yaml", ".yml", ".json"].iter().any(|e| rel.ends_with(e));
        let prefix = p.trim_end_matches('/');
        let prefix = if prefix == "." { "" } else { prefix };
        let shown = |rel: &str| {
            if prefix.is_empty() {
                rel.to_owned()
            } else {
                format!("{prefix}/{rel}")
            }
        };
        let classifier = Classifier::new(path, &walk.files);
        let dir: std::sync::Arc<Path> = path.into();
        let mut found: Vec<Input> = walk
            .files
            .into_iter()
            .filter(|r| yaml(r))
            .filter(|rel| match classifier.skip(rel) {
                Some(reason) => {
                    listing.skipped.push(Skipped {
                        path: shown(rel),
                        reason,
                    });
                    listing.skipped_dirs.push(rel.clone());
                    false
                }
                None => true,
            })
            .map(|rel| Input {
                origin: Origin::Under(std::sync::Arc::clone(&dir)),
                path: rel,
            })
            .collect();
        found.extend(links(path, walk.links, yaml));
        found.sort_by(|a, b| a.path.cmp(&b.path));
        if !prefix.is_empty() {
            let first = listing.inputs.len();
            listing
                .folders
                .push((first..first + found.len(), prefix.to_owned()));
        }
        listing.inputs.extend(found);
    }
    Ok(listing)
}

/// Where folder `dir` (canonical) sits in its Git repository (`infra/kubernetes/gitops`),
/// which is how Argo CD generator paths name it; its own name outside a repository.
fn repo_relative(dir: &Path) -> Option<String> {
    let repo = dir.ancestors().find(|a| a.join(".git").exists());
    match repo.and_then(|r| dir.strip_prefix(r).ok()) {
        Some(rel) if !rel.as_os_str().is_empty() => Some(rel.to_string_lossy().replace('\\', "/")),
        _ => dir.file_name().map(|n| n.to_string_lossy().into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Every folder above every path added, and no other, whatever the order of the
        /// paths (a folder recorded stops the climb).
        #[test]
        fn the_folders_recorded_are_every_folder_above_a_path(
            paths in prop::collection::vec("[ab]{1,2}(/[ab]{1,2}){0,4}", 0..24)
        ) {
            let mut corpus = Corpus::default();
            for p in &paths {
                corpus.add_dirs(p);
            }
            let mut every = BTreeSet::new();
            for p in &paths {
                let parts: Vec<&str> = p.split('/').collect();
                for end in 1..parts.len() {
                    every.insert(parts[..end].join("/"));
                }
            }
            prop_assert_eq!(&corpus.dirs, &every);
        }
    }

    fn judge(path: &str, text: &str) -> Written {
        Written::judge(path, text, &parse_documents(text))
    }

    #[test]
    fn only_a_folders_file_is_written_with_several_documents() {
        let header = crate::manifest::header("environments/dev.yaml");
        let a = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n";
        let b = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n";
        let two = format!("{header}{a}---\n{b}");
        assert_eq!(
            judge("dev/tenants/x/manifest.yaml", &two),
            Written::AsGenerated
        );
        assert_eq!(
            judge("dev/tenants/x/configmap-a.yaml", &two),
            Written::EditedAfterGeneration
        );
        assert_eq!(
            judge("dev/tenants/x/manifest.yaml", &format!("{header}{a}")),
            Written::AsGenerated
        );
        for edited in [
            format!("{header}{a}---\n# by hand\n{b}"),
            format!("{header}{a}---\n{b}---\n"),
            format!("{header}{a}\n---\n{b}"),
            format!("{header}---\n{a}---\n{b}"),
            format!("{header}{}---\n{b}", a.replace("name: a", "name: 'a'")),
        ] {
            assert_eq!(
                judge("dev/tenants/x/manifest.yaml", &edited),
                Written::EditedAfterGeneration,
                "{edited}"
            );
        }
        assert_eq!(
            judge("dev/tenants/x/manifest.yaml", &format!("{a}---\n{b}")),
            Written::ByHand
        );
    }
}
