//! Lint is judged on manifests in the shapes real users write, not only on our own tree:
//! every valid one passes the strict schemas, every broken one fails at the right place.

use gitops_render::lint::{lint, Corpus, LintConfig};

const SCHEMA_RULES: &[&str] = &[
    "schema-invalid",
    "no-schema",
    "missing-identity",
    "invalid-yaml",
    "duplicate-key",
    "not-an-object",
    "removed-api-version",
];

fn files(dir: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .expect("corpus")
        .map(|e| e.expect("entry").path().to_string_lossy().into_owned())
        .filter(|p| p.ends_with(".yaml"))
        .collect();
    out.sort();
    out
}

#[test]
fn valid_manifests_pass_the_strict_schemas() {
    let paths = files("tests/corpus/valid");
    assert!(paths.len() >= 5);
    for path in paths {
        let corpus = Corpus::read_paths(std::slice::from_ref(&path)).expect("reads");
        assert!(!corpus.docs.is_empty(), "{path}: no objects");
        let findings: Vec<String> = lint(&corpus, &LintConfig::new())
            .into_iter()
            .filter(|f| SCHEMA_RULES.contains(&f.rule))
            .map(|f| format!("{} {}: {}", f.rule, f.location, f.message))
            .collect();
        assert!(
            findings.is_empty(),
            "{path} is valid but lint says:\n{}",
            findings.join("\n")
        );
    }
}

#[test]
fn kubectl_lists_and_empty_documents_are_read() {
    let corpus =
        Corpus::read_paths(&["tests/corpus/valid/list-and-rbac.yaml".to_owned()]).expect("reads");
    let kinds: Vec<&str> = corpus.docs.iter().map(|d| d.kind()).collect();
    assert_eq!(kinds, ["ClusterRole", "ConfigMap"]);
}

#[test]
fn broken_manifests_fail_at_the_right_place() {
    let paths = files("tests/corpus/broken");
    assert!(paths.len() >= 5);
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("read");
        let expect = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .expect("first line says what to expect");
        let (rule, at) = expect.split_once(" at ").expect("RULE at LINE:COL");
        let corpus = Corpus::read_paths(std::slice::from_ref(&path)).expect("reads");
        let findings = lint(&corpus, &LintConfig::new());
        let hit = findings
            .iter()
            .any(|f| f.rule == rule && format!("{}:{}", f.location.line, f.location.col) == at);
        assert!(
            hit,
            "{path}: expected {rule} at {at}, got:\n{}",
            findings
                .iter()
                .map(|f| format!("{} {}: {}", f.rule, f.location, f.message))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

/// A render's own corpus is marked fresh, which lets `generated-file-edited` skip
/// re-emitting every object: that holds only if each rendered file is exactly what the rule
/// would accept. Checked here with the rule made to look.
#[test]
fn a_renders_own_files_pass_generated_file_edited_when_checked() {
    let files = gitops_render::source::EstateFiles::read_dir(std::path::Path::new(env!(
        "CARGO_MANIFEST_DIR"
    )))
    .expect("reads");
    let rendered = gitops_render::render_estate(&files, &[]).expect("renders");
    let mut corpus = Corpus::from_rendered(rendered.manifests, rendered.tree.files, "gitops");
    assert!(corpus.fresh);
    corpus.fresh = false;
    assert_eq!(corpus.docs.len(), 323);
    let edited: Vec<String> = lint(&corpus, &LintConfig::new())
        .into_iter()
        .filter(|f| f.rule == "generated-file-edited")
        .map(|f| f.message)
        .collect();
    assert!(edited.is_empty(), "{edited:?}");
    // The rule does look when asked: a changed value no longer matches its file.
    corpus.docs[0].value["metadata"]["labels"]["hand"] = serde_json::json!("edit");
    assert!(lint(&corpus, &LintConfig::new())
        .iter()
        .any(|f| f.rule == "generated-file-edited"));
}
