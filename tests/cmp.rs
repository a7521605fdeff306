//! The plugin as Argo CD runs it: cwd = the application's source path, only ARGOCD_* (and
//! KUBE_VERSION) in the environment, stdin closed. Its stream must equal the rendered tree's
//! slice byte for byte.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::Estate;

fn argocd(cwd: &Path, vars: &[(&str, &str)], args: &[&str]) -> Output {
    Command::new(assert_cmd::cargo::cargo_bin("gitops-render"))
        .args(["cmp"])
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .envs(vars.iter().copied())
        .env("ARGOCD_APP_NAMESPACE", "argocd")
        .env("GITOPS_RENDER_TODAY", "2026-11-22")
        .stdin(Stdio::null())
        .output()
        .expect("runs")
}

/// The stream `cmp generate` prints with `vars`, which must succeed with nothing on stderr.
fn generated(cwd: &Path, vars: &[(&str, &str)]) -> String {
    let out = argocd(cwd, vars, &["generate"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The stderr of a `cmp generate` with `vars` that must be refused: exit 2, nothing on stdout.
fn refused(cwd: &Path, vars: &[(&str, &str)]) -> String {
    let out = argocd(cwd, vars, &["generate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing on stdout when refused");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Argo CD's variables for the slice of `tenant` in prod.
fn prod_slice(tenant: &str) -> [(&'static str, &str); 2] {
    [
        ("ARGOCD_ENV_ENVIRONMENT", "prod"),
        ("ARGOCD_ENV_TENANT", tenant),
    ]
}

/// The folders of data's slice in prod.
const DATA_PROD: &[&str] = &["prod/tenants/data-prod/", "prod/workflows/data-prod/"];

/// The files `render` writes under these folders, joined as a YAML stream.
fn slice_of_tree(e: &Estate, prefixes: &[&str]) -> String {
    let tree = e.tree();
    let parts: Vec<String> = tree
        .iter()
        .filter(|(p, _)| prefixes.iter().any(|pre| p.starts_with(pre)))
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .collect();
    parts.join("---\n")
}

fn rendered() -> Estate {
    let e = Estate::example();
    assert_eq!(e.run(&["render"]).status.code(), Some(0));
    e
}

#[test]
fn tenant_slice_equals_the_rendered_files() {
    let e = rendered();
    let expected = slice_of_tree(&e, DATA_PROD);
    assert!(expected.contains("kind: WorkflowTemplate") && expected.contains("kind: Namespace"));
    for tenant in ["data", "data-prod"] {
        assert_eq!(
            generated(
                e.path(),
                &[
                    ("ARGOCD_ENV_ENVIRONMENT", "prod"),
                    ("ARGOCD_ENV_TENANT", tenant),
                    ("ARGOCD_APP_NAME", "prod-data"),
                ]
            ),
            expected
        );
    }
}

/// Every prod tenant's slice, rendered alone, is its files in the whole render: its
/// WorkflowTemplates fitted to its own tier (large, medium, small: parallelism 3, 2, … for
/// one workflow), whatever the tenants rendered before it in the same run were fitted to.
#[test]
fn every_tenant_slice_equals_its_files_in_the_whole_render() {
    let e = rendered();
    for team in ["backend", "frontend", "data", "ml", "integrations"] {
        let namespace = format!("{team}-prod");
        let expected = slice_of_tree(
            &e,
            &[
                &format!("prod/tenants/{namespace}/"),
                &format!("prod/workflows/{namespace}/"),
            ],
        );
        assert!(expected.contains("kind: WorkflowTemplate"), "{team}");
        assert_eq!(generated(e.path(), &prod_slice(team)), expected, "{team}");
    }
}

#[test]
fn environment_slice_and_parameters_from_argo_cd() {
    let e = rendered();
    // The environment's Kubernetes objects; its Backstage entities are not for a cluster.
    let expected = slice_of_tree(
        &e,
        &["staging/tenants/", "staging/workflows/", "staging/argocd/"],
    );
    assert!(e.tree().keys().any(|p| p.starts_with("staging/backstage/")));
    // Parameters win over plugin.env; the source path may be a folder inside the estate.
    let params = r#"[{"name":"environment","string":"staging"},{"name":"tenant","string":""}]"#;
    assert_eq!(
        generated(
            &e.path().join("environments"),
            &[
                ("ARGOCD_ENV_ENVIRONMENT", "prod"),
                ("ARGOCD_APP_PARAMETERS", params),
            ]
        ),
        expected
    );

    // A whole environment waits in an unlinked temporary file, which leaves nothing behind;
    // where none can be made it waits in memory, and the stream is the same.
    let tmp = tempfile::tempdir().expect("tempdir");
    let missing = tmp.path().join("missing");
    for tmpdir in [tmp.path(), missing.as_path()] {
        let tmpdir = tmpdir.to_str().expect("utf-8");
        assert_eq!(
            generated(
                e.path(),
                &[("ARGOCD_ENV_ENVIRONMENT", "staging"), ("TMPDIR", tmpdir)]
            ),
            expected,
            "{tmpdir}"
        );
    }
    assert_eq!(std::fs::read_dir(tmp.path()).expect("dir").count(), 0);
}

/// A slice picks its tenant by the namespace the merged layers give it, and merges every
/// layer of that tenant: here the base names the namespace, prod renames it, and the
/// base-only fields (owners, features) must still be there.
#[test]
fn a_slice_by_a_namespace_one_layer_renames_merges_every_layer() {
    let e = Estate::example();
    e.edit(
        "environments/_base.yaml",
        "    frontend:\n      tier: small",
        "    frontend:\n      namespace: web\n      tier: small",
    );
    e.edit(
        "environments/prod.yaml",
        "    frontend:\n      tier: medium",
        "    frontend:\n      namespace: web-prod\n      tier: medium",
    );
    // dev, staging and local now share `web`: lint would rightly stop the render.
    let out = e.run(&["render", "--no-lint"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = slice_of_tree(&e, &["prod/tenants/web-prod/", "prod/workflows/web-prod/"]);
    assert!(expected.contains("- name: design\n"), "{expected}");
    for tenant in ["web-prod", "frontend"] {
        assert_eq!(
            generated(
                e.path(),
                &[
                    ("ARGOCD_ENV_ENVIRONMENT", "prod"),
                    ("ARGOCD_ENV_TENANT", tenant),
                ]
            ),
            expected,
            "{tenant}"
        );
    }
    // The base's namespace is not prod's any more.
    let out = argocd(e.path(), &prod_slice("web"), &["generate"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_slice_does_not_depend_on_other_tenants() {
    let e = Estate::example();
    // ml breaks prod's rules; data's application still renders.
    e.edit(
        "environments/_base.yaml",
        "    ml:\n      tier: medium",
        "    ml:\n      tier: micro",
    );
    let out = argocd(e.path(), &prod_slice("data"), &["generate"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = argocd(
        e.path(),
        &[
            ("ARGOCD_ENV_ENVIRONMENT", "prod"),
            ("ARGOCD_ENV_TENANT", "ml"),
            ("ARGOCD_APP_NAME", "prod-ml"),
            ("ARGOCD_APP_REVISION", "8f2c1e9d4b7a6c5e3f1d"),
        ],
        &["generate"],
    );
    assert_ne!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().next(), Some("error: gitops-render cmp: tier `micro` is not allowed in `prod` (application argocd/prod-ml at 8f2c1e9d4b7a)"), "{err}");
    assert!(
        err.contains("environments/_base.yaml:"),
        "names the input file and line: {err}"
    );
}

/// A tenant's slice is refused for what is wrong in its own entries, not in another
/// tenant's: Argo CD generates each tenant's application in a process of its own, and one
/// team's broken entry must not stop every other team's sync (`render --check` still
/// refuses the file). The broken tenant's own slice names the line.
#[test]
fn a_slice_is_not_refused_for_another_tenants_entry() {
    let e = rendered();
    let expected = slice_of_tree(&e, DATA_PROD);
    // backend's entry is not the schema's.
    e.edit(
        "environments/prod.yaml",
        "    backend:\n      tier: large",
        "    backend:\n      tier: large\n      tierr: huge",
    );
    assert_eq!(generated(e.path(), &prod_slice("data")), expected);
    let err = refused(e.path(), &prod_slice("backend"));
    assert!(
        err.contains("environments/prod.yaml:23:7") && err.contains("tierr"),
        "{err}"
    );
    // frontend's is not YAML: the file's other slices still generate (by team and by
    // namespace); a refused slice reports what the whole file does.
    e.edit(
        "environments/prod.yaml",
        "    frontend:\n      tier: medium",
        "    frontend:\n      tier: [medium",
    );
    assert_eq!(generated(e.path(), &prod_slice("data")), expected);
    assert_eq!(generated(e.path(), &prod_slice("data-prod")), expected);
    let err = refused(e.path(), &prod_slice("frontend"));
    assert!(
        err.contains("invalid YAML") && err.contains("environments/prod.yaml:26:9"),
        "{err}"
    );
    let out = e.run(&["render", "--check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("environments/prod.yaml:26:9"), "{err}");
}

/// A naming rule without `{team}` gives every tenant one namespace: a slice by it needs every
/// entry (to find that they clash), not only those whose text holds the name.
#[test]
fn a_slice_by_a_namespace_every_tenant_gets_reads_every_entry() {
    let e = Estate::example();
    e.edit(
        "environments/prod.yaml",
        "  overrides:\n",
        "  overrides:\n    naming: {namespace: ml-shared}\n",
    );
    let err = refused(e.path(), &prod_slice("ml-shared"));
    assert!(
        err.contains("both get namespace `ml-shared` in `prod`"),
        "{err}"
    );
}

/// A slice reads its environment's own file and the bases, not the other environments':
/// a broken `dev.yaml` does not stop Argo CD from generating prod, while `render` (CI) still
/// refuses it. An environment file may be named `.yml`.
#[test]
fn a_slice_reads_only_its_own_environment() {
    let e = rendered();
    let expected = slice_of_tree(&e, DATA_PROD);
    e.edit(
        "environments/dev.yaml",
        "kind: Environment",
        "kind: Environment\n  oops: [",
    );
    let vars = [
        ("ARGOCD_ENV_ENVIRONMENT", "prod"),
        ("ARGOCD_ENV_TENANT", "data"),
    ];
    assert_eq!(generated(e.path(), &vars), expected);
    // A miss still names every environment, though the slice read none of the others.
    for name in ["prd", "_base"] {
        let err = refused(e.path(), &[("ARGOCD_ENV_ENVIRONMENT", name)]);
        assert!(
            err.starts_with(&format!(
                "error: gitops-render cmp: no environment named `{name}`\n"
            )) && err.contains("note: environments: dev, local, prod, staging\n"),
            "{err}"
        );
    }
    assert!(String::from_utf8_lossy(
        &argocd(
            e.path(),
            &[("ARGOCD_ENV_ENVIRONMENT", "prd")],
            &["generate"]
        )
        .stderr
    )
    .contains("help: did you mean `prod`?"));
    let out = e.run(&["render", "--check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("environments/dev.yaml:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::rename(
        e.path().join("environments/prod.yaml"),
        e.path().join("environments/prod.yml"),
    )
    .expect("rename");
    assert_eq!(
        generated(e.path(), &vars),
        expected.replace("environments/prod.yaml", "environments/prod.yml")
    );
}

#[test]
fn failures_exit_non_zero_with_a_one_line_reason_first() {
    let e = Estate::example();
    let cases: [(&[(&str, &str)], &str); 3] = [
        (&[], "error: gitops-render cmp: no environment: set plugin.env ENVIRONMENT or the `environment` parameter"),
        (&[("ARGOCD_ENV_ENVIRONMENT", "qa"), ("ARGOCD_APP_NAME", "qa-app")], "error: gitops-render cmp: no environment named `qa` (application argocd/qa-app)"),
        (&[("ARGOCD_ENV_ENVIRONMENT", "prod"), ("ARGOCD_ENV_TENANT", "payments"), ("ARGOCD_APP_NAME", "prod-payments")], "error: gitops-render cmp: environment `prod` has no tenant `payments` (by team or namespace) (application argocd/prod-payments)"),
    ];
    for (vars, first) in cases {
        let out = argocd(e.path(), vars, &["generate"]);
        assert_ne!(out.status.code(), Some(0));
        assert!(out.stdout.is_empty(), "nothing on stdout on failure");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().next(), Some(first), "{err}");
    }
    // A slice merges only its own tenant, but a miss still names every tenant and the closest.
    let out = argocd(e.path(), &prod_slice("dta"), &["generate"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("note: tenants: backend, data, frontend, integrations, ml\n")
            && err.contains("help: did you mean `data`?"),
        "{err}"
    );
    // A broken input: the reason and the file and line.
    e.edit(
        "environments/prod.yaml",
        "    frontend:\n      tier: medium",
        "    frontend:\n      teir: medium",
    );
    let err = refused(e.path(), &prod_slice("frontend"));
    assert!(
        err.starts_with("error: gitops-render cmp: unknown key `teir`"),
        "{err}"
    );
    assert!(err.contains(" at environments/prod.yaml:"), "{err}");
    // Outside an estate.
    let dir = tempfile::tempdir().expect("tmp");
    let out = argocd(
        dir.path(),
        &[("ARGOCD_ENV_ENVIRONMENT", "prod")],
        &["generate"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: gitops-render cmp: no estate"));
}

#[test]
fn lint_errors_fail_the_generation() {
    let e = Estate::example();
    e.edit(
        "policy-packs/platform/1.1.0/workflows/file-transfer.yaml.j2",
        "image: amazon/aws-cli:2.18.0",
        "image: amazon/aws-cli:latest",
    );
    let err = refused(e.path(), &prod_slice("data"));
    assert!(err.contains("uses the `latest` tag"), "{err}");
    // The whole environment (rendered and linted a tenant at a time) fails the same way.
    let err = refused(e.path(), &[("ARGOCD_ENV_ENVIRONMENT", "prod")]);
    assert!(err.starts_with("error: gitops-render cmp:"), "{err}");
    assert!(err.contains("uses the `latest` tag"), "{err}");
}

/// A tenant slice checks its WorkflowTemplates against the schema cut to their fields; an
/// unknown field is still found, and worded and placed as the whole schema words it.
#[test]
fn a_slice_finds_an_unknown_workflow_field() {
    let e = Estate::example();
    e.edit(
        "policy-packs/platform/1.1.0/workflows/file-transfer.yaml.j2",
        "      image: amazon/aws-cli:2.18.0",
        "      image: amazon/aws-cli:2.18.0\n      imagePullPolicyy: Always",
    );
    let err = refused(e.path(), &prod_slice("data"));
    assert!(
        err.starts_with("error: gitops-render cmp: unknown field `imagePullPolicyy` (not in the WorkflowTemplate schema; the API server would drop it)"),
        "{err}"
    );
    assert!(
        err.contains("at prod/workflows/data-prod/workflowtemplate-file-transfer.yaml:86:7\n"),
        "{err}"
    );
}

#[test]
fn discover_init_and_parameters() {
    let e = Estate::example();
    let out = argocd(e.path(), &[], &["discover"]);
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned()
        ),
        (Some(0), "gitops-render estate\n".to_owned())
    );
    let out = argocd(&e.path().join("environments"), &[], &["discover"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(argocd(e.path(), &[], &["init"]).status.code(), Some(0));
    let out = argocd(e.path(), &[], &["parameters"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v[0]["name"], "environment");
    assert_eq!(v[0]["tooltip"], "One of: dev, local, prod, staging");
    assert_eq!(v[2]["map"]["local"], "backend,frontend");
}

/// `cmp generate` compiles the schemas of `TENANT_KINDS` ahead of rendering: the list must
/// cover what a tenant of the example estate is made of, and each must have a schema, or the
/// head start is lost.
#[test]
fn the_kinds_compiled_ahead_are_what_tenants_render() {
    use gitops_render::manifest::Placement;
    common::assert_compiled_ahead(gitops_render::cmp::TENANT_KINDS, "TENANT_KINDS", |m| {
        matches!(
            m.placement,
            Placement::Tenant { .. } | Placement::Workflows { .. }
        )
    });
}

/// `argocd.mode: plugin`: the environment's ApplicationSet makes one plugin Application per
/// tenant, the tree keeps only the environment's own objects, and each Application's
/// stream is what a committed tree would hold for that tenant.
#[test]
fn plugin_mode_renders_one_plugin_application_per_tenant() {
    let tree_mode = rendered();
    let e = Estate::example();
    e.edit(
        "environments/staging.yaml",
        "spec:\n",
        "spec:\n  argocd:\n    mode: plugin\n",
    );
    let out = e.run(&["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let tree = e.tree();
    assert!(
        !tree.keys().any(|p| p.starts_with("staging/")),
        "no tenant folders: {:?}",
        tree.keys()
            .filter(|p| p.starts_with("staging/"))
            .collect::<Vec<_>>()
    );
    assert!(
        tree.keys().any(|p| p.starts_with("prod/tenants/")),
        "prod keeps its tree"
    );
    let set = e.read("gitops/applicationsets/staging.yaml");
    let v: serde_json::Value = serde_yaml::from_str(&set).expect("yaml");
    let teams: Vec<&str> = v["spec"]["generators"][0]["list"]["elements"]
        .as_array()
        .expect("a list generator")
        .iter()
        .filter_map(|el| el["team"].as_str())
        .collect();
    assert_eq!(
        teams,
        ["backend", "data", "frontend", "integrations"],
        "{set}"
    );
    let source = &v["spec"]["template"]["spec"]["source"];
    assert_eq!(source["plugin"]["name"], "gitops-render-v1");
    assert_eq!(source["path"], ".");
    assert_eq!(
        source["plugin"]["env"],
        serde_json::json!([
            {"name": "ENVIRONMENT", "value": "staging"},
            {"name": "TENANT", "value": "{{.team}}"}
        ])
    );
    assert!(
        e.path().join("gitops/projects/staging.yaml").is_file(),
        "the AppProject"
    );
    assert!(
        e.path()
            .join("gitops/parent/apps-root-staging.yaml")
            .is_file(),
        "the root"
    );
    let lint = e.run(&["lint"]);
    assert_eq!(lint.status.code(), Some(0), "{}", common::stdout(&lint));

    // What the plugin serves each Application is the tenant's slice of a tree-mode render.
    for (team, namespace) in [
        ("data", "data-staging"),
        ("integrations", "integrations-staging"),
    ] {
        let out = argocd(
            e.path(),
            &[
                ("ARGOCD_ENV_ENVIRONMENT", "staging"),
                ("ARGOCD_ENV_TENANT", team),
                ("ARGOCD_APP_NAME", &format!("staging-{team}")),
            ],
            &["generate"],
        );
        assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
        let expected = slice_of_tree(
            &tree_mode,
            &[
                &format!("staging/tenants/{namespace}/"),
                &format!("staging/workflows/{namespace}/"),
            ],
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected, "{team}");
    }
    // A review still shows the tenants' objects.
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .current_dir(e.path())
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .output()
            .expect("git");
        assert!(out.status.success(), "{}", common::stderr(&out));
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "plugin mode"]);
    e.edit(
        "environments/staging.yaml",
        "    integrations:\n      tier: small\n",
        "    integrations:\n      tier: medium\n",
    );
    let out = e.run(&["diff", "--base", "HEAD", "--env", "staging"]);
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    assert!(
        common::stdout(&out).contains("~ staging ResourceQuota integrations-staging/tenant-quota"),
        "{}",
        common::stdout(&out)
    );
}
