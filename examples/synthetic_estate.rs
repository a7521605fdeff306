//! Write a synthetic estate for benchmarks: the repository's policy packs and templates, and
//! environments dev, staging, prod and local with N tenants each (mixed tiers, features and
//! workflows, within each environment's rules).
//!
//! `cargo run --release --example synthetic_estate -- --tenants N --out DIR`, then
//! `gitops-render render --root DIR`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.map_err(std::io::Error::other)?;
        let rel = entry
            .path()
            .strip_prefix(from)
            .map_err(std::io::Error::other)?;
        let target = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

fn environment(name: &str, tenants: usize) -> String {
    let (pin, cluster, server, repo, rev) = match name {
        "prod" => (
            "platform@1.1.0",
            "prod-eks",
            "https://kubernetes.default.svc",
            "https://github.com/example/platform-gitops.git",
            "v2026.11.3",
        ),
        "local" => (
            "platform@~1.2",
            "local",
            "https://kubernetes.default.svc",
            "file:///workspace",
            "HEAD",
        ),
        other => (
            "platform@^1.1",
            if other == "dev" {
                "dev-eks"
            } else {
                "staging-eks"
            },
            "https://k8s.example.com",
            "https://github.com/example/platform-gitops.git",
            "main",
        ),
    };
    let tiers: &[&str] = match name {
        "prod" => &["small", "medium", "large"],
        "local" => &["micro", "small"],
        _ => &["micro", "small", "medium", "large"],
    };
    let features: &[&str] = if name == "prod" {
        &["istio"]
    } else {
        &["istio", "monitoring-enhanced", "object-storage"]
    };
    let workflows = [
        "[ci-pipeline]",
        "[tiff-offsets]",
        "[build-docker-image]",
        "[]",
    ];
    let mut out = format!(
        "apiVersion: gitops-render.dev/v1alpha1\nkind: Environment\nmetadata: {{name: {name}}}\nspec:\n  policyPack: {pin}\n  cluster: {{name: {cluster}, server: {server}}}\n  repo: {{url: {repo}, targetRevision: {rev}}}\n  argocd: {{namespace: argocd, project: platform}}\n  tenants:\n"
    );
    for i in 0..tenants {
        let tier = tiers[i % tiers.len()];
        let feature = if i % 3 == 0 {
            format!("[{}]", features[i % features.len()])
        } else {
            "[]".to_owned()
        };
        let _ = writeln!(
            out,
            "    team-{i:05}:\n      tier: {tier}\n      features: {feature}\n      owners: {{developer: [\"group:team-{i:05}-devs\"], viewer: [\"group:sre\"]}}\n      workflows: {}\n      requestedBy: lead-{i:05}@example.com",
            workflows[i % workflows.len()]
        );
    }
    out
}

#[allow(clippy::print_stderr)] // an example program: its one line of output is for people
fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let tenants: usize = value("--tenants")
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let out = PathBuf::from(value("--out").unwrap_or_else(|| "synthetic-estate".to_owned()));
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(out.join("environments"))?;
    copy_dir(&repo.join("policy-packs"), &out.join("policy-packs"))?;
    copy_dir(&repo.join("templates"), &out.join("templates"))?;
    for env in ["dev", "staging", "prod", "local"] {
        std::fs::write(
            out.join("environments").join(format!("{env}.yaml")),
            environment(env, tenants),
        )?;
    }
    eprintln!(
        "wrote an estate of {tenants} tenants x 4 environments to {}",
        out.display()
    );
    Ok(())
}
