//! Every kind of bad input: exit 2, a `file:line:col` pointing at the culprit, a message
//! saying what was expected, and nothing written. Diagnostics are snapshotted exactly as
//! users see them.

mod common;

use common::{assert_bad_input, Estate};

fn render_fails(estate: &Estate, location: &str) -> String {
    let out = estate.run(&["render"]);
    assert_bad_input(estate, &out, location)
}

#[test]
fn malformed_yaml() {
    let e = Estate::example();
    e.edit(
        "environments/dev.yaml",
        "      features: [monitoring-enhanced, object-storage]",
        "      features: [monitoring-enhanced, object-storage",
    );
    let err = render_fails(
        &e,
        &e.loc("environments/dev.yaml", "custom:tiff-offsets@2.0.0", ":"),
    );
    assert!(err.contains("invalid YAML"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn unknown_key_suggests_the_close_one() {
    let e = Estate::example();
    e.edit(
        "environments/prod.yaml",
        "    frontend:\n      tier: medium",
        "    frontend:\n      teir: medium",
    );
    let err = render_fails(&e, &e.loc("environments/prod.yaml", "teir: medium", "teir"));
    assert!(err.contains("unknown key `teir`"), "{err}");
    assert!(err.contains("did you mean `tier`?"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn unknown_key_in_a_pack() {
    let e = Estate::example();
    e.edit(
        "policy-packs/platform/1.2.0/pack.yaml",
        "  limitRange:",
        "  limitRanges:",
    );
    let err = render_fails(
        &e,
        &e.loc(
            "policy-packs/platform/1.2.0/pack.yaml",
            "limitRanges:",
            "limitRanges",
        ),
    );
    assert!(err.contains("did you mean `limitRange`?"), "{err}");
}

#[test]
fn wrong_type() {
    let e = Estate::example();
    e.edit(
        "environments/dev.yaml",
        "      features: [object-storage]",
        "      features: object-storage",
    );
    let err = render_fails(
        &e,
        &e.loc(
            "environments/dev.yaml",
            "features: object-storage",
            "object-storage",
        ),
    );
    assert!(
        err.contains("expected a list, found the string \"object-storage\""),
        "{err}"
    );
    insta::assert_snapshot!(err);
}

#[test]
fn wrong_type_in_a_pack_tier() {
    let e = Estate::example();
    e.edit(
        "policy-packs/platform/1.2.0/pack.yaml",
        "pods: 20,",
        "pods: twenty,",
    );
    let err = render_fails(&e, "policy-packs/platform/1.2.0/pack.yaml:18:");
    assert!(
        err.contains("expected an integer, found the string \"twenty\""),
        "{err}"
    );
}

#[test]
fn missing_required_field_in_a_file() {
    let e = Estate::example();
    e.edit("environments/dev.yaml", "  name: dev\n", "");
    let err = render_fails(&e, &e.loc("environments/dev.yaml", "metadata:", "metadata"));
    assert!(err.contains("missing required key `name`"), "{err}");
}

#[test]
fn missing_required_setting_after_the_chain() {
    let e = Estate::example();
    e.edit(
        "environments/dev.yaml",
        "  cluster:\n    name: dev-eks\n    server: https://dev-eks.k8s.example.com\n",
        "",
    );
    let err = render_fails(&e, &e.loc("environments/dev.yaml", "spec:", "spec"));
    assert!(
        err.contains("environment `dev` does not set `cluster.name`, nor does any file it extends"),
        "{err}"
    );
    insta::assert_snapshot!(err);
}

#[test]
fn choices_the_pack_lacks_are_all_reported() {
    let e = Estate::example();
    e.edit(
        "environments/dev.yaml",
        "    ml:\n      tier: small\n      networkProfile: open\n      features: [object-storage]",
        "    ml:\n      tier: xlarge\n      networkProfile: opne\n      features: [gpu]\n      workflows: [train-model]",
    );
    let err = render_fails(&e, "environments/dev.yaml:");
    let f = "environments/dev.yaml";
    for expected in [
        format!(
            "tier `xlarge` is not defined by pack platform@1.2.0 at {}",
            e.loc(f, "tier: xlarge", "xlarge")
        ),
        format!(
            "network profile `opne` is not defined by pack platform@1.2.0 at {}",
            e.loc(f, "networkProfile: opne", "opne")
        ),
        format!(
            "feature `gpu` is not defined by pack platform@1.2.0 at {}",
            e.loc(f, "features: [gpu]", "gpu")
        ),
        format!(
            "workflow `train-model` is not defined by pack platform@1.2.0 at {}",
            e.loc(f, "[train-model]", "train-model")
        ),
        "did you mean `open`?".to_owned(),
        "4 errors found".to_owned(),
    ] {
        assert!(err.contains(&expected), "missing {expected:?} in:\n{err}");
    }
    insta::assert_snapshot!(err);
}

#[test]
fn tier_not_allowed_in_the_environment() {
    let e = Estate::example();
    e.edit(
        "environments/prod.yaml",
        "    integrations:\n      tier: small",
        "    integrations:\n      tier: micro",
    );
    let err = render_fails(&e, &e.loc("environments/prod.yaml", "tier: micro", "micro"));
    assert!(
        err.contains("tier `micro` is not allowed in `prod`"),
        "{err}"
    );
    assert!(
        err.contains("allows in `prod`: small, medium, large"),
        "{err}"
    );
}

#[test]
fn inherited_tier_not_allowed_points_at_the_base() {
    let e = Estate::example();
    // integrations is micro in _base; prod stops overriding it.
    e.edit(
        "environments/prod.yaml",
        "    integrations:\n      tier: small\n",
        "",
    );
    render_fails(
        &e,
        &e.loc("environments/_base.yaml", "tier: micro", "micro"),
    );
}

#[test]
fn required_network_profile() {
    let e = Estate::example();
    e.edit(
        "environments/prod.yaml",
        "    frontend:\n      tier: medium",
        "    frontend:\n      tier: medium\n      networkProfile: open",
    );
    let err = render_fails(
        &e,
        &e.loc("environments/prod.yaml", "networkProfile: open", "open"),
    );
    assert!(
        err.contains("`prod` requires network profile `isolated`"),
        "{err}"
    );
}

#[test]
fn pin_matching_no_pack_version() {
    let e = Estate::example();
    e.edit(
        "environments/prod.yaml",
        "policyPack: platform@1.1.0",
        "policyPack: platform@2.0.0",
    );
    let err = render_fails(
        &e,
        &e.loc("environments/prod.yaml", "policyPack:", "platform"),
    );
    assert!(
        err.contains("no version of pack `platform` matches `platform@2.0.0`"),
        "{err}"
    );
    assert!(err.contains("available versions: 1.1.0, 1.2.0"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn pin_to_an_unknown_pack() {
    let e = Estate::example();
    e.edit(
        "environments/prod.yaml",
        "policyPack: platform@1.1.0",
        "policyPack: platfrom@1.1.0",
    );
    let err = render_fails(
        &e,
        &e.loc("environments/prod.yaml", "policyPack:", "platfrom"),
    );
    assert!(err.contains("no policy pack named `platfrom`"), "{err}");
}

#[test]
fn extends_cycle() {
    let e = Estate::example();
    e.edit(
        "environments/_base.yaml",
        "spec:\n",
        "spec:\n  extends: staging\n",
    );
    let err = render_fails(&e, "environments/");
    assert!(err.contains("`extends` forms a cycle"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn extends_missing_parent() {
    let e = Estate::example();
    e.edit("environments/dev.yaml", "extends: _base", "extends: _bsae");
    let err = render_fails(&e, &e.loc("environments/dev.yaml", "extends:", "_bsae"));
    assert!(
        err.contains("`dev` extends `_bsae`, but there is no environments/_bsae.yaml"),
        "{err}"
    );
    assert!(err.contains("did you mean `_base`?"), "{err}");
}

#[test]
fn two_tenants_with_one_namespace() {
    let e = Estate::example();
    e.edit(
        "environments/prod.yaml",
        "    frontend:\n      tier: medium",
        "    frontend:\n      tier: medium\n      namespace: backend-prod",
    );
    let err = render_fails(
        &e,
        &e.loc(
            "environments/prod.yaml",
            "namespace: backend-prod",
            "namespace",
        ),
    );
    assert!(
        err.contains("tenants `backend` and `frontend` both get namespace `backend-prod`"),
        "{err}"
    );
}

#[test]
fn names_that_are_not_dns_labels() {
    for (team, why) in [
        ("Payments", "uppercase"),
        ("../etc", "\"../\""),
        (
            "a-team-name-that-is-far-too-long-to-be-a-kubernetes-namespace-name",
            "characters long",
        ),
    ] {
        let e = Estate::example();
        e.edit(
            "environments/dev.yaml",
            "  tenants:\n",
            &format!("  tenants:\n    {team:?}:\n      tier: small\n"),
        );
        let err = render_fails(
            &e,
            &e.loc("environments/dev.yaml", &format!("{team:?}:"), "\""),
        );
        assert!(err.contains("is not a DNS-1123 label"), "{team}: {err}");
        assert!(err.contains(why), "{team}: {err}");
    }
}

#[test]
fn naming_rule_producing_a_bad_namespace() {
    let e = Estate::example();
    e.edit(
        "policy-packs/platform/1.2.0/pack.yaml",
        "namespace: \"{team}-{environment}\"",
        "namespace: \"{team}_{environment}\"",
    );
    let err = render_fails(
        &e,
        &e.loc(
            "policy-packs/platform/1.2.0/pack.yaml",
            "namespace: \"{team}_",
            "\"{team}",
        ),
    );
    assert!(
        err.contains("namespace `backend_dev` (naming rule `{team}_{environment}`"),
        "{err}"
    );
}

#[test]
fn template_referencing_an_undefined_value() {
    let e = Estate::example();
    e.write(
        "policy-packs/platform/1.2.0/templates/tenant/namespace.yaml.j2",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {{ tenant.namespace | tojson }}\n  labels:\n    owner: {{ tenant.owner | tojson }}\n",
    );
    let err = render_fails(
        &e,
        "policy-packs/platform/1.2.0/templates/tenant/namespace.yaml.j2:6:30",
    );
    assert!(
        err.contains("template `tenant/namespace.yaml.j2`: undefined value"),
        "{err}"
    );
    assert!(err.contains("(rendering dev/backend-dev)"), "{err}");
    assert!(
        err.contains("the same problem occurs 10 more times"),
        "{err}"
    );
    // Rendered one environment at a time (with or without lint), the repeats of every
    // environment still collapse into one error.
    let no_lint = e.run(&["render", "--no-lint"]);
    assert_eq!(String::from_utf8_lossy(&no_lint.stderr), err);
    insta::assert_snapshot!(err);
}

#[test]
fn template_producing_invalid_yaml() {
    let e = Estate::example();
    e.write(
        "templates/tenant/extra.yaml.j2",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata:\n  team: {{ tenant.team }}: oops\n",
    );
    let err = render_fails(&e, "templates/tenant/extra.yaml.j2:1:1");
    assert!(
        err.contains("template `tenant/extra.yaml.j2` produced invalid YAML while rendering"),
        "{err}"
    );
    assert!(
        err.contains("rendered output line 6:   team: backend: oops"),
        "{err}"
    );
}

#[test]
fn template_that_loops_forever_runs_out_of_fuel() {
    let e = Estate::example();
    e.write(
        "templates/tenant/spin.yaml.j2",
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n",
    );
    let err = render_fails(&e, "templates/tenant/spin.yaml.j2:1:");
    assert!(err.contains("engine ran out of fuel"), "{err}");
}

#[test]
fn environment_template_placing_objects_in_tenant_namespaces() {
    // Tenant namespaces hold their tenant's objects only (which is also what lets `diff`
    // render just the tenants a change touched).
    let e = Estate::example();
    e.write(
        "templates/env/index.yaml.j2",
        "{% for t in tenants %}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: index\n  namespace: {{ t.namespace | tojson }}\n{% endfor %}\n",
    );
    let err = render_fails(&e, "templates/env/index.yaml.j2:1:1");
    assert!(
        err.contains("the ConfigMap `index` is placed in tenant namespace `backend-dev`; environment templates may not place objects in tenant namespaces"),
        "{err}"
    );
    e.write(
        "templates/env/index.yaml.j2",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: data-{{ env.name }}\n",
    );
    let err = render_fails(&e, "templates/env/index.yaml.j2:1:1");
    assert!(
        err.contains("the Namespace `data-dev` is a tenant's; only tenant templates render it"),
        "{err}"
    );
}

#[test]
fn two_templates_rendering_the_same_object() {
    let e = Estate::example();
    e.write(
        "templates/tenant/zz-quota.yaml.j2",
        "apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: tenant-quota\nspec: {}\n",
    );
    let err = render_fails(&e, "templates/tenant/zz-quota.yaml.j2:1:1");
    assert!(
        err.contains("ResourceQuota backend-dev/tenant-quota is rendered twice in `dev`"),
        "{err}"
    );
    assert!(
        err.contains("also rendered by template `tenant/quota.yaml.j2`"),
        "{err}"
    );
}

#[test]
fn template_escaping_the_tenant_namespace() {
    let e = Estate::example();
    e.write(
        "templates/tenant/escape.yaml.j2",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: kube-system\n",
    );
    let err = render_fails(&e, "templates/tenant/escape.yaml.j2:1:1");
    assert!(err.contains("outside the tenant's namespace"), "{err}");
}

#[test]
fn template_syntax_error() {
    let e = Estate::example();
    e.write("templates/tenant/broken.yaml.j2", "kind: {{ tenant.team \n");
    let err = render_fails(&e, "templates/tenant/broken.yaml.j2:");
    assert!(err.contains("template-syntax"), "{err}");
}

#[test]
fn yaml_alias_bomb_fails_fast() {
    let e = Estate::example();
    let mut text = String::from("apiVersion: gitops-render.dev/v1alpha1\nkind: Environment\nmetadata: {name: bomb}\nx0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..15 {
        let refs = vec![format!("*x{}", i - 1); 10].join(", ");
        text.push_str(&format!("x{i}: &x{i} [{refs}]\n"));
    }
    e.write("environments/bomb.yaml", &text);
    let err = render_fails(&e, "environments/bomb.yaml:");
    assert!(err.contains("alias"), "{err}");
}

#[test]
fn deep_nesting_fails_with_a_clear_message() {
    let e = Estate::example();
    let mut text = String::from("apiVersion: gitops-render.dev/v1alpha1\nkind: Environment\nmetadata: {name: deep}\nspec:\n  overrides:\n");
    for depth in 0..100 {
        text.push_str(&format!("{}k{depth}:\n", "  ".repeat(depth + 2)));
    }
    e.write("environments/deep.yaml", &text);
    let err = render_fails(&e, "environments/deep.yaml:");
    assert!(err.contains("nesting is deeper than 64 levels"), "{err}");
}

#[test]
fn environment_name_must_match_its_file() {
    let e = Estate::example();
    e.edit(
        "environments/dev.yaml",
        "  name: dev\n",
        "  name: development\n",
    );
    let err = render_fails(
        &e,
        &e.loc("environments/dev.yaml", "name: development", "development"),
    );
    assert!(
        err.contains("environment is named `development` but its file is `dev.yaml`"),
        "{err}"
    );
}

#[test]
fn invalid_subject() {
    let e = Estate::example();
    e.edit(
        "environments/_base.yaml",
        "\"group:design\"",
        "\"team:design\"",
    );
    let err = render_fails(
        &e,
        &e.loc(
            "environments/_base.yaml",
            "\"team:design\"",
            "\"team:design\"",
        ),
    );
    assert!(
        err.contains("group:NAME, user:NAME or serviceaccount:NAMESPACE/NAME"),
        "{err}"
    );
}

#[test]
fn unknown_environment_on_the_command_line() {
    let e = Estate::example();
    let out = e.run(&["render", "--env", "prdo"]);
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    assert!(
        err.contains("no environment named `prdo`") && err.contains("did you mean `prod`?"),
        "{err}"
    );
    assert!(!e.path().join("gitops").exists());
}

#[test]
fn not_an_estate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = assert_cmd::Command::cargo_bin("gitops-render")
        .expect("bin")
        .current_dir(dir.path())
        .arg("render")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out)
        .contains("is not an estate: expected the folders environments/ and policy-packs/"));
}

#[test]
fn usage_errors_exit_2() {
    let e = Estate::example();
    let out = e.run(&["render", "--bogus"]);
    assert_eq!(out.status.code(), Some(2));
    let out = e.run(&["explain", "prod"]);
    assert_eq!(out.status.code(), Some(2));
}

/// An egress rule names an address range or a namespace, not both.
#[test]
fn egress_rule_with_both_an_address_range_and_a_namespace() {
    let e = Estate::example();
    e.edit(
        "policy-packs/platform/1.2.0/pack.yaml",
        "          namespace: istio-system\n",
        "          namespace: istio-system\n          cidr: 10.0.0.0/8\n",
    );
    let out = e.run(&["render"]);
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("policy-packs/platform/1.2.0/pack.yaml:"),
        "{err}"
    );
    assert!(!e.path().join("gitops").exists());
}
