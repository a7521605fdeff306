//! SARIF 2.1.0, for GitHub code scanning and other SARIF consumers.

use serde_sarif::sarif::{
    ArtifactLocation, Location, Message, MultiformatMessageString, PhysicalLocation, Region,
    ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif, Tool, ToolComponent,
};

use crate::diagnostic::Severity;
use crate::lint::{Finding, PROJECT_URI, RULES};

/// The base the result paths are relative to.
const SRCROOT: &str = "%SRCROOT%";

/// A path as a URI reference: every byte outside RFC 3986's unreserved set and `/` is
/// percent-encoded (`my app/värden.yaml` → `my%20app/v%C3%A4rden.yaml`).
fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn render(findings: &[Finding]) -> String {
    let rules: Vec<ReportingDescriptor> = RULES
        .iter()
        .map(|r| {
            ReportingDescriptor::builder()
                .id(r.id)
                .short_description(MultiformatMessageString::builder().text(r.summary).build())
                .full_description(
                    MultiformatMessageString::builder()
                        .text(r.doc)
                        .markdown(r.doc)
                        .build(),
                )
                // What code-scanning shows under a result: `gitops-render rules ID`.
                .help(
                    MultiformatMessageString::builder()
                        .text(format!("{}\n\n{}", r.summary, r.doc))
                        .markdown(format!("**{}**\n\n{}", r.summary, r.doc))
                        .build(),
                )
                .help_uri(r.help_uri())
                .build()
        })
        .collect();
    let results: Vec<SarifResult> = findings
        .iter()
        .map(|f| {
            let region = Region::builder()
                .start_line(i64::try_from(f.location.line).unwrap_or(1))
                .start_column(i64::try_from(f.location.col).unwrap_or(1))
                .build();
            let location = Location::builder()
                .physical_location(
                    PhysicalLocation::builder()
                        .artifact_location(
                            ArtifactLocation::builder()
                                .uri(percent_encode(&f.location.file))
                                .uri_base_id(SRCROOT)
                                .build(),
                        )
                        .region(region)
                        .build(),
                )
                .build();
            SarifResult::builder()
                .rule_id(f.rule)
                .level(match f.severity {
                    Severity::Error => ResultLevel::Error,
                    Severity::Warning => ResultLevel::Warning,
                    Severity::Note => ResultLevel::Note,
                })
                .message(Message::builder().text(f.message.clone()).build())
                .locations(vec![location])
                .build()
        })
        .collect();
    let driver = ToolComponent::builder()
        .name("gitops-render")
        .version(env!("CARGO_PKG_VERSION"))
        .information_uri(PROJECT_URI)
        .rules(rules)
        .build();
    // Paths are relative to where the command ran (as typed): that folder is %SRCROOT%.
    let root = std::env::current_dir()
        .map(|d| format!("file://{}/", percent_encode(&d.to_string_lossy())))
        .unwrap_or_else(|_| "file:///".into());
    let bases: std::collections::BTreeMap<String, ArtifactLocation> = [(
        SRCROOT.to_owned(),
        ArtifactLocation::builder().uri(root).build(),
    )]
    .into_iter()
    .collect();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .original_uri_base_ids(bases)
        .results(results)
        .build();
    let log = Sarif::builder()
        .version(serde_json::json!("2.1.0"))
        .schema(serde_sarif::sarif::SCHEMA_URL)
        .runs(vec![run])
        .build();
    format!(
        "{}\n",
        serde_json::to_string_pretty(&log).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_are_uri_references() {
        assert_eq!(
            super::percent_encode("my app/värden#1.yaml"),
            "my%20app/v%C3%A4rden%231.yaml"
        );
        assert_eq!(
            super::percent_encode("../gitops/a.yaml"),
            "../gitops/a.yaml"
        );
    }
}
