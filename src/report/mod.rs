//! Lint reports: one writer per format, all from the same findings.
//!
//! `human` is for people (rustc-style snippet); `json` is the stable machine format; `sarif`
//! (2.1.0) is for code-scanning upload; `github` prints workflow-command annotations; `junit`
//! turns each rule into a test case for CI dashboards.

mod github;
mod human;
mod json;
mod junit;
mod sarif;

use clap::ValueEnum;

use crate::lint::{Finding, Skipped};

/// Output formats of `lint`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
    Junit,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        <Format as ValueEnum>::from_str(s, true)
    }
}

/// What one lint run has to report.
pub struct Summary<'a> {
    pub findings: &'a [Finding],
    /// How many objects were linted.
    pub checked: usize,
    /// Files that are not manifests, with why: counted, and listed when `verbose`.
    pub skipped: &'a [Skipped],
    pub verbose: bool,
}

impl<'a> Summary<'a> {
    /// Findings alone (a render's lint, which reads no file that is not its own).
    pub fn of(findings: &'a [Finding], checked: usize) -> Summary<'a> {
        Summary {
            findings,
            checked,
            skipped: &[],
            verbose: false,
        }
    }
}

/// Render a lint's summary in `format`.
pub fn render(format: Format, s: &Summary<'_>) -> String {
    match format {
        Format::Human => human::render(s),
        Format::Json => json::render(s),
        Format::Sarif => sarif::render(s.findings),
        Format::Github => github::render(s.findings),
        Format::Junit => junit::render(s.findings),
    }
}
