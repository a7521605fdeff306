//! Hostile inputs and careless operators: every attack of the hardening review, as a run of
//! the built binary. Each ends with exit 2 (or a finding), a message naming what was
//! refused, and nothing written outside the output folder or deleted that the tool does not
//! own. Resource attacks run under an address-space limit (`prlimit`), so a blow-up shows as
//! an abort, not as a slow test.

mod common;

use std::path::Path;
use std::process::{Command as StdCommand, Output, Stdio};

use assert_cmd::cargo::CommandCargoExt;
use common::{stderr, stdout, Estate};

/// The binary, run in `dir` under a 2 GiB address-space limit.
fn limited(dir: &Path, args: &[&str]) -> StdCommand {
    let bin = StdCommand::cargo_bin("gitops-render").expect("binary");
    let mut cmd = StdCommand::new("prlimit");
    cmd.arg(format!("--as={}", 2u64 << 30))
        .arg("--")
        .arg(bin.get_program())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        // The budget adapts to the limit it runs under (a third of it): not set here.
        .env_remove("GITOPS_RENDER_MAX_MEMORY")
        .env_remove("GITOPS_RENDER_TODAY");
    cmd
}

fn run_limited(dir: &Path, args: &[&str]) -> Output {
    limited(dir, args).output().expect("runs")
}

fn assert_refused(out: &Output, needle: &str) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "expected exit 2:\n{err}");
    assert!(err.contains(needle), "expected `{needle}` in:\n{err}");
    err
}

/// Every regular file under `dir`, relative, sorted.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .expect("under")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    out.sort();
    out
}

/// An estate inside a folder of its own, with a sibling folder an attack would reach.
struct Sandbox {
    _root: tempfile::TempDir,
    estate: Estate,
    outside: std::path::PathBuf,
}

fn sandbox() -> Sandbox {
    let root = tempfile::tempdir().expect("tempdir");
    let estate = Estate::example();
    let outside = root.path().join("outside");
    std::fs::create_dir_all(&outside).expect("mkdir");
    Sandbox {
        _root: root,
        estate,
        outside,
    }
}

const TENANT_TEMPLATE: &str = "templates/tenant/zz-hostile.yaml.j2";

/// A tenant template producing one ConfigMap with `field` set to `payload`.
fn hostile_object(field: &str, payload: &str) -> String {
    let (kind, name, namespace) = match field {
        "kind" => (payload, "x", None),
        "name" => ("ConfigMap", payload, None),
        _ => ("ConfigMap", "x", Some(payload)),
    };
    let ns = namespace
        .map(|n| format!("  namespace: {}\n", serde_json::to_string(n).expect("json")))
        .unwrap_or_default();
    format!(
        "apiVersion: v1\nkind: {}\nmetadata:\n  name: {}\n{ns}data: {{a: b}}\n",
        serde_json::to_string(kind).expect("json"),
        serde_json::to_string(name).expect("json"),
    )
}

#[test]
fn no_template_field_can_place_a_file_outside_its_folder() {
    let payloads = [
        "../../../../outside/pwn",
        "../data-dev/networkpolicy",
        "/etc/passwd",
        "a/b",
        "..",
        ".hidden",
        "x\u{0}y",
        "x\ny",
        "Config Map",
        "",
    ];
    for field in ["kind", "name", "namespace"] {
        for payload in payloads {
            let s = sandbox();
            let e = &s.estate;
            e.write(TENANT_TEMPLATE, &hostile_object(field, payload));
            for args in [
                &["render", "--env", "dev"][..],
                &["render", "--env", "dev", "--no-lint"],
            ] {
                let out = e.run(args);
                let err = stderr(&out);
                assert_eq!(
                    out.status.code(),
                    Some(2),
                    "{field} = {payload:?} {args:?}:\n{err}"
                );
                assert!(
                    err.contains("zz-hostile.yaml.j2"),
                    "the template is named:\n{err}"
                );
                assert!(!e.path().join("gitops").exists(), "nothing written");
                assert!(files_under(&s.outside).is_empty());
            }
        }
    }
}

#[test]
fn an_environment_template_cannot_escape_either() {
    let s = sandbox();
    let e = &s.estate;
    e.write(
        "templates/env/zz-hostile.yaml.j2",
        &hostile_object("kind", "../../../../outside/pwn"),
    );
    let out = e.run(&["render", "--no-lint"]);
    assert_refused(&out, "is not a Kubernetes kind");
    assert!(files_under(&s.outside).is_empty());
}

#[test]
fn prune_deletes_only_files_it_owns_and_names_each() {
    let e = Estate::example();
    assert_eq!(e.run(&["render"]).status.code(), Some(0));
    let header = "# Generated by gitops-render from environments/dev.yaml; do not edit.\n";
    let not_ours = [
        "gitops/README.md",
        "gitops/docs/guide.md",
        "gitops/deploy.sh",
        "gitops/dev/tenants/data-dev/notes.txt",
        "gitops/dev/tenants/data-dev/README.yaml",
    ];
    for p in not_ours {
        e.write(p, &format!("{header}hand: written\n"));
    }
    // Quoting the header's first words is not the header.
    e.write(
        "gitops/dev/tenants/data-dev/configmap-quoted.yaml",
        "# Generated by gitops-render\nhand: written\n",
    );
    let stale = "gitops/dev/tenants/data-dev/configmap-stale.yaml";
    e.write(stale, &format!("{header}kind: ConfigMap\n"));
    let out = e.run(&["render"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    for p in not_ours {
        assert!(e.path().join(p).exists(), "{p} was deleted:\n{err}");
    }
    assert!(e
        .path()
        .join("gitops/dev/tenants/data-dev/configmap-quoted.yaml")
        .exists());
    assert!(!e.path().join(stale).exists());
    assert!(
        err.contains("1 pruned")
            && err.contains("pruned dev/tenants/data-dev/configmap-stale.yaml"),
        "each prune is named:\n{err}"
    );
}

#[test]
fn a_hand_written_file_where_the_layout_writes_is_never_overwritten() {
    let e = Estate::example();
    assert_eq!(e.run(&["render"]).status.code(), Some(0));
    let target = "gitops/dev/tenants/data-dev/namespace-data-dev.yaml";
    // The header with a different ending is not ours.
    let text = "# Generated by gitops-render from x; do not edit. (edited)\nkind: Namespace\n";
    e.write(target, text);
    let out = e.run(&["render"]);
    assert_refused(&out, "refusing to overwrite");
    assert_eq!(e.read(target), text);
}

#[cfg(unix)]
#[test]
fn symlinked_inputs_are_followed_inside_the_estate_and_refused_outside() {
    use std::os::unix::fs::symlink;
    // Inside: a shared file of the same estate works like the file itself.
    let e = Estate::example();
    let staging = e.read("environments/staging.yaml");
    e.write("shared/staging.yaml", &staging);
    std::fs::remove_file(e.path().join("environments/staging.yaml")).expect("rm");
    symlink(
        "../shared/staging.yaml",
        e.path().join("environments/staging.yaml"),
    )
    .expect("ln");
    let out = e.run(&["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("rendered 4 environments"),
        "{}",
        stderr(&out)
    );

    // Outside: refused by name, nothing written, nothing pruned.
    let s = sandbox();
    let e = &s.estate;
    assert_eq!(e.run(&["render"]).status.code(), Some(0));
    let before = e.tree();
    std::fs::write(s.outside.join("staging.yaml"), &staging).expect("write");
    std::fs::remove_file(e.path().join("environments/staging.yaml")).expect("rm");
    symlink(
        s.outside.join("staging.yaml"),
        e.path().join("environments/staging.yaml"),
    )
    .expect("ln");
    let out = e.run(&["render"]);
    let err = assert_refused(&out, "environments/staging.yaml is a symlink to");
    assert!(err.contains("outside the estate"), "{err}");
    assert_eq!(e.tree(), before, "nothing pruned");

    // A template linked out of the estate, and a dangling one, are refused too.
    let s = sandbox();
    let e = &s.estate;
    std::fs::write(s.outside.join("t.yaml.j2"), "{# nothing #}\n").expect("write");
    symlink(
        s.outside.join("t.yaml.j2"),
        e.path().join("templates/tenant/zz.yaml.j2"),
    )
    .expect("ln");
    assert_refused(
        &e.run(&["render"]),
        "templates/tenant/zz.yaml.j2 is a symlink",
    );
    let e = Estate::example();
    symlink(
        "missing.yaml.j2",
        e.path().join("templates/tenant/zz.yaml.j2"),
    )
    .expect("ln");
    assert_refused(&e.run(&["render"]), "zz.yaml.j2");
}

#[cfg(unix)]
#[test]
fn lint_reports_symlinks_out_of_the_linted_folder() {
    let s = sandbox();
    let dir = s.estate.path().join("manifests");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        s.outside.join("cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: shop}\n",
    )
    .expect("write");
    std::os::unix::fs::symlink(s.outside.join("cm.yaml"), dir.join("cm.yaml")).expect("ln");
    let out = s.estate.run(&["lint", "manifests"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(text.contains("symlink-out-of-bounds"), "{text}");
}

#[cfg(unix)]
#[test]
fn the_cache_folder_is_never_followed_through_a_symlink() {
    let s = sandbox();
    let e = &s.estate;
    assert_eq!(e.run(&["render"]).status.code(), Some(0));
    let cache = e.path().join("gitops/.gitops-render-cache");
    std::fs::remove_dir_all(&cache).ok();
    std::os::unix::fs::symlink(&s.outside, &cache).expect("ln");
    for args in [&["render"][..], &["render", "--check"]] {
        assert_refused(&e.run(args), "gitops-render-cache is a symlink");
    }
    assert!(
        files_under(&s.outside).is_empty(),
        "nothing written through it"
    );
}

/// A WorkflowTemplate of the catalog with `extra` spliced in under `spec:` or under its
/// first template.
fn patch_workflow(e: &Estate, at_spec: bool, extra: &str) {
    let file = "policy-packs/platform/1.2.0/workflows/file-transfer.yaml.j2";
    if at_spec {
        e.edit(
            file,
            "spec:\n  entrypoint: main\n",
            &format!("spec:\n  entrypoint: main\n{extra}"),
        );
    } else {
        e.edit(
            file,
            "  - name: main\n",
            &format!("  - name: main\n{extra}"),
        );
    }
}

/// Render `dev`: refused with `needle`, and nothing written.
fn refused_in_dev(e: &Estate, needle: &str) -> String {
    let err = assert_refused(&e.run(&["render", "--env", "dev"]), needle);
    assert!(!e.path().join("gitops").exists(), "nothing written");
    err
}

fn allow_pod_spec_patch(e: &Estate) {
    e.edit(
        "policy-packs/platform/1.2.0/pack.yaml",
        "    overridable:",
        "    allowPodSpecPatch: true\n    overridable:",
    );
}

#[test]
fn workflow_templates_cannot_bypass_the_pod_rules() {
    let cases = [
        (true, "  podSpecPatch: '{\"hostPID\": true}'\n", "spec.podSpecPatch"),
        (false, "    podSpecPatch: '{\"containers\": [{\"name\": \"main\", \"securityContext\": {\"privileged\": true}}]}'\n", "podSpecPatch"),
        (false, "    serviceAccountName: argo-server\n", "runs as ServiceAccount"),
        (false, "    executor: {serviceAccountName: argo-server}\n", "executor runs as ServiceAccount"),
        (true, "  executor: {serviceAccountName: argo-server}\n", "spec.executor runs as ServiceAccount"),
        (false, "    securityContext: {runAsUser: 0}\n", "securityContext.runAsUser"),
        (true, "  hostNetwork: true\n", "hostNetwork"),
    ];
    for (at_spec, extra, needle) in cases {
        let e = Estate::example();
        patch_workflow(&e, at_spec, extra);
        let err = refused_in_dev(&e, needle);
        assert!(err.contains("file-transfer.yaml.j2"), "{err}");
    }
}

#[test]
fn an_allowed_pod_spec_patch_is_still_held_to_the_security_rules() {
    let e = Estate::example();
    allow_pod_spec_patch(&e);
    patch_workflow(
        &e,
        false,
        "    podSpecPatch: '{\"containers\": [{\"name\": \"main\", \"resources\": {\"limits\": {\"memory\": \"1Gi\"}}}]}'\n",
    );
    let out = e.run(&["render", "--env", "dev"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let e = Estate::example();
    allow_pod_spec_patch(&e);
    patch_workflow(
        &e,
        false,
        "    podSpecPatch: 'securityContext: {runAsUser: 0}'\n",
    );
    assert_refused(&e.run(&["render", "--env", "dev"]), "runAsUser: 0");
}

#[test]
fn reserved_namespaces_are_never_tenants() {
    for (team, extra) in [
        ("kube-system", ""),
        ("default", ""),
        ("argocd", ""),
        ("ops", "      namespace: kube-public\n"),
        ("ops", "      namespace: argo\n"),
    ] {
        let e = Estate::example();
        e.edit(
            "environments/dev.yaml",
            "  tenants:\n",
            &format!("  tenants:\n    {team}:\n      tier: small\n{extra}"),
        );
        // The naming rule would make `kube-system-dev`: the explicit namespace or the
        // team's own name is what lands in a reserved one.
        if extra.is_empty() {
            e.edit(
                "environments/dev.yaml",
                &format!("    {team}:\n      tier: small\n"),
                &format!("    {team}:\n      tier: small\n      namespace: {team}\n"),
            );
        }
        let err = refused_in_dev(&e, "which is reserved");
        assert!(err.contains("environments/dev.yaml:"), "located:\n{err}");
    }
}

#[test]
fn a_template_that_doubles_a_string_stops_within_the_budget() {
    let e = Estate::example();
    e.write(
        TENANT_TEMPLATE,
        "{% set s = namespace(v='abcdefgh') %}{% for i in range(40) %}{% set s.v = s.v ~ s.v %}{% endfor %}# {{ s.v | length }}\n",
    );
    let out = run_limited(e.path(), &["render", "--env", "dev"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("memory budget"), "{err}");
    assert!(!e.path().join("gitops").exists() || files_under(&e.path().join("gitops")).is_empty());
}

#[test]
fn template_output_is_cut_at_its_limit_while_rendering() {
    let e = Estate::example();
    e.write(
        TENANT_TEMPLATE,
        "{% for i in range(100000) %}# {{ 'x' * 1000 }}\n{% endfor %}",
    );
    let out = run_limited(e.path(), &["render", "--env", "dev"]);
    assert_refused(&out, "produced more than 4 MiB");
}

#[test]
fn lint_reads_no_more_than_its_limit_from_any_source() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A 100 MB file: refused from its size, not read and not echoed.
    let big = dir.path().join("big.yaml");
    let f = std::fs::File::create(&big).expect("create");
    f.set_len(100 << 20).expect("sparse");
    // It is one finding for that file: the other files are linted, the report written.
    std::fs::write(
        dir.path().join("ok.yaml"),
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ok, namespace: x}\n",
    )
    .expect("write");
    let out = run_limited(dir.path(), &["lint", "big.yaml", "ok.yaml"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "error: cannot read big.yaml: file is larger than the 8 MiB limit at big.yaml:1:1"
        ),
        "{text}"
    );
    assert!(text.contains("rule: unreadable-file"), "{text}");
    assert!(text.contains("1 object checked: 1 error"), "{text}");
    assert!(out.stdout.len() + out.stderr.len() < 4096);
    // An endless device.
    let out = run_limited(dir.path(), &["lint", "/dev/zero"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("larger than the 8 MiB limit"), "{text}");
    // Endless stdin (`yes 'a: b' | lint -`).
    let mut child = limited(dir.path(), &["lint", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let feeder = std::thread::spawn(move || {
        use std::io::Write as _;
        let chunk = "a: b\n".repeat(10_000);
        while stdin.write_all(chunk.as_bytes()).is_ok() {}
    });
    let out = child.wait_with_output().expect("waits");
    feeder.join().expect("feeder");
    assert_refused(
        &out,
        "cannot read stdin: file is larger than the 8 MiB limit",
    );
}

#[test]
fn deep_nesting_is_a_finding_with_a_short_excerpt() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("deep.yaml"),
        format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000)),
    )
    .expect("write");
    let out = run_limited(dir.path(), &["lint", "deep.yaml"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(text.contains("nesting is deeper than 64 levels"), "{text}");
    assert!(text.len() < 2_000, "{} bytes of report", text.len());
}

#[test]
fn a_huge_or_foreign_stat_index_is_ignored_before_it_is_read() {
    let e = Estate::example();
    assert_eq!(e.run(&["render"]).status.code(), Some(0));
    let index = e.path().join("gitops/.gitops-render-cache");
    std::fs::create_dir_all(&index).expect("mkdir");
    let f = std::fs::File::create(index.join("index")).expect("create");
    f.set_len(20 << 30).expect("sparse 20 GB");
    let out = run_limited(e.path(), &["render", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn absurd_thread_counts_and_budgets_are_usage_errors() {
    let e = Estate::example();
    assert_refused(
        &e.run(&["--threads", "10000", "render"]),
        "--threads must be between 1 and 256",
    );
    assert_refused(
        &e.run(&["--threads", "0", "render"]),
        "--threads must be between",
    );
    assert_refused(&e.run(&["--max-memory", "lots", "render"]), "not a size");
    assert!(!e.path().join("gitops").exists());
}

fn cmp_generate(e: &Estate, params: Option<&str>, extra: &[(&str, &str)]) -> Output {
    let mut cmd = assert_cmd::Command::cargo_bin("gitops-render").expect("binary");
    cmd.current_dir(e.path())
        .env("NO_COLOR", "1")
        .env("ARGOCD_ENV_ENVIRONMENT", "dev")
        .args(["cmp", "generate"]);
    if let Some(p) = params {
        cmd.env("ARGOCD_APP_PARAMETERS", p);
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.output().expect("runs")
}

#[test]
fn plugin_parameters_of_the_wrong_shape_print_nothing() {
    let e = Estate::example();
    for (params, needle) in [
        ("\"array\"", "not a list"),
        ("42", "not a list"),
        ("{}", "not a list"),
        ("[null]", "is not an object"),
        ("[{\"string\": \"prod\"}]", "has no `name`"),
        ("[{\"name\": \"environment\", \"array\": [\"prod\"]}]", "must be a string"),
        ("[{\"name\": \"environment\", \"string\": \"prod\"}, {\"name\": \"environment\", \"string\": \"dev\"}]", "given twice"),
        ("[{\"name\": \"environmnet\", \"string\": \"prod\"}]", "names `environmnet`"),
        ("[{\"name\": \"tenant\", \"string\": \"data\", \"strnig\": 1}]", "unknown field"),
    ] {
        let out = cmp_generate(&e, Some(params), &[]);
        assert_eq!(out.status.code(), Some(2), "{params}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{params}: printed a stream");
        assert!(stderr(&out).contains(needle), "{params}: {}", stderr(&out));
    }
    let out = cmp_generate(&e, None, &[("KUBE_VERSION", "garbage")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("KUBE_VERSION is `garbage`"));
    assert!(out.stdout.is_empty());
    for ok in ["1.34", "v1.34.1+k3s1", "1.33.5-eks-1"] {
        let out = cmp_generate(&e, None, &[("KUBE_VERSION", ok)]);
        assert_eq!(out.status.code(), Some(0), "{ok}: {}", stderr(&out));
    }
    let out = cmp_generate(
        &e,
        Some("[{\"name\": \"environment\", \"string\": \"prod\"}, {\"name\": \"tenant\", \"string\": \"data\"}]"),
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("namespace: data-prod"));
}

#[test]
fn the_plugin_does_not_look_for_an_estate_above_the_repository() {
    let e = Estate::example();
    let app = e.path().join("checkout/apps");
    std::fs::create_dir_all(&app).expect("mkdir");
    std::fs::create_dir_all(e.path().join("checkout/.git")).expect("git");
    let out = assert_cmd::Command::cargo_bin("gitops-render")
        .expect("binary")
        .current_dir(&app)
        .env("ARGOCD_ENV_ENVIRONMENT", "dev")
        .args(["cmp", "generate"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("no estate"), "{}", stderr(&out));
}

#[test]
fn a_second_render_of_one_folder_is_refused_while_the_first_writes() {
    let e = Estate::example();
    assert_eq!(e.run(&["render"]).status.code(), Some(0));
    let before = e.tree();
    let lock = gitops_render::tree::io::WriteLock::acquire(&e.path().join("gitops"))
        .unwrap_or_else(|d| panic!("{}", d.message));
    e.edit("environments/dev.yaml", "tier: small", "tier: medium");
    let out = e.run(&["render"]);
    assert_refused(&out, "another gitops-render is writing");
    assert_eq!(e.tree(), before);
    drop(lock);
    assert_eq!(e.run(&["render"]).status.code(), Some(0));
}

#[test]
fn leftovers_of_an_interrupted_render_are_reported_and_cleaned() {
    let e = Estate::example();
    assert_eq!(e.run(&["render"]).status.code(), Some(0));
    let out_dir = e.path().join("gitops");
    // What a render killed while staging leaves: its journal and a temporary file.
    gitops_render::tree::guard::begin_staging(&out_dir, ["dev/tenants/data-dev"]).expect("journal");
    let tmp = "dev/tenants/data-dev/.gitops-render-AbC123.tmp";
    std::fs::write(out_dir.join(tmp), "half a file").expect("tmp");
    let out = e.run(&["render", "--check"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains(tmp), "{}", stderr(&out));
    let out = e.run(&["render"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains(&format!("removed {tmp}")),
        "{}",
        stderr(&out)
    );
    assert!(!out_dir.join(tmp).exists());
    assert_eq!(e.run(&["render", "--check"]).status.code(), Some(0));
}

/// A render into an empty folder stages the whole tree in one folder and renames its
/// top-level folders into place: killed before that, it leaves only the staging folder,
/// which `--check` reports and the next render removes (never a partial file in the tree).
#[test]
fn an_interrupted_render_into_an_empty_folder_leaves_only_its_staging_folder() {
    let e = Estate::example();
    let out_dir = e.path().join("gitops");
    let out = e.run(&["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let names: Vec<String> = std::fs::read_dir(&out_dir)
        .expect("read")
        .map(|d| d.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".gitops-render-") && n.ends_with(".tmp"))
        .collect();
    assert!(names.is_empty(), "nothing staged is left: {names:?}");
    let committed =
        gitops_render::tree::io::read_tree(&common::repo_root().join("gitops")).expect("tree");
    assert_eq!(e.tree(), committed, "a fresh render writes the same tree");

    // What such a render leaves when killed half way: the journal and the staging folder.
    std::fs::remove_dir_all(&out_dir).expect("rm");
    std::fs::create_dir(&out_dir).expect("mkdir");
    gitops_render::tree::guard::begin_staging(&out_dir, ["."]).expect("journal");
    let staged = out_dir.join(".gitops-render-fresh.tmp/dev/tenants/data-dev");
    std::fs::create_dir_all(&staged).expect("mkdir");
    std::fs::write(staged.join("namespace-data-dev.yaml"), "half a fi").expect("write");
    let out = e.run(&["render", "--check"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(".gitops-render-fresh.tmp"),
        "{}",
        stderr(&out)
    );
    let out = e.run(&["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("removed .gitops-render-fresh.tmp"),
        "{}",
        stderr(&out)
    );
    assert!(!out_dir.join(".gitops-render-fresh.tmp").exists());
    assert_eq!(e.tree(), committed);
    assert_eq!(e.run(&["render", "--check"]).status.code(), Some(0));
}

/// A first render creates its files in the staging folder as it renders (it holds none of
/// them in memory); a render refused by lint or by a template error then takes the staging
/// folder back, and the new folder with it: nothing is left, exactly as before any write.
/// Lint findings in files that exist only in the staging folder point at their lines.
#[test]
fn a_refused_first_render_leaves_nothing_behind() {
    let e = Estate::with_shared_namespaces();
    for out_dir in ["gitops", "preview/new"] {
        let out = e.run(&["render", "--out", out_dir]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("rule: duplicate-object"), "{err}");
        // Located in the staged file at the object's own line, with its text.
        let at = err
            .lines()
            .find(|l| l.starts_with("error: refused by quota admission"))
            .unwrap_or_else(|| panic!("{err}"));
        assert!(
            at.ends_with("workflowtemplate-build-docker-image.yaml:211:9"),
            "{at}"
        );
        assert!(err.contains("211 |   - name: build"), "{err}");
        assert!(!e.path().join(out_dir).exists(), "{out_dir} is left");
    }

    // A template error: nothing rendered is kept either.
    let e = Estate::example();
    e.write(TENANT_TEMPLATE, "{{ tenant.no_such_field.x }}\n");
    let out = e.run(&["render"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!e.path().join("gitops").exists());
}

#[test]
fn input_text_cannot_write_workflow_commands_or_escapes_to_the_log() {
    let e = Estate::example();
    e.edit(
        "environments/dev.yaml",
        "  tenants:\n",
        "  tenants:\n    \"x\\n::add-mask::secret\\u001b[2J\":\n      tier: small\n",
    );
    let out = e.run(&["render", "--env", "dev"]);
    let err = assert_refused(&out, "is not a DNS-1123 label");
    assert!(err.lines().all(|l| !l.starts_with("::")), "{err}");
    assert!(!err.contains('\u{1b}'), "{err}");
}

#[test]
fn smaller_holes_are_closed() {
    // A pack whose folder does not match its name and version.
    let e = Estate::example();
    e.write(
        "policy-packs/platform/9.9.9/pack.yaml",
        &e.read("policy-packs/platform/1.2.0/pack.yaml"),
    );
    assert_refused(
        &e.run(&["render"]),
        "its folder is policy-packs/platform/9.9.9/",
    );

    // A null key is not a team named "null".
    let e = Estate::example();
    e.edit(
        "environments/dev.yaml",
        "  tenants:\n",
        "  tenants:\n    ~:\n      tier: small\n",
    );
    assert_refused(&e.run(&["render"]), "mapping key is null");

    // A UTF-8 byte-order mark is read as Kubernetes reads it.
    let e = Estate::example();
    let dev = e.read("environments/dev.yaml");
    e.write("environments/dev.yaml", &format!("\u{feff}{dev}"));
    let out = e.run(&["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // A garbage date does not expire every waiver.
    let e = Estate::example();
    let out = assert_cmd::Command::cargo_bin("gitops-render")
        .expect("binary")
        .current_dir(e.path())
        .env("GITOPS_RENDER_TODAY", "garbage")
        .arg("render")
        .output()
        .expect("runs");
    assert_refused(&out, "GITOPS_RENDER_TODAY is `garbage`");

    // A tree named on the command line must exist.
    let out = e.run(&["diff", "--against", "/nonexistent"]);
    assert_refused(&out, "/nonexistent");
    assert!(!stdout(&out).contains("added"));
}

#[test]
fn a_huge_file_planted_in_the_tree_is_not_read() {
    let e = Estate::example();
    assert_eq!(e.run(&["render"]).status.code(), Some(0));
    let planted = e
        .path()
        .join("gitops/dev/tenants/data-dev/configmap-planted.yaml");
    std::fs::File::create(&planted)
        .expect("create")
        .set_len(20 << 30)
        .expect("sparse 20 GB");
    // Not the tool's (no header): left alone, after reading its first line only.
    let out = run_limited(e.path(), &["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("left dev/tenants/data-dev/configmap-planted.yaml alone"));
    assert!(planted.exists());
    // The check compares it, and refuses it from its size.
    let out = run_limited(e.path(), &["render", "--check"]);
    assert_refused(&out, "larger than the 8 MiB limit");
}
