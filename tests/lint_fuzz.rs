//! Malformed input never panics the reader or the rules: YAML-token soup and random
//! mutations of real manifests go through the whole lint. `PROPTEST_CASES` raises the count
//! for a long run (the README says how long it ran).

use gitops_render::lint::{lint, Corpus, LintConfig};
use proptest::prelude::*;

const SEEDS: &[&str] = &[
    include_str!("corpus/valid/deployment-service-hpa.yaml"),
    include_str!("corpus/valid/workflow-artifacts-loops-dag.yaml"),
    include_str!("corpus/valid/applicationsets.yaml"),
    include_str!("corpus/valid/list-and-rbac.yaml"),
];

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\n".to_owned()),
        Just("  ".to_owned()),
        Just("- ".to_owned()),
        Just(": ".to_owned()),
        Just("---\n".to_owned()),
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("&a ".to_owned()),
        Just("*a".to_owned()),
        Just("!!str ".to_owned()),
        Just("\"".to_owned()),
        Just("'".to_owned()),
        Just("|\n".to_owned()),
        Just("# c\n".to_owned()),
        Just("apiVersion: v1\n".to_owned()),
        Just("kind: List\nitems:\n".to_owned()),
        Just("kind: Deployment\n".to_owned()),
        Just("metadata: {name: x}\n".to_owned()),
        Just("<<: *a\n".to_owned()),
        "[a-zA-Z0-9_./@:-]{1,8}",
        any::<char>().prop_map(|c| c.to_string()),
    ]
}

fn lint_text(text: &str) {
    let mut corpus = Corpus::default();
    corpus.add_file("fuzz.yaml", text.to_owned());
    let _ = lint(&corpus, &LintConfig::default());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)))]

    #[test]
    fn token_soup_never_panics(tokens in prop::collection::vec(token(), 0..80)) {
        lint_text(&tokens.concat());
    }

    #[test]
    fn mutated_manifests_never_panic(seed in 0..SEEDS.len(), edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, token()), 1..8)) {
        let mut text = SEEDS[seed].to_owned();
        for (at, op, tok) in edits {
            let mut i = at.index(text.len() + 1);
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            match op {
                0 => text.insert_str(i, &tok),
                1 => {
                    let mut end = (i + tok.len()).min(text.len());
                    while !text.is_char_boundary(end) {
                        end -= 1;
                    }
                    text.replace_range(i..end, "");
                }
                _ => {
                    let mut end = (i + 1).min(text.len());
                    while !text.is_char_boundary(end) {
                        end += 1;
                    }
                    text.replace_range(i..end.min(text.len()), &tok);
                }
            }
        }
        lint_text(&text);
    }
}
