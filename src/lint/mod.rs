//! Lint: strict schema validation and policy rules over any set of Kubernetes objects — a
//! tree this tool rendered, hand-written manifests, or Helm output on stdin.
//!
//! Rules live one per file in `rules/` and are registered in [`registry::RULES`]; each has a
//! stable kebab-case id (what users put in `gitops-render.dev/ignore` annotations and pack
//! severity overrides), a default severity, and a doc (`gitops-render rules ID`). A rule sees
//! a [`Corpus`] and says what of it it needs ([`Scope`]): one file's documents, or relations
//! across the whole set (quota per namespace, templateRef resolution, ApplicationSet paths)
//! read from documents pruned to the fields it lists. That split is what lets a lint of files
//! on disk ([`lint_paths`]) stream them in chunks. Positions are looked up only for hits.

mod binding;
mod classify;
mod config;
mod corpus;
mod helpers;
mod identity;
mod kinds;
mod prune;
pub mod registry;
mod repeats;
mod rules;
mod stream;

use rayon::prelude::*;

pub use classify::Skipped;
pub use config::{
    is_iso_date, names_kind, normalise_repo, LintConfig, Waiver, EXCEPTION_ANNOTATION,
    IGNORE_ANNOTATION,
};
pub use corpus::{list_paths, Corpus, Document, Input, Listing, Origin, Written, GENERATED_NAME};
pub use registry::{rule, rules_markdown, Rule, Scope, PROJECT_URI, RULES};
pub use stream::{lint_paths, Chunk, Gathered, Linted, Stream, CHUNK_FILES};

use crate::diagnostic::Severity;
use crate::source::{Location, Target};

/// One problem found by lint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    pub location: Location,
    /// The object, as `Kind namespace/name`.
    pub object: Option<String>,
    pub help: Option<String>,
}

/// What a rule reports: the document, where in it, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    pub doc: usize,
    pub pointer: String,
    pub message: String,
}

impl Hit {
    pub fn new(doc: usize, pointer: impl Into<String>, message: impl Into<String>) -> Hit {
        Hit {
            doc,
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

/// The kinds of a rendered tree, a tenant's first ([`crate::cmp::TENANT_KINDS`]), most
/// expensive schema first: what `lint` compiles the validators of ahead of reading the tree.
pub const TREE_KINDS: [(&str, &str); 13] = [
    ("argoproj.io/v1alpha1", "WorkflowTemplate"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("v1", "Namespace"),
    ("v1", "ResourceQuota"),
    ("v1", "LimitRange"),
    ("v1", "ServiceAccount"),
    ("v1", "ConfigMap"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("argoproj.io/v1alpha1", "ApplicationSet"),
    ("argoproj.io/v1alpha1", "Application"),
    ("argoproj.io/v1alpha1", "AppProject"),
    ("backstage.io/v1alpha1", "Resource"),
];

/// Run every rule over the corpus and apply suppressions; findings sorted by location.
pub fn lint(corpus: &Corpus, config: &LintConfig) -> Vec<Finding> {
    let mut findings: Vec<Finding> = corpus.read_findings.clone();
    findings.extend(locate(corpus, judge(corpus, config, |_| true)));
    findings.extend(config.expired_waivers());
    sorted(findings)
}

/// A rule's hit that no annotation or waiver suppresses, with the severity it reports at.
struct Judged {
    rule: &'static Rule,
    severity: Severity,
    hit: Hit,
}

/// Run the rules `which` selects (in parallel) and drop suppressed hits.
fn judge(corpus: &Corpus, config: &LintConfig, which: fn(&Rule) -> bool) -> Vec<Judged> {
    suppress(corpus, config, hits(corpus, config, which))
}

/// A rule's hits, before suppressions.
struct Hits {
    rule: &'static Rule,
    hits: Vec<Hit>,
}

/// The hits of the rules `which` selects and the configuration leaves on, in parallel.
fn hits(corpus: &Corpus, config: &LintConfig, which: impl Fn(&Rule) -> bool + Sync) -> Vec<Hits> {
    RULES
        .par_iter()
        .filter(|rule| which(rule) && config.severity(rule).is_some())
        .map(|&rule| {
            let mut hits = Vec::new();
            (rule.check)(corpus, config, &mut hits);
            Hits { rule, hits }
        })
        .collect()
}

/// The hits no annotation or waiver suppresses, at the severity each reports at.
fn suppress(corpus: &Corpus, config: &LintConfig, hits: Vec<Hits>) -> Vec<Judged> {
    hits.into_par_iter()
        .flat_map_iter(|Hits { rule, hits }| {
            let severity = config.severity(rule);
            hits.into_iter().filter_map(move |mut hit| {
                let doc = &corpus.docs[hit.doc];
                if config.suppressed(rule.id, doc) {
                    return None;
                }
                let mut severity = severity?;
                if let Some(relaxation) = config::relaxed_by(rule.id).filter(|r| {
                    doc.annotation(config::EXCEPTION_ANNOTATION)
                        .is_some_and(|a| a.split(',').any(|x| x.trim() == *r))
                }) {
                    severity = Severity::Note;
                    hit.message.push_str(&format!(
                        " (the pack's `{relaxation}` exception for this workflow)"
                    ));
                }
                Some(Judged {
                    rule,
                    severity,
                    hit,
                })
            })
        })
        .collect()
}

/// Findings at the positions of their hits: needs the text of the hits' files.
fn locate(corpus: &Corpus, judged: Vec<Judged>) -> Vec<Finding> {
    locate_with(corpus, judged, Notes::Placed)
}

/// Where notes are placed: a note's position costs a parse of its file with marks (the
/// 1,834 notes of a 1,000-tenant environment were an eighth of its render), and `render`
/// and the plugin only count notes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notes {
    /// At the field, like every other finding.
    Placed,
    /// At the first line of the file, without its text.
    Counted,
}

fn locate_with(corpus: &Corpus, judged: Vec<Judged>, notes: Notes) -> Vec<Finding> {
    judged
        .into_iter()
        .map(|j| Finding {
            rule: j.rule.id,
            severity: j.severity,
            // A counted note is never shown, so neither is its line: reading it (a
            // file-per-app file holds ten objects' notes, each asking whether the file
            // holds a Secret) was 6% of a render at N = 10,000.
            location: if notes == Notes::Counted && j.severity == Severity::Note {
                let d = &corpus.docs[j.hit.doc];
                crate::source::Location::file_only(corpus.sources.path(d.file))
            } else {
                corpus.locate(j.hit.doc, &j.hit.pointer, Target::Key)
            },
            object: Some(corpus.docs[j.hit.doc].display()),
            message: j.hit.message,
            help: None,
        })
        .collect()
}

/// Findings in report order (file, line, column, rule, message), each once.
fn sorted(mut findings: Vec<Finding>) -> Vec<Finding> {
    findings.sort_by(|a, b| {
        (
            &a.location.file,
            a.location.line,
            a.location.col,
            a.rule,
            &a.message,
        )
            .cmp(&(
                &b.location.file,
                b.location.line,
                b.location.col,
                b.rule,
                &b.message,
            ))
    });
    findings.dedup();
    findings
}

/// Does any finding have error severity?
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A note `render` only counts keeps its file and first line, without reading the line;
    /// placed, the same note points at its field and shows that line.
    #[test]
    fn counted_notes_name_their_file_alone() {
        let mut corpus = Corpus::default();
        corpus.add_file(
            "dev/a/manifest.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  level: debug\n"
                .into(),
        );
        let rule = registry::rule("no-schema").expect("a rule");
        let judged = || {
            vec![Judged {
                rule,
                severity: Severity::Note,
                hit: Hit::new(1, "/data/level", "declared"),
            }]
        };
        let counted = locate_with(&corpus, judged(), Notes::Counted);
        assert_eq!(
            counted[0].location,
            crate::source::Location::file_only("dev/a/manifest.yaml")
        );
        assert_eq!(counted[0].object.as_deref(), Some("ConfigMap b"));
        let placed = locate_with(&corpus, judged(), Notes::Placed);
        assert_eq!(
            (
                placed[0].location.line,
                placed[0].location.line_text.as_deref()
            ),
            (11, Some("  level: debug"))
        );
    }
}
