//! The exact argv of every container of every rendered WorkflowTemplate, as a golden table:
//! YAML flow sequences split at commas (`--severity=HIGH,CRITICAL` became two arguments in
//! every build), and only the rendered argv shows it. Review the snapshot like code.

use std::collections::BTreeSet;

use gitops_render::source::EstateFiles;
use serde_json::Value;

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|s| match s {
            Value::String(s) => s.clone(),
            other => format!("<not a string: {other}>"),
        })
        .collect()
}

/// `workflow@version template/container: argv` for every container, script, init container
/// and sidecar of every WorkflowTemplate the example estate renders (one row per distinct
/// workflow version and container).
fn argv_table() -> Vec<String> {
    let files = EstateFiles::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")))
        .expect("estate reads");
    let rendered = gitops_render::render_estate(&files, &[]).expect("renders");
    let mut rows = BTreeSet::new();
    for m in &rendered.manifests.manifests {
        if m.id.kind != "WorkflowTemplate" {
            continue;
        }
        let value = m.value();
        let labels = &value["metadata"]["labels"];
        let wf = format!(
            "{}@{}",
            labels["workflows.gitops-render.dev/name"]
                .as_str()
                .unwrap_or("?"),
            labels["workflows.gitops-render.dev/version"]
                .as_str()
                .unwrap_or("?")
        );
        for t in value["spec"]["templates"].as_array().into_iter().flatten() {
            let tname = t["name"].as_str().unwrap_or("?");
            let mut containers: Vec<(String, &Value)> = Vec::new();
            for key in ["container", "script"] {
                if let Some(c) = t.get(key) {
                    containers.push((key.to_owned(), c));
                }
            }
            for key in ["initContainers", "sidecars"] {
                for c in t.get(key).and_then(Value::as_array).into_iter().flatten() {
                    containers.push((format!("{key}/{}", c["name"].as_str().unwrap_or("?")), c));
                }
            }
            for (what, c) in containers {
                let argv: Vec<String> = strings(c.get("command"))
                    .into_iter()
                    .chain(strings(c.get("args")))
                    .map(|a| format!("{a:?}"))
                    .collect();
                rows.insert(format!(
                    "{wf} {tname}/{what} [{}]: {}",
                    c["image"].as_str().unwrap_or("?"),
                    argv.join(" ")
                ));
            }
        }
    }
    rows.into_iter().collect()
}

#[test]
fn every_container_gets_the_argv_intended() {
    let table = argv_table();
    insta::assert_snapshot!("argv_table", table.join("\n"));
}

#[test]
fn the_image_scan_gets_its_severity_list_as_one_argument() {
    let table = argv_table();
    let scans: Vec<&String> = table
        .iter()
        .filter(|r| r.contains("trivy") && r.contains("--severity"))
        .collect();
    assert!(!scans.is_empty(), "no Trivy step rendered");
    for row in scans {
        assert!(
            row.contains("\"--severity=HIGH,CRITICAL\""),
            "the severity list is split: {row}"
        );
        assert!(!row.contains("\"CRITICAL\""), "{row}");
    }
}
