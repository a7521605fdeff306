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

/// A render's own corpus takes every file as written by the emitter (`Written::AsGenerated`),
/// which spares `generated-file-edited` re-emitting every object and `ambiguous-yaml-scalar`
/// scanning every file: that holds only if each rendered file is judged so when read back.
#[test]
fn a_renders_own_files_are_judged_as_generated_when_read_back() {
    use gitops_render::lint::Written;
    let files = gitops_render::source::EstateFiles::read_dir(std::path::Path::new(env!(
        "CARGO_MANIFEST_DIR"
    )))
    .expect("reads");
    let rendered = gitops_render::render_estate(&files, &[]).expect("renders");
    for (path, bytes) in &rendered.tree.files {
        let text = std::str::from_utf8(bytes).expect("utf-8");
        let parsed = gitops_render::source::parse_documents(text);
        assert_eq!(
            Written::judge(path, text, &parsed),
            Written::AsGenerated,
            "{path}"
        );
    }
    let mut files = rendered.tree.files;
    let file_count = files.len();
    let mut corpus = Corpus::from_rendered(rendered.manifests, &mut files, "gitops");
    assert_eq!(corpus.docs.len(), file_count);
    assert!(corpus.written.iter().all(|w| *w == Written::AsGenerated));
    let generated_rules = ["generated-file-edited", "ambiguous-yaml-scalar"];
    assert!(!lint(&corpus, &LintConfig::new())
        .iter()
        .any(|f| generated_rules.contains(&f.rule)));
    // The rule reports what the judgement says.
    corpus.written[0] = Written::EditedAfterGeneration;
    assert!(lint(&corpus, &LintConfig::new())
        .iter()
        .any(|f| f.rule == "generated-file-edited"));
}
