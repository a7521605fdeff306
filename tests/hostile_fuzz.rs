//! Fuzzing the render with hostile input files and templates: mutated environment files
//! and token-soup templates go through the whole pipeline in memory. Whatever they hold,
//! the render never panics, and every path of every tree it produces is confined to the
//! output folder and is a layout path. `PROPTEST_CASES` raises the count for a long run
//! (the README says how long it ran); `tests/lint_fuzz.rs` does the same for lint input.

use std::sync::OnceLock;

use gitops_render::source::EstateFiles;
use gitops_render::tree::{confined, is_layout_path};
use proptest::prelude::*;

fn example() -> &'static EstateFiles {
    static FILES: OnceLock<EstateFiles> = OnceLock::new();
    FILES.get_or_init(|| {
        EstateFiles::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))).expect("reads")
    })
}

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\n".to_owned()),
        Just("  ".to_owned()),
        Just("- ".to_owned()),
        Just(": ".to_owned()),
        Just("---\n".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("~".to_owned()),
        Just("&a ".to_owned()),
        Just("*a".to_owned()),
        Just("<<: *a\n".to_owned()),
        Just("\"".to_owned()),
        Just("'".to_owned()),
        Just("\u{feff}".to_owned()),
        Just("../".to_owned()),
        Just("/etc/passwd".to_owned()),
        Just("kube-system".to_owned()),
        Just("namespace: ".to_owned()),
        Just("kind: ".to_owned()),
        Just("name: ".to_owned()),
        Just("podSpecPatch: ".to_owned()),
        Just("serviceAccountName: ".to_owned()),
        Just("{{ ".to_owned()),
        Just(" }}".to_owned()),
        Just("{% for i in range(1000) %}".to_owned()),
        Just("{% endfor %}".to_owned()),
        Just("{% set x = 'ab' * 1000 %}".to_owned()),
        Just("tenant.namespace".to_owned()),
        Just("env.name".to_owned()),
        Just(" | tojson".to_owned()),
        Just("apiVersion: v1\n".to_owned()),
        Just("metadata:\n  ".to_owned()),
        "[a-zA-Z0-9_./@:-]{1,8}",
        any::<char>().prop_map(|c| c.to_string()),
    ]
}

/// Render `files` (environment `dev` only); when it renders, check every path.
fn render_checks_paths(files: &EstateFiles) {
    if let Ok(rendered) = gitops_render::render_estate(files, &["dev".to_owned()]) {
        for path in rendered.tree.files.keys() {
            assert!(confined(path).is_ok(), "unconfined path {path:?}");
            assert!(is_layout_path(path), "not a layout path {path:?}");
        }
    }
}

/// Insert each token at a position of `text` (a char boundary at or before the index).
fn mutate(text: &str, edits: &[(prop::sample::Index, String)]) -> String {
    let mut text = text.to_owned();
    for (at, tok) in edits {
        let mut i = at.index(text.len() + 1);
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        text.insert_str(i, tok);
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn mutated_environment_files_never_escape_or_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), token()), 1..6)
    ) {
        let mut files = example().clone();
        let dev = files.files.get("environments/dev.yaml").expect("dev").clone();
        files.files.insert("environments/dev.yaml".into(), mutate(&dev, &edits));
        render_checks_paths(&files);
    }

    #[test]
    fn token_soup_templates_never_escape_or_panic(
        tokens in prop::collection::vec(token(), 0..60)
    ) {
        let mut files = example().clone();
        files.files.insert("templates/tenant/zz-fuzz.yaml.j2".into(), tokens.concat());
        render_checks_paths(&files);
    }

    #[test]
    fn mutated_templates_never_escape_or_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), token()), 1..6)
    ) {
        let mut files = example().clone();
        let name = "templates/tenant/network.yaml.j2";
        let text = files.files.get(name).expect("template").clone();
        files.files.insert(name.into(), mutate(&text, &edits));
        render_checks_paths(&files);
    }
}
