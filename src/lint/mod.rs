//! Lint: strict schema validation and policy rules over any set of Kubernetes objects — a
//! tree this tool rendered, hand-written manifests, or Helm output on stdin.
//!
//! Rules live one per file in `rules/` and are registered in [`registry::RULES`]; each has a
//! stable kebab-case id (what users put in `gitops-render.dev/ignore` annotations and pack
//! severity overrides), a default severity, and a doc (`gitops-render rules ID`). A rule sees
//! the whole [`Corpus`], so cross-object rules (quota per namespace, templateRef resolution,
//! ApplicationSet paths) are ordinary rules. Positions are looked up only for hits.

mod config;
mod corpus;
mod helpers;
pub mod registry;
mod rules;

use rayon::prelude::*;

pub use config::{LintConfig, Waiver, IGNORE_ANNOTATION};
pub use corpus::{Corpus, Document};
pub use registry::{rule, Rule, RULES};

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

/// Run every rule over the corpus and apply suppressions; findings sorted by location.
pub fn lint(corpus: &Corpus, config: &LintConfig) -> Vec<Finding> {
    let per_rule: Vec<Vec<Finding>> = RULES
        .par_iter()
        .map(|rule| {
            let Some(severity) = config.severity(rule) else {
                return Vec::new();
            };
            let mut hits = Vec::new();
            (rule.check)(corpus, config, &mut hits);
            hits.into_iter()
                .filter(|h| !config.suppressed(rule.id, &corpus.docs[h.doc]))
                .map(|h| Finding {
                    rule: rule.id,
                    severity,
                    location: corpus.locate(h.doc, &h.pointer, Target::Key),
                    object: Some(corpus.docs[h.doc].display()),
                    message: h.message,
                    help: None,
                })
                .collect()
        })
        .collect();
    let mut findings: Vec<Finding> = corpus.read_findings.clone();
    findings.extend(per_rule.into_iter().flatten());
    findings.extend(config.expired_waivers());
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
