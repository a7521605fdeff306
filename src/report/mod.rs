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

use crate::lint::Finding;

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

/// Render `findings` in `format`; `checked` is the number of objects linted.
pub fn render(format: Format, findings: &[Finding], checked: usize) -> String {
    match format {
        Format::Human => human::render(findings, checked),
        Format::Json => json::render(findings, checked),
        Format::Sarif => sarif::render(findings),
        Format::Github => github::render(findings),
        Format::Junit => junit::render(findings),
    }
}
