//! `plan`: which workflows process a file, first matching pattern wins.

mod common;

use common::{stderr, stdout, Estate};

#[test]
fn first_matching_pattern_wins() {
    let e = Estate::example();
    let out = e.run(&[
        "plan",
        "dev",
        "data",
        "scans/scan-001.tiff",
        "reports/q3.csv",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    insta::assert_snapshot!(stdout(&out));
}

#[test]
fn order_as_written_decides() {
    let e = Estate::example();
    // Put the catch-all first: now it wins for TIFFs too.
    e.edit(
        "policy-packs/platform/1.2.0/pack.yaml",
        "      \"*.tiff\": [tiff-offsets]\n      \"*.tif\": [tiff-offsets]\n      \"*\": [file-transfer]",
        "      \"*\": [file-transfer]\n      \"*.tiff\": [tiff-offsets]\n      \"*.tif\": [tiff-offsets]",
    );
    let out = e.run(&["plan", "dev", "data-dev", "scan.tiff", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(v["files"][0]["pattern"], "*");
    assert_eq!(
        v["files"][0]["workflows"][0]["workflowTemplate"],
        "file-transfer-v1"
    );
}

#[test]
fn a_missing_workflow_blocks_publication() {
    let e = Estate::example();
    let out = e.run(&["plan", "prod", "backend", "scan.tiff"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("tiff-offsets (MISSING in backend-prod)"),
        "{}",
        stdout(&out)
    );
    assert!(stderr(&out).contains("not publishable"));
}

#[test]
fn unknown_tenant_is_an_error() {
    let e = Estate::example();
    let out = e.run(&["plan", "prod", "payments", "a.tiff"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("environment `prod` has no tenant `payments`"));
}
