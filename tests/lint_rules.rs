//! Every lint rule has a fixture that makes it fire and one that keeps it quiet, in
//! `tests/lint/<rule-id>/{fires,clean}` (a YAML file or a folder; optional `config.yaml`,
//! and `clean-config.yaml` for the quiet case). What each rule reports is snapshotted
//! exactly as users see it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use gitops_render::lint::{lint, lint_paths, Corpus, LintConfig, Scope, Waiver, RULES};
use gitops_render::report::{render, Format, Summary};
use serde::Deserialize;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FixtureConfig {
    #[serde(default)]
    allowed_tiers: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    waivers: Vec<Waiver>,
    today: Option<String>,
    #[serde(default)]
    reject_kinds: Vec<String>,
}

fn fixture(rule: &str, case: &str) -> PathBuf {
    let dir = Path::new("tests/lint").join(rule);
    let file = dir.join(format!("{case}.yaml"));
    if file.exists() {
        file
    } else {
        dir.join(case)
    }
}

fn config(rule: &str, case: &str) -> LintConfig {
    let dir = Path::new("tests/lint").join(rule);
    let path = [
        dir.join(format!("{case}-config.yaml")),
        dir.join("config.yaml"),
    ]
    .into_iter()
    .find(|p| p.exists());
    let fc: FixtureConfig = path
        .map(|p| serde_yaml_from(&std::fs::read_to_string(p).expect("config")))
        .unwrap_or_default();
    LintConfig {
        allowed_tiers: fc.allowed_tiers,
        waivers: fc.waivers,
        reject_kinds: fc.reject_kinds,
        today: fc.today.unwrap_or_else(|| "2026-11-22".to_owned()),
        ..LintConfig::default()
    }
}

fn serde_yaml_from<T: serde::de::DeserializeOwned>(text: &str) -> T {
    let v = gitops_render::source::parse_single(text).expect("fixture config parses");
    serde_json::from_value(v).expect("fixture config is valid")
}

fn run(rule: &str, case: &str) -> Vec<gitops_render::lint::Finding> {
    let path = fixture(rule, case);
    assert!(
        path.exists(),
        "rule `{rule}` has no {case} fixture (tests/lint/{rule}/{case}.yaml or {case}/)"
    );
    let corpus = Corpus::read_paths(&[path.to_string_lossy().into_owned()]).expect("fixture reads");
    lint(&corpus, &config(rule, case))
        .into_iter()
        .filter(|f| f.rule == rule)
        .collect()
}

#[test]
fn every_rule_fires_on_its_fixture() {
    for rule in RULES {
        let findings = run(rule.id, "fires");
        assert!(
            !findings.is_empty(),
            "rule `{}` did not fire on its fixture",
            rule.id
        );
        let text = render(Format::Human, &Summary::of(&findings, findings.len()));
        insta::assert_snapshot!(format!("fires__{}", rule.id), text);
    }
}

#[test]
fn every_rule_stays_quiet_on_its_clean_fixture() {
    for rule in RULES {
        let findings = run(rule.id, "clean");
        assert!(
            findings.is_empty(),
            "rule `{}` fired on its clean fixture:\n{}",
            rule.id,
            render(Format::Human, &Summary::of(&findings, 0))
        );
    }
}

#[test]
fn no_fixture_without_a_rule() {
    for entry in std::fs::read_dir("tests/lint").expect("fixtures") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        assert!(
            RULES.iter().any(|r| r.id == name),
            "tests/lint/{name} belongs to no rule"
        );
    }
}

/// The streaming lint (chunks of files, corpus rules over pruned documents, positions read
/// again) reports exactly what the lint of the whole corpus reports: on every fixture, the
/// real-world corpora and the example tree, in chunks of one file (every relation crosses
/// chunks) and of three.
#[test]
fn streaming_lint_matches_whole_corpus_lint() {
    let mut cases: Vec<(PathBuf, LintConfig)> = Vec::new();
    for rule in RULES {
        for case in ["fires", "clean"] {
            cases.push((fixture(rule.id, case), config(rule.id, case)));
        }
    }
    for dir in ["tests/corpus/valid", "tests/corpus/broken", "gitops"] {
        cases.push((PathBuf::from(dir), config("none", "none")));
    }
    // A pack's required workflows are judged from each Namespace's environment label, which
    // the pruned Namespace keeps alone of its labels: one present in every tenant, one not.
    cases.push((
        PathBuf::from("gitops"),
        LintConfig {
            required_workflows: ["dev", "prod"]
                .map(|env| {
                    let names = ["file-transfer", "nightly-report"].map(str::to_owned);
                    (env.to_owned(), names.to_vec())
                })
                .into(),
            ..config("none", "none")
        },
    ));
    let mut relational = 0;
    let mut required = 0;
    for (path, cfg) in cases {
        let paths = [path.to_string_lossy().into_owned()];
        let mut whole = lint(&Corpus::read_paths(&paths).expect("reads"), &cfg);
        // Reports show a folder's files by the path as typed (`folder/file.yaml`).
        if path.is_dir() {
            for f in &mut whole {
                f.location.file = format!("{}/{}", path.display(), f.location.file);
            }
        }
        for chunk in [1, 3] {
            let streamed = lint_paths(&paths, &cfg, chunk).expect("reads");
            assert_eq!(
                streamed.findings,
                whole,
                "{} in chunks of {chunk}",
                path.display()
            );
        }
        required += whole
            .iter()
            .filter(|f| f.rule == "required-workflow-missing")
            .count();
        relational += whole
            .iter()
            .filter(|f| {
                gitops_render::lint::rule(f.rule)
                    .is_some_and(|r| matches!(r.scope, Scope::Corpus(_)))
            })
            .count();
    }
    // The corpus rules fired somewhere, so pruning was put to the test.
    assert!(relational >= 14, "only {relational} corpus-rule findings");
    assert!(
        required >= 10,
        "only {required} required-workflow findings on the example tree"
    );
}

/// The objects of `corpus` as a render hands them to lint, moved to namespace `ns` and team
/// `team` (as they stand when `None`); objects without an identity are left out.
fn as_rendered(corpus: &Corpus, moved: Option<(&str, &str)>) -> Corpus {
    use gitops_render::manifest::{Manifest, ManifestSet, ObjectRef, Placement};
    let manifests = corpus
        .docs
        .iter()
        .filter_map(|d| {
            let mut value = d.value.as_ref().clone();
            if let (Some((ns, team)), Some(meta)) = (moved, value.get_mut("metadata")) {
                let meta = meta.as_object_mut()?;
                meta.insert("namespace".into(), ns.into());
                let labels = meta
                    .entry("labels")
                    .or_insert_with(|| serde_json::json!({}));
                labels
                    .as_object_mut()?
                    .insert(gitops_render::render::TEAM_LABEL.into(), team.into());
            }
            Some(Manifest::new(
                ObjectRef::of(&value).ok()?,
                Placement::Argo { env: "dev".into() },
                value,
                "fixture".into(),
                Default::default(),
            ))
        })
        .collect();
    Corpus::from_rendered(ManifestSet { manifests }, &mut BTreeMap::new(), "gitops")
}

/// What `rule` hits in `corpus`, each message with its object's name put as `<object>`.
fn object_hits(
    rule: &gitops_render::lint::Rule,
    corpus: &Corpus,
    config: &LintConfig,
) -> Vec<(usize, String, String)> {
    let mut hits = Vec::new();
    (rule.check)(corpus, config, &mut hits);
    hits.into_iter()
        .map(|h| {
            let object = corpus.docs[h.doc].display();
            (h.doc, h.pointer, h.message.replace(&object, "<object>"))
        })
        .collect()
}

/// An object rule (`Scope::Object`) finds the same in an object whatever namespace and team
/// it was stamped with: a render judges one object of each lineage and gives the others its
/// hits. Every such rule is held to it on both its fixtures.
#[test]
fn object_rules_read_neither_the_namespace_nor_the_team() {
    for rule in RULES.iter().filter(|r| r.scope == Scope::Object) {
        for case in ["fires", "clean"] {
            let path = fixture(rule.id, case).to_string_lossy().into_owned();
            let corpus = Corpus::read_paths(&[path]).expect("fixture reads");
            let config = config(rule.id, case);
            let here = object_hits(rule, &as_rendered(&corpus, None), &config);
            let there = as_rendered(&corpus, Some(("elsewhere", "another-team")));
            let there = object_hits(rule, &there, &config);
            assert_eq!(here, there, "rule `{}` on its {case} fixture", rule.id);
            if case == "fires" {
                assert!(!here.is_empty(), "rule `{}` fires on its fixture", rule.id);
            }
        }
    }
}

/// Two tenants whose documents interleave (each file alternates between them) and whose
/// objects are the same text up to the namespace: the corpus rules that read a document's
/// namespace and kind from the corpus's index (by number, not from each identity) judge
/// each document by its own namespace's Namespace, quota, ServiceAccounts and folder, in
/// whatever order the documents come.
#[test]
fn corpus_rules_judge_each_namespace_on_its_own_when_tenants_interleave() {
    let namespace = |ns: &str, wave: i32| {
        format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n  annotations: {{argocd.argoproj.io/sync-wave: \"{wave}\"}}\n")
    };
    let quota = |ns: &str, cpu: &str| {
        format!("apiVersion: v1\nkind: ResourceQuota\nmetadata: {{name: tenant-quota, namespace: {ns}}}\nspec:\n  hard: {{limits.cpu: \"{cpu}\", limits.memory: 8Gi}}\n")
    };
    let account = |ns: &str| {
        format!(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: runner, namespace: {ns}}}\n"
        )
    };
    let deployment = |ns: &str| {
        format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: {ns}\n  annotations: {{argocd.argoproj.io/sync-wave: \"0\"}}\nspec:\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec:\n      serviceAccountName: runner\n      containers:\n      - {{name: web, image: nginx:1.27, resources: {{limits: {{cpu: \"2\", memory: 256Mi}}}}}}\n")
    };
    let config_map = |ns: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings, namespace: {ns}}}\n")
    };
    // Tenant `a`: a quota of one CPU (the deployment's two are refused), no ServiceAccount
    // `runner`, its Namespace synced after its objects (wave 5), and `b`'s ConfigMap in its
    // folder. Tenant `b`: four CPUs, the ServiceAccount, its Namespace first.
    let files = [
        ("a/namespace.yaml", namespace("a", 5)),
        ("b/namespace.yaml", namespace("b", -1)),
        ("a/quota.yaml", quota("a", "1")),
        ("b/quota.yaml", quota("b", "4")),
        ("b/account.yaml", account("b")),
        ("a/web.yaml", deployment("a")),
        ("b/web.yaml", deployment("b")),
        ("a/settings.yaml", config_map("b")),
        ("b/settings.yaml", config_map("b")),
    ];
    let hits = |order: &[usize]| {
        let mut corpus = Corpus::default();
        // One document per file, files in the given order: `a`'s and `b`'s alternate.
        corpus.add_files(
            order
                .iter()
                .map(|&i| (files[i].0.to_owned(), files[i].1.clone()))
                .collect(),
        );
        let mut found: Vec<(String, String)> = lint(&corpus, &LintConfig::default())
            .into_iter()
            .filter(|f| {
                [
                    "quota-admission",
                    "service-account-missing",
                    "sync-wave-order",
                    "object-outside-namespace-folder",
                ]
                .contains(&f.rule)
            })
            .map(|f| (f.rule.to_owned(), f.location.file.clone()))
            .collect();
        found.sort();
        found
    };
    let want: Vec<(String, String)> = [
        ("object-outside-namespace-folder", "a/settings.yaml"),
        ("quota-admission", "a/web.yaml"),
        ("service-account-missing", "a/web.yaml"),
        ("sync-wave-order", "a/quota.yaml"),
        ("sync-wave-order", "a/web.yaml"),
    ]
    .iter()
    .map(|(r, f)| (r.to_string(), f.to_string()))
    .collect();
    let interleaved: Vec<usize> = (0..files.len()).collect();
    assert_eq!(hits(&interleaved), want);
    // Reversed, and each tenant's documents together.
    let reversed: Vec<usize> = (0..files.len()).rev().collect();
    assert_eq!(hits(&reversed), want);
    assert_eq!(hits(&[1, 3, 4, 6, 8, 0, 2, 5, 7]), want);
}
