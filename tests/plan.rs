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
    // A pattern written before `*.tiff` wins for the TIFFs it matches (neither pattern
    // covers the other, so neither is shadowed).
    e.edit(
        "policy-packs/platform/1.2.0/pack.yaml",
        "      \"*.tiff\": [tiff-offsets]\n",
        "      \"scan-*\": [file-transfer]\n      \"*.tiff\": [tiff-offsets]\n",
    );
    let out = e.run(&[
        "plan",
        "dev",
        "data-dev",
        "scan-1.tiff",
        "photo.tiff",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(v["files"][0]["pattern"], "scan-*");
    assert_eq!(
        v["files"][0]["workflows"][0]["workflowTemplate"],
        "file-transfer"
    );
    assert_eq!(v["files"][1]["pattern"], "*.tiff");
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

/// A parsed mapping keeps no order, so `byFileType`'s is read from the files: the pack's
/// patterns as written, an override changing one in place, `null` taking one out (without
/// moving the others), and a new pattern after the pack's even when written first.
#[test]
fn overrides_keep_the_pack_order_and_add_patterns_at_the_end() {
    let e = Estate::example();
    // The pack's catch-all is taken out: a pattern added after it could never match
    // (shadowed-file-pattern, tests/explain.rs).
    e.edit(
        "environments/dev.yaml",
        "  overrides:\n    workflows:\n",
        "  overrides:\n    workflows:\n      byFileType:\n        \"reports/*.csv\": [file-transfer]\n        \"*.tif\": [file-transfer]\n        \"*.tiff\": null\n        \"*\": null\n",
    );
    let out = e.run(&["render", "--env", "dev", "--env", "prod", "--no-lint"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let patterns = |rel: &str| -> Vec<String> {
        e.read(rel)
            .lines()
            .filter_map(|l| l.trim().strip_prefix("\"pattern\": "))
            .map(|p| p.trim_end_matches(',').to_owned())
            .collect()
    };
    assert_eq!(
        patterns("gitops/dev/tenants/data-dev/configmap-workflow-policy.yaml"),
        [r#""*.tif""#, r#""reports/*.csv""#]
    );
    assert_eq!(
        patterns("gitops/prod/tenants/data-prod/configmap-workflow-policy.yaml"),
        [r#""*.tiff""#, r#""*.tif""#, r#""*""#]
    );
    let out = e.run(&["plan", "dev", "data", "b.tif", "reports/q.csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows: Vec<Vec<String>> = stdout(&out)
        .lines()
        .map(|l| l.split_whitespace().map(str::to_owned).collect())
        .collect();
    let row = |file: &str| {
        rows.iter()
            .find(|r| r.first().map(String::as_str) == Some(file))
            .cloned()
    };
    assert_eq!(
        row("b.tif").map(|r| r[1].clone()),
        Some("*.tif".to_owned()),
        "{rows:?}"
    );
    assert_eq!(
        row("reports/q.csv").map(|r| r[1].clone()),
        Some("reports/*.csv".to_owned()),
        "{rows:?}"
    );
}
