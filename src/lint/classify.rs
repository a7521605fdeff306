//! Which files of a linted folder are Kubernetes manifests. A GitOps repository holds more
//! than manifests: Kustomize files and the patches they apply, Helm charts (metadata, values,
//! Go templates that are not YAML until Helm renders them), CI and tool configuration, data.
//! Judging those as objects is what made every error on a real repository false, so they are
//! set aside before any rule runs, each with the reason, and counted in the report.
//!
//! By path: Kustomize files (`kustomization.yaml|yml`), everything of a Helm chart (a folder
//! with `Chart.yaml`) except its `crds/`, Helm values files, Helmfile and tool configuration,
//! and the files a kustomization names as patches, replacements or plugin configuration.
//! By content ([`by_content`]): a file none of whose documents has an `apiVersion` or a
//! `kind` (data, values), and Kustomize `Kustomization`/`Component` documents.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

/// A file lint did not judge as manifests, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// Tool and CI configuration that is YAML or JSON but never a Kubernetes object, by file
/// name. (Hidden files and folders — `.github/`, `.gitlab-ci.yml` — are not listed at all.)
const TOOL_FILES: [(&str, &str); 14] = [
    ("helmfile.yaml", "Helmfile configuration"),
    ("helmfile.yml", "Helmfile configuration"),
    ("skaffold.yaml", "Skaffold configuration"),
    ("docker-compose.yml", "Docker Compose file"),
    ("docker-compose.yaml", "Docker Compose file"),
    ("compose.yaml", "Docker Compose file"),
    ("mkdocs.yml", "MkDocs configuration"),
    ("renovate.json", "Renovate configuration"),
    ("package.json", "npm package file"),
    ("tsconfig.json", "TypeScript configuration"),
    ("codecov.yml", "Codecov configuration"),
    ("action.yml", "GitHub Action"),
    ("action.yaml", "GitHub Action"),
    ("Chart.lock", "Helm chart lock file"),
];

/// The keys of a kustomization whose values name files that are not whole objects.
const KUSTOMIZE_REFERENCES: [&str; 8] = [
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "replacements",
    "configurations",
    "generators",
    "transformers",
    "validators",
];

fn file_name(rel: &str) -> &str {
    rel.rsplit_once('/').map_or(rel, |(_, n)| n)
}

fn parent(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(p, _)| p)
}

/// Is this a Kustomize file by its name?
fn is_kustomization(rel: &str) -> bool {
    matches!(
        file_name(rel),
        "kustomization.yaml" | "kustomization.yml" | "Kustomization"
    )
}

/// Decides by path which listed files are manifests.
#[derive(Debug, Default)]
pub struct Classifier {
    /// Folders holding a `Chart.yaml`.
    charts: BTreeSet<String>,
    /// Files a kustomization names (path → the kustomization).
    referenced: BTreeMap<String, String>,
}

impl Classifier {
    /// A classifier for the files `files` (relative paths) of folder `dir`: reads its
    /// kustomizations for the files they name.
    pub fn new(dir: &Path, files: &[String]) -> Classifier {
        let mut out = Classifier::default();
        for rel in files {
            if file_name(rel) == "Chart.yaml" {
                out.charts.insert(parent(rel).to_owned());
            }
            if is_kustomization(rel) {
                let Ok(text) = crate::source::read_path(&dir.join(rel)) else {
                    continue;
                };
                for named in kustomize_references(&text) {
                    if let Some(path) = join(parent(rel), &named) {
                        out.referenced.insert(path, rel.clone());
                    }
                }
            }
        }
        out
    }

    /// Why the file at `rel` is not a manifest, or `None` when it may be one.
    pub fn skip(&self, rel: &str) -> Option<String> {
        let name = file_name(rel);
        if is_kustomization(rel) {
            return Some("Kustomize file: `kustomize build` makes the manifests".into());
        }
        if let Some(by) = self.referenced.get(rel) {
            return Some(format!(
                "Kustomize patch or configuration named by {by}: not a whole object"
            ));
        }
        let chart = self
            .charts
            .iter()
            .filter(|c| c.is_empty() || rel.starts_with(&format!("{c}/")))
            .max_by_key(|c| c.len());
        if let Some(chart) = chart {
            let inside = if chart.is_empty() {
                rel
            } else {
                &rel[chart.len() + 1..]
            };
            let at = if chart.is_empty() {
                "."
            } else {
                chart.as_str()
            };
            if !inside.starts_with("crds/") {
                let what = if inside.starts_with("templates/") {
                    "Helm template (Go template text until Helm renders it)"
                } else if name == "Chart.yaml" || name == "requirements.yaml" {
                    "Helm chart metadata"
                } else {
                    "Helm chart file (values, tests, schema)"
                };
                return Some(format!("{what} of the chart in {at}"));
            }
            return None;
        }
        if name == "Chart.yaml" || name == "requirements.yaml" {
            return Some("Helm chart metadata".into());
        }
        if name.starts_with("values")
            && [".yaml", ".yml", ".json"].iter().any(|e| name.ends_with(e))
        {
            return Some("Helm values file".into());
        }
        TOOL_FILES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, why)| (*why).to_owned())
    }
}

/// The files a kustomization's text names as patches, replacements or plugin
/// configuration (inline patches, which hold a newline, are not files).
fn kustomize_references(text: &str) -> Vec<String> {
    let Ok(docs) = crate::source::parse_documents(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (_, doc) in docs {
        for key in KUSTOMIZE_REFERENCES {
            for item in doc.get(key).and_then(Value::as_array).into_iter().flatten() {
                let path = match item {
                    Value::String(s) => Some(s.as_str()),
                    v => v.get("path").and_then(Value::as_str),
                };
                if let Some(p) = path.filter(|p| !p.contains('\n')) {
                    out.push(p.to_owned());
                }
            }
        }
    }
    out
}

/// `dir/named` with `.` and `..` resolved; `None` when it leaves the linted folder.
fn join(dir: &str, named: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for seg in named.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// Why a file whose documents are `docs` is not manifests, judged by content: Kustomize
/// documents, or no document with an `apiVersion` or a `kind` (data, Helm values,
/// configuration). A document with one of them but not both is an object with a mistake,
/// reported as such, as kubeconform does.
pub fn by_content(docs: &[(usize, Value)]) -> Option<String> {
    if docs.is_empty() {
        return None;
    }
    let kustomize = docs.iter().all(|(_, d)| {
        d.get("apiVersion")
            .and_then(Value::as_str)
            .is_some_and(|v| v.starts_with("kustomize.config.k8s.io/"))
    });
    if kustomize {
        return Some("Kustomize file: `kustomize build` makes the manifests".into());
    }
    let objects = docs
        .iter()
        .any(|(_, d)| !d.is_object() || d.get("apiVersion").is_some() || d.get("kind").is_some());
    (!objects).then(|| {
        "not a Kubernetes object: no document has an apiVersion or a kind (data, values or configuration)".into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_a_repository_by_path() {
        let c = Classifier {
            charts: ["charts/web".to_owned()].into(),
            referenced: [(
                "overlays/prod/replicas.yaml".to_owned(),
                "overlays/prod/kustomization.yaml".to_owned(),
            )]
            .into(),
        };
        for (rel, skipped) in [
            ("overlays/prod/kustomization.yaml", Some("Kustomize file")),
            ("overlays/prod/replicas.yaml", Some("Kustomize patch")),
            ("overlays/prod/hpa.yaml", None),
            ("charts/web/Chart.yaml", Some("Helm chart metadata")),
            ("charts/web/values.yaml", Some("Helm chart file")),
            (
                "charts/web/templates/deployment.yaml",
                Some("Helm template"),
            ),
            ("charts/web/crds/crd.yaml", None),
            ("charts/webhook/deployment.yaml", None),
            ("config/values-prod.yaml", Some("Helm values file")),
            ("helmfile.yaml", Some("Helmfile")),
            ("apps/root.yaml", None),
        ] {
            let got = c.skip(rel);
            match skipped {
                Some(why) => assert!(
                    got.as_deref().is_some_and(|g| g.starts_with(why)),
                    "{rel}: {got:?}"
                ),
                None => assert_eq!(got, None, "{rel}"),
            }
        }
    }

    #[test]
    fn reads_what_a_kustomization_names() {
        let text = "resources: [deploy.yaml]\npatches:\n- path: a.yaml\n- patch: |-\n    x: 1\n    y: 2\npatchesStrategicMerge: [b.yaml]\npatchesJson6902:\n- path: ../c.json\n";
        assert_eq!(
            kustomize_references(text),
            ["a.yaml", "b.yaml", "../c.json"]
        );
        assert_eq!(join("o/prod", "../c.json").as_deref(), Some("o/c.json"));
        assert_eq!(join("o", "../../x"), None);
    }

    #[test]
    fn data_is_not_an_object_but_half_an_identity_is() {
        let values = [(0, json!({"replicaCount": 3}))];
        assert!(by_content(&values).is_some());
        let half = [(0, json!({"kind": "ConfigMap"}))];
        assert_eq!(by_content(&half), None);
        let k = [(
            0,
            json!({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"}),
        )];
        assert!(by_content(&k).is_some());
    }
}
