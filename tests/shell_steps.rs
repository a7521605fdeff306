//! The shell and Python steps of the catalog's WorkflowTemplates, executed here as rendered:
//! the `git` checkout against a real repository (branch, tag and commit SHA), the BuildKit
//! step with a recording `buildctl-daemonless.sh` (argv, build arguments, cache, the digest
//! it outputs), the deploy steps with recording `kubectl` / `argocd`, the test step, and the
//! publication update against a local HTTP server. `sh` here is dash, a POSIX shell like the
//! images' busybox ash. Paths of the pod (/workspace, /tmp, /run/user/1000) are moved under
//! a temporary folder; parameters arrive as the environment variables the templates set.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;

use common::git;
use serde_json::Value;

/// The rendered `script` of template `template` in WorkflowTemplate `workflow` of `namespace`
/// (dev environment).
fn script(namespace: &str, workflow: &str, template: &str) -> Value {
    common::dev_workflow(namespace, workflow)["spec"]["templates"]
        .as_array()
        .expect("templates")
        .iter()
        .find(|t| t["name"] == template)
        .unwrap_or_else(|| panic!("{workflow} has no template {template}"))["script"]
        .clone()
}

/// A sandbox for one step: the pod's folders under a temporary directory, and a `bin`
/// folder first on PATH for stand-ins of the image's tools.
struct Pod {
    dir: tempfile::TempDir,
}

impl Pod {
    fn new() -> Pod {
        let pod = Pod {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        for d in ["workspace", "tmp", "run", "bin"] {
            std::fs::create_dir_all(pod.path(d)).expect("mkdir");
        }
        pod
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// A stand-in for `name` that appends its argv (one argument per line, then `--`) to
    /// `calls` and runs `body`.
    fn tool(&self, name: &str, body: &str) {
        let calls = self.path("calls");
        let text = format!(
            "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\" >> '{}'; done\necho -- >> '{}'\n{body}\n",
            calls.display(),
            calls.display()
        );
        let p = self.path(&format!("bin/{name}"));
        std::fs::write(&p, text).expect("write tool");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }

    /// The argv of every call of the stand-ins, in order.
    fn calls(&self) -> Vec<Vec<String>> {
        let text = std::fs::read_to_string(self.path("calls")).unwrap_or_default();
        let mut out = vec![Vec::new()];
        for line in text.lines() {
            if line == "--" {
                out.push(Vec::new());
            } else {
                out.last_mut().expect("call").push(line.to_owned());
            }
        }
        out.pop();
        out
    }

    /// The pod's absolute paths in `text`, moved into the sandbox (in two passes, as the
    /// sandbox itself may live under /tmp).
    fn localise(&self, text: &str) -> String {
        let root = self.dir.path().display().to_string();
        let moves = [
            ("/workspace/", "\u{1}W", format!("{root}/workspace/")),
            ("/run/user/1000", "\u{1}R", format!("{root}/run")),
            ("/tmp/", "\u{1}T", format!("{root}/tmp/")),
        ];
        let mut out = text.to_owned();
        for (from, token, _) in &moves {
            out = out.replace(from, token);
        }
        for (_, token, to) in &moves {
            out = out.replace(token, to);
        }
        out
    }

    /// Run the step's `source` with its interpreter and `env`.
    fn run(&self, script: &Value, env: &[(&str, &str)]) -> Output {
        let source = self.localise(script["source"].as_str().expect("source"));
        let interpreter = script["command"][0].as_str().expect("command");
        let path = format!(
            "{}:{}",
            self.path("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = Command::new(interpreter);
        cmd.arg("-c")
            .arg(source)
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.path("tmp"))
            .current_dir(self.dir.path());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("runs")
    }
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A repository with two commits on `main`, the first tagged `v1`. Like GitHub and GitLab,
/// it serves any reachable commit to a fetch by SHA.
fn repository(dir: &Path) -> (String, String) {
    std::fs::create_dir_all(dir).expect("mkdir");
    git(dir, &["init", "-q", "-b", "main"]);
    git(
        dir,
        &["config", "uploadpack.allowReachableSHA1InWant", "true"],
    );
    std::fs::write(dir.join("app.txt"), "one\n").expect("write");
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "one"]);
    git(dir, &["tag", "v1"]);
    let first = git(dir, &["rev-parse", "HEAD"]);
    std::fs::write(dir.join("app.txt"), "two\n").expect("write");
    git(dir, &["commit", "-q", "-am", "two"]);
    (first, git(dir, &["rev-parse", "HEAD"]))
}

#[test]
fn clone_checks_out_a_branch_a_tag_or_a_commit_sha() {
    let clone = script("backend-dev", "build-docker-image", "clone");
    let origin = tempfile::tempdir().expect("tempdir");
    let (first, second) = repository(origin.path());
    let url = format!("file://{}", origin.path().display());
    for (branch, revision, want, content) in [
        ("main", "", &second, "two\n"),
        ("main", first.as_str(), &first, "one\n"),
        ("main", "v1", &first, "one\n"),
        ("does-not-matter", first.as_str(), &first, "one\n"),
    ] {
        let pod = Pod::new();
        let out = pod.run(
            &clone,
            &[
                ("GIT_REPO", &url),
                ("GIT_BRANCH", branch),
                ("GIT_REVISION", revision),
            ],
        );
        ok(&out);
        let commit = std::fs::read_to_string(pod.path("tmp/out/commit")).expect("commit output");
        assert_eq!(commit.trim(), want, "{branch} {revision}");
        let file = std::fs::read_to_string(pod.path("workspace/src/app.txt")).expect("checkout");
        assert_eq!(file, content);
    }
    // Nothing to check out: a clear error, exit 2.
    let pod = Pod::new();
    let out = pod.run(
        &clone,
        &[
            ("GIT_REPO", ""),
            ("GIT_BRANCH", "main"),
            ("GIT_REVISION", ""),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("git-repo and one of git-branch"));
    // A revision that does not exist fails the step.
    let pod = Pod::new();
    let out = pod.run(
        &clone,
        &[
            ("GIT_REPO", &url),
            ("GIT_BRANCH", "nope"),
            ("GIT_REVISION", ""),
        ],
    );
    assert!(!out.status.success());
}

const DIGEST: &str = "sha256:4b825dc642cb6eb9a060e54bf8d69288fbee4904b825dc642cb6eb9a060e54bf";

/// A `buildctl-daemonless.sh` that records its argv and writes BuildKit's metadata file the
/// way `buildctl --metadata-file` does (indented JSON, the descriptor before the digest).
fn fake_buildctl(pod: &Pod, digest: &str) {
    pod.tool(
        "buildctl-daemonless.sh",
        &format!(
            r#"while [ $# -gt 0 ]; do
  if [ "$1" = --metadata-file ]; then out="$2"; fi
  shift
done
cat > "$out" <<'EOF'
{{
  "buildx.build.ref": "builder/builder0/abc",
  "containerimage.descriptor": {{
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000",
    "size": 1234
  }},
  "containerimage.digest": "{digest}",
  "image.name": "registry.example.com/team/app:1.2.3"
}}
EOF"#
        ),
    );
}

#[test]
fn build_passes_every_parameter_as_one_argument_and_outputs_the_digest() {
    let build = script("backend-dev", "build-docker-image", "build");
    let pod = Pod::new();
    fake_buildctl(&pod, DIGEST);
    let env = [
        ("DOCKERFILE_PATH", "docker/api.Dockerfile"),
        ("DOCKER_CONTEXT", "services/api"),
        ("IMAGE_NAME", "backend/api"),
        ("IMAGE_TAG", "1.2.3"),
        (
            "ECR_REGISTRY",
            "111122223333.dkr.ecr.eu-west-1.amazonaws.com",
        ),
        ("BUILD_ARGS", "VERSION=1.2.3\nGREETING=hello, world *\n\n"),
        ("CACHE_ENABLED", "true"),
    ];
    let out = pod.run(&build, &env);
    ok(&out);
    let root = pod.dir.path().display().to_string();
    let repo = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/backend/api";
    assert_eq!(
        pod.calls(),
        [[
            "build".to_owned(),
            "--frontend=dockerfile.v0".into(),
            "--local".into(),
            format!("context={root}/workspace/src/services/api"),
            "--local".into(),
            format!("dockerfile={root}/workspace/src/docker"),
            "--opt".into(),
            "filename=api.Dockerfile".into(),
            "--output".into(),
            format!("type=image,name={repo}:1.2.3,push=true"),
            "--metadata-file".into(),
            format!("{root}/tmp/build/metadata.json"),
            "--opt".into(),
            "build-arg:VERSION=1.2.3".into(),
            "--opt".into(),
            "build-arg:GREETING=hello, world *".into(),
            "--import-cache".into(),
            format!("type=registry,ref={repo}:buildcache"),
            "--export-cache".into(),
            format!("type=registry,ref={repo}:buildcache,mode=max"),
        ]]
    );
    assert_eq!(
        std::fs::read_to_string(pod.path("tmp/build/image")).expect("image output"),
        format!("{repo}@{DIGEST}")
    );
    assert_eq!(
        std::fs::read_to_string(pod.path("tmp/build/image-digest")).expect("digest output"),
        DIGEST
    );

    // No registry host: image-name is the whole reference; no cache, no build arguments.
    let pod = Pod::new();
    fake_buildctl(&pod, DIGEST);
    let mut env2 = env;
    env2[4] = ("ECR_REGISTRY", "");
    env2[5] = ("BUILD_ARGS", "");
    env2[6] = ("CACHE_ENABLED", "false");
    env2[2] = ("IMAGE_NAME", "ghcr.io/example/api");
    ok(&pod.run(&build, &env2));
    let call = &pod.calls()[0];
    assert!(call.contains(&"type=image,name=ghcr.io/example/api:1.2.3,push=true".to_owned()));
    assert!(
        !call
            .iter()
            .any(|a| a.contains("cache") || a.contains("build-arg")),
        "{call:?}"
    );

    // A build argument that is not KEY=VALUE stops before building.
    let pod = Pod::new();
    fake_buildctl(&pod, DIGEST);
    let mut bad = env;
    bad[5] = ("BUILD_ARGS", "VERSION=1\n--secret id=x\n");
    let out = pod.run(&build, &bad);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not KEY=VALUE"));
    assert!(pod.calls().is_empty());

    // A build whose metadata names no digest fails: no deploy of an unknown image.
    let pod = Pod::new();
    fake_buildctl(&pod, "not-a-digest");
    let out = pod.run(&build, &env);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("names no image digest"));
}

fn deploy_env<'a>(over: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut env: BTreeMap<&str, &str> = [
        ("DEPLOYMENT", "api"),
        ("NAMESPACE", ""),
        ("OWN_NAMESPACE", "backend-dev"),
        ("IMAGE", "registry.example.com/backend/api@sha256:abc"),
        ("CONTAINER", ""),
        ("REPLICAS", ""),
        ("STRATEGY", "RollingUpdate"),
        ("MAX_SURGE", "25%"),
        ("MAX_UNAVAILABLE", "1"),
        ("WAIT_TIMEOUT", "300s"),
        ("DRY_RUN", "false"),
    ]
    .into_iter()
    .collect();
    env.extend(over.iter().copied());
    env.into_iter().collect()
}

#[test]
fn deploy_patches_the_strategy_sets_the_image_and_waits() {
    let deploy = script("backend-dev", "deploy-kubernetes", "main");
    let pod = Pod::new();
    pod.tool("kubectl", "");
    ok(&pod.run(&deploy, &deploy_env(&[])));
    let calls = pod.calls();
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert_eq!(
        calls[0],
        [
            "--namespace",
            "backend-dev",
            "patch",
            "deployment",
            "api",
            "--type=merge",
            "--patch",
            r#"{"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":1}}}}"#,
        ]
    );
    let patch: Value = serde_json::from_str(&calls[0][7]).expect("the patch is JSON");
    assert_eq!(
        patch["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"],
        1
    );
    assert_eq!(
        calls[1],
        [
            "--namespace",
            "backend-dev",
            "set",
            "image",
            "deployment/api",
            "*=registry.example.com/backend/api@sha256:abc",
        ]
    );
    assert_eq!(
        calls[2],
        [
            "--namespace",
            "backend-dev",
            "rollout",
            "status",
            "deployment/api",
            "--timeout",
            "300s"
        ]
    );

    // Recreate with replicas, one container, a dry run: every change is --dry-run=server
    // and nothing waits.
    let pod = Pod::new();
    pod.tool("kubectl", "");
    let env = deploy_env(&[
        ("STRATEGY", "Recreate"),
        ("REPLICAS", "3"),
        ("CONTAINER", "api"),
        ("DRY_RUN", "true"),
    ]);
    ok(&pod.run(&deploy, &env));
    let calls = pod.calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    let patch: Value = serde_json::from_str(&calls[0][7]).expect("JSON");
    assert_eq!(
        patch,
        serde_json::json!({"spec": {"strategy": {"type": "Recreate", "rollingUpdate": null}, "replicas": 3}})
    );
    assert_eq!(
        calls[0].last().map(String::as_str),
        Some("--dry-run=server")
    );
    assert_eq!(
        calls[1][5],
        "api=registry.example.com/backend/api@sha256:abc"
    );
    assert_eq!(
        calls[1].last().map(String::as_str),
        Some("--dry-run=server")
    );

    // Bad values stop before any call, exit 2.
    for (key, value, says) in [
        (
            "MAX_SURGE",
            "25%; kubectl delete ns x",
            "max-surge must be a number or a percentage",
        ),
        ("MAX_UNAVAILABLE", "", "max-unavailable must be"),
        ("MAX_SURGE", "1%0", "max-surge must be"),
        ("REPLICAS", "three", "replicas must be a number"),
        (
            "STRATEGY",
            "BlueGreen",
            "strategy must be RollingUpdate or Recreate",
        ),
        ("DRY_RUN", "yes", "dry-run must be true or false"),
        ("DEPLOYMENT", "", "deployment-name is required"),
        ("IMAGE", "", "image is required"),
    ] {
        let pod = Pod::new();
        pod.tool("kubectl", "");
        let out = pod.run(&deploy, &deploy_env(&[(key, value)]));
        assert_eq!(out.status.code(), Some(2), "{key}={value}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(says),
            "{key}={value}"
        );
        assert!(pod.calls().is_empty(), "{key}={value}");
    }
}

#[test]
fn argocd_sync_uses_the_token_and_waits_for_health() {
    let sync = script("integrations-dev", "deploy-argocd-sync", "main");
    let pod = Pod::new();
    pod.tool("argocd", "[ -n \"$ARGOCD_AUTH_TOKEN\" ] || exit 9");
    let env = [
        ("ARGOCD_AUTH_TOKEN", "token"),
        ("APP", "integrations-dev"),
        (
            "ARGOCD_SERVER",
            "argocd-server.argocd.svc.cluster.local:443",
        ),
        ("REVISION", "abc123"),
        ("PRUNE", "true"),
        ("WAIT_TIMEOUT", "120"),
        ("INSECURE", "false"),
    ];
    ok(&pod.run(&sync, &env));
    let server = "argocd-server.argocd.svc.cluster.local:443";
    assert_eq!(
        pod.calls(),
        [
            vec![
                "app",
                "sync",
                "integrations-dev",
                "--timeout",
                "120",
                "--prune",
                "--revision",
                "abc123",
                "--server",
                server,
                "--grpc-web"
            ],
            vec![
                "app",
                "wait",
                "integrations-dev",
                "--sync",
                "--health",
                "--timeout",
                "120",
                "--server",
                server,
                "--grpc-web"
            ],
        ]
    );
    let mut bad = env;
    bad[5] = ("WAIT_TIMEOUT", "2m");
    let pod = Pod::new();
    pod.tool("argocd", "");
    let out = pod.run(&sync, &bad);
    assert_eq!(out.status.code(), Some(2));
    assert!(pod.calls().is_empty());
}

#[test]
fn ci_test_runs_the_command_in_the_working_dir() {
    let test = script("backend-dev", "ci-test", "test");
    let pod = Pod::new();
    std::fs::create_dir_all(pod.path("workspace/src/svc")).expect("mkdir");
    std::fs::write(pod.path("workspace/src/svc/marker"), "x").expect("write");
    let out = pod.run(
        &test,
        &[
            ("TEST_COMMAND", "test -f marker && echo passed > result"),
            ("WORKING_DIR", "svc"),
        ],
    );
    ok(&out);
    assert_eq!(
        std::fs::read_to_string(pod.path("workspace/src/svc/result")).expect("result"),
        "passed\n"
    );
    let out = pod.run(&test, &[("TEST_COMMAND", "exit 3"), ("WORKING_DIR", ".")]);
    assert_eq!(out.status.code(), Some(3));
}

/// Serve one HTTP request with `status`, returning the request as received.
fn serve_once(status: u16) -> (String, std::thread::JoinHandle<String>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk).expect("read");
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("Content-Length: "))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if body.len() >= length {
                    break;
                }
            }
            if n == 0 {
                break;
            }
        }
        let reply =
            format!("HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        stream.write_all(reply.as_bytes()).expect("write");
        String::from_utf8_lossy(&buf).into_owned()
    });
    (url, handle)
}

#[test]
fn update_publication_puts_the_record() {
    let update = script("data-dev", "update-publication", "main");
    let env = |url: &str, status: &'static str, workflows: &'static str| {
        vec![
            ("API_TOKEN".to_owned(), "s3cret".to_owned()),
            ("PUBLICATION_ID".into(), "pub/2026 Q4".into()),
            ("FILE_KEY".into(), "scans/scan \"001\".tiff".into()),
            ("STATUS".into(), status.into()),
            ("WORKFLOWS".into(), workflows.into()),
            ("API_URL".into(), format!("{url}/")),
            ("WORKFLOW".into(), "update-publication-x7k2p".into()),
            ("NAMESPACE".into(), "data-dev".into()),
        ]
    };
    let run = |env: Vec<(String, String)>| {
        let pod = Pod::new();
        let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        pod.run(&update, &pairs)
    };
    let (url, server) = serve_once(200);
    let out = run(env(&url, "processed", r#"["tiff-offsets"]"#));
    ok(&out);
    let request = server.join().expect("server");
    let (head, body) = request.split_once("\r\n\r\n").expect("request");
    assert!(
        head.starts_with("PUT /publications/pub%2F2026%20Q4/files HTTP/1.1"),
        "{head}"
    );
    assert!(head.contains("Authorization: Bearer s3cret"), "{head}");
    let record: Value = serde_json::from_str(body).expect("JSON body");
    assert_eq!(
        record,
        serde_json::json!({
            "file": "scans/scan \"001\".tiff",
            "status": "processed",
            "workflows": ["tiff-offsets"],
            "workflow": "update-publication-x7k2p",
            "namespace": "data-dev",
        })
    );

    // A refused record (4xx) is final, exit 2; a server error (5xx) exit 1, for the retry.
    let (url, server) = serve_once(404);
    assert_eq!(run(env(&url, "failed", "[]")).status.code(), Some(2));
    server.join().expect("server");
    let (url, server) = serve_once(503);
    assert_eq!(run(env(&url, "failed", "[]")).status.code(), Some(1));
    server.join().expect("server");
    // Bad parameters never reach the API.
    for (status, workflows) in [
        ("done", "[]"),
        ("processed", "tiff-offsets"),
        ("processed", "[1]"),
    ] {
        let out = run(env("http://127.0.0.1:9", status, workflows));
        assert_eq!(out.status.code(), Some(2), "{status} {workflows}");
    }
}
