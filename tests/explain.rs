//! `explain`: resolved values with the file and line each came from.

mod common;

use common::{stderr, stdout, Estate};

#[test]
fn explains_a_tenant_with_origins() {
    let e = Estate::example();
    let out = e.run(&["explain", "prod", "data"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    insta::assert_snapshot!(stdout(&out));
}

#[test]
fn explains_one_field_by_team_or_namespace() {
    let e = Estate::example();
    for tenant in ["data", "data-prod"] {
        let out = e.run(&["explain", "prod", tenant, "tiers.large.cpu"]);
        assert_eq!(
            stdout(&out),
            format!(
            "# prod/data → namespace data-prod, pack platform@1.1.0\ntiers.large.cpu = \"12\"  ← {}\n",
            e.loc("environments/prod.yaml", "large: {cpu: \"12\"}", "large").rsplit_once(':').map(|(l, _)| l.to_owned()).unwrap_or_default()
        )
        );
    }
}

#[test]
fn tenant_values_show_which_layer_won() {
    let e = Estate::example();
    let out = e.run(&["explain", "prod", "data", "tenant"]);
    let text = stdout(&out);
    // `file:line` of the first line containing `needle` after the line containing `anchor`.
    let after = |rel: &str, anchor: &str, needle: &str| {
        let body = e.read(rel);
        let lines: Vec<&str> = body.lines().collect();
        let start = lines
            .iter()
            .position(|l| l.contains(anchor))
            .expect("anchor");
        let n = lines
            .iter()
            .skip(start)
            .position(|l| l.contains(needle))
            .expect("needle")
            + start
            + 1;
        format!("{rel}:{n}")
    };
    let origin = |path: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{path} = ")))
            .and_then(|l| l.rsplit_once("← "))
            .map(|(_, o)| o.to_owned())
            .unwrap_or_default()
    };
    // prod overrides the tier and the developers; viewers come from _base; the profile from the pack.
    assert_eq!(
        origin("tenant.tier"),
        after("environments/prod.yaml", "    data:", "tier: large"),
        "{text}"
    );
    assert_eq!(
        origin("tenant.owners.developer"),
        after("environments/prod.yaml", "    data:", "developer:"),
        "{text}"
    );
    assert_eq!(
        origin("tenant.owners.viewer"),
        after("environments/_base.yaml", "    data:", "viewer:"),
        "{text}"
    );
    assert_eq!(
        origin("tenant.networkProfile"),
        after(
            "policy-packs/platform/1.1.0/pack.yaml",
            "tenantDefaults:",
            "networkProfile:"
        ),
        "{text}"
    );
    assert!(text.contains("tenant.tier = \"large\""), "{text}");
}

#[test]
fn unknown_tenant_or_field_exit_2() {
    let e = Estate::example();
    let out = e.run(&["explain", "prod", "dta"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("environment `prod` has no tenant `dta`")
            && stderr(&out).contains("did you mean `data`?")
    );
    let out = e.run(&["explain", "prod", "data", "tiers.huge"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no field `tiers.huge`"));
    let out = e.run(&["explain", "qa", "data"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn null_falls_back_to_the_pack_default_and_lists_replace() {
    let e = Estate::example();
    // _base gives data `medium`; dev drops it with null → the pack's tenantDefaults (small).
    e.edit(
        "environments/dev.yaml",
        "    data:\n      tier: small",
        "    data:\n      tier: null",
    );
    let out = e.run(&["explain", "dev", "data", "tenant.tier"]);
    assert_eq!(
        stdout(&out),
        format!(
            "# dev/data → namespace data-dev, pack platform@1.2.0\ntenant.tier = \"small\"  ← {}\n",
            e.loc(
                "policy-packs/platform/1.2.0/pack.yaml",
                "    tier: small",
                "tier"
            )
            .rsplit_once(':')
            .map(|(l, _)| l.to_owned())
            .unwrap_or_default()
        ),
        "{}",
        stderr(&out)
    );
    // backend's features come from _base ([istio]); local's `features: []` replaces the list.
    let out = e.run(&["explain", "local", "backend", "tenant.features"]);
    assert!(
        stdout(&out).contains("tenant.features = []  ← environments/local.yaml:"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn null_in_overrides_removes_a_pack_entry() {
    let e = Estate::example();
    e.edit(
        "environments/staging.yaml",
        "  overrides:\n",
        "  overrides:\n    features:\n      istio: null\n",
    );
    let out = e.run(&["render"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(
            "feature `istio` is not defined by pack platform@1.2.0 at environments/_base.yaml:"
        ),
        "{err}"
    );
}

#[test]
fn explains_workflow_settings_with_their_origins() {
    let e = Estate::example();
    let out = e.run(&["explain", "dev", "data", "workflows"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let pack = "policy-packs/platform/1.2.0/pack.yaml";
    let line_of = |file: &str, needle: &str| {
        let l = e.loc(file, needle, needle);
        l.rsplit_once(':')
            .map(|(l, _)| l.to_owned())
            .unwrap_or_default()
    };
    for (entry, origin) in [
        (
            "workflows.byFileType[\"*.tiff\"] = [\"tiff-offsets\"]",
            line_of(pack, "\"*.tiff\": [tiff-offsets]"),
        ),
        (
            "workflows.artifactRepository.s3.bucket = \"platform-artifacts-dev\"",
            line_of(
                "environments/dev.yaml",
                "s3: {bucket: platform-artifacts-dev}",
            ),
        ),
        (
            "workflows.catalog.tiff-offsets.version = \"1.0.0\"",
            String::new(),
        ),
        (
            "workflows.defaults.retryStrategy.limit = 3",
            line_of(pack, "limit: 3"),
        ),
        (
            "workflows.required = [\"file-transfer\"]",
            line_of(pack, "required: [file-transfer]"),
        ),
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(entry))
            .unwrap_or_else(|| panic!("{entry} in:\n{text}"));
        assert!(line.ends_with(&origin), "{line} ← {origin}");
    }
    // Only the catalog entries of the tenant's own workflows.
    assert!(!text.contains("workflows.catalog.ci-pipeline"), "{text}");
}

#[test]
fn a_file_pattern_after_a_catch_all_is_an_error_with_both_locations() {
    let e = Estate::example();
    e.edit(
        "environments/dev.yaml",
        "      artifactRepository:\n",
        "      byFileType:\n        \"*.csv\": [file-transfer]\n      artifactRepository:\n",
    );
    let out = e.run(&["render"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("file pattern `*.csv` can never match: `*`, earlier in byFileType"),
        "{err}"
    );
    assert!(
        err.contains(&e.loc("environments/dev.yaml", "\"*.csv\"", "\"*.csv\"")),
        "{err}"
    );
    let star = e.loc(
        "policy-packs/platform/1.2.0/pack.yaml",
        "\"*\": [file-transfer]",
        "\"*\"",
    );
    assert!(err.contains(&format!("`*` is at {star}")), "{err}");
    assert!(!e.path().join("gitops").exists());
}
