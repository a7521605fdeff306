//! The canonical emitter as properties: whatever the value, the bytes read back as exactly
//! that value (no string turns into a number, a boolean, null or a date), and emitting what
//! was read back gives the same bytes. Strings are drawn from the spellings YAML readers
//! treat specially, so quoting decisions are exercised, not just plain words.

use gitops_render::manifest::to_canonical_yaml;
use gitops_render::source::parse_documents;
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Strings that a YAML 1.1 or 1.2 reader could take for something else, and ordinary ones.
fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            "y",
            "N",
            "yes",
            "No",
            "on",
            "OFF",
            "true",
            "False",
            "null",
            "~",
            ".inf",
            "-.Inf",
            ".NaN",
            "0",
            "-1",
            "+1",
            "1.5",
            "1e3",
            "1E-3",
            "0x1F",
            "0o17",
            "0b101",
            "1_000",
            "1:30",
            "2026-11-22",
            "1.2.0",
            ".5",
            "-",
            "--",
            "---",
            "- a",
            "? x",
            ": x",
            "a: b",
            "a #b",
            "#x",
            "&a",
            "*a",
            "!t",
            "|",
            ">",
            "%x",
            "@x",
            "`x",
            "'q'",
            "\"q\"",
            "[a]",
            "{a}",
            "a,b",
            "=",
            "<<",
            " lead",
            "trail ",
            "tab\there",
            "multi\nline\n",
            "no-final\nnewline",
            "  indented\nblock",
            "trailing space \nx",
            "e5",
            "_1",
            ":",
            "v1.2",
            "image:1.27",
            "http://x/y",
            "ü",
            "\u{2028}",
            "a\u{feff}",
        ])
        .prop_map(str::to_owned),
        "[a-z0-9 .:#_-]{0,8}",
        "[a-z]{1,6}(\n[a-z ]{0,6}){1,3}\n?",
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1.0e6f64..1.0e6).prop_map(Value::from),
        tricky_string().prop_map(Value::String),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(tricky_string(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A top-level object, as every manifest is.
fn object() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(tricky_string(), value(), 1..6)
        .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>()))
}

proptest! {
    #[test]
    fn canonical_yaml_reads_back_as_the_same_value(v in object()) {
        let text = to_canonical_yaml(&v);
        let docs = parse_documents(&text)
            .map_err(|e| TestCaseError::fail(format!("{e:?}\n{text}")))?;
        prop_assert_eq!(docs.len(), 1, "{}", text);
        prop_assert_eq!(&docs[0].1, &v, "{}", text);
    }

    #[test]
    fn canonical_yaml_is_a_fixed_point(v in object()) {
        let text = to_canonical_yaml(&v);
        let back = parse_documents(&text)
            .map_err(|e| TestCaseError::fail(format!("{e:?}\n{text}")))?;
        prop_assert_eq!(to_canonical_yaml(&back[0].1), text);
    }
}

proptest! {
    /// `ambiguous-yaml-scalar` skips files that are exactly what the emitter writes: that
    /// holds only if the emitter never writes a scalar the rule would report.
    #[test]
    fn canonical_yaml_has_no_ambiguous_plain_scalar(v in object()) {
        let text = to_canonical_yaml(&v);
        let found = gitops_render::source::ambiguous_plain_scalars(&text);
        prop_assert!(found.is_empty(), "{:?}\n{}", found, text);
    }
}
