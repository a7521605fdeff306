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
            "# prod/data → namespace data-prod, pack platform@1.1.0\ntiers.large.cpu = \"12\"  ← environments/prod.yaml:16\n"
        );
    }
}

#[test]
fn tenant_values_show_which_layer_won() {
    let e = Estate::example();
    let out = e.run(&["explain", "prod", "data", "tenant"]);
    let text = stdout(&out);
    // prod overrides the tier and the developers; viewers come from _base; the profile from the pack.
    assert!(
        text.contains("tenant.tier = \"large\"") && text.contains("← environments/prod.yaml:23"),
        "{text}"
    );
    assert!(text.contains("tenant.owners.viewer = [\"group:analysts\",\"user:ana@example.com\"]  ← environments/_base.yaml:36"), "{text}");
    assert!(
        text.contains("tenant.networkProfile = \"isolated\"")
            && text.contains("← policy-packs/platform/1.1.0/pack.yaml:12"),
        "{text}"
    );
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
        "# dev/data → namespace data-dev, pack platform@1.2.0\ntenant.tier = \"small\"  ← policy-packs/platform/1.2.0/pack.yaml:13\n",
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
