//! Overlay semantics as properties: maps merge key by key, lists and scalars replace, null
//! removes, and every resulting leaf remembers the layer it came from.

use gitops_render::resolve::{merge, Layered};
use gitops_render::source::{pointer_push, Sources};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        "[a-z]{0,4}".prop_map(Value::String),
    ]
}

/// Small trees over a tiny key alphabet, so layers overlap often.
fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[abc]", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn object() -> impl Strategy<Value = Value> {
    prop::collection::btree_map("[abc]", value(), 0..4)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

fn leaves(v: &Value, at: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) if !m.is_empty() => m
            .iter()
            .for_each(|(k, c)| leaves(c, &pointer_push(at, k), out)),
        _ => out.push(at.to_owned()),
    }
}

fn has_null_in_map(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.values().any(|c| c.is_null() || has_null_in_map(c)),
        Value::Array(items) => items.iter().any(has_null_in_map),
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn null_removes_and_non_maps_replace(base in object(), over in object()) {
        let merged = merge(&base, &over);
        let (Value::Object(m), Value::Object(o), Value::Object(b)) = (&merged, &over, &base) else { unreachable!() };
        for (k, v) in o {
            if v.is_null() {
                prop_assert!(!m.contains_key(k), "null must remove {k}");
            } else if !(v.is_object() && b.get(k).is_some_and(Value::is_object)) {
                prop_assert_eq!(&m[k], &merge(&Value::Null, v), "non-map values replace");
            }
        }
        for (k, v) in b {
            if !o.contains_key(k) && !v.is_null() {
                prop_assert_eq!(m.get(k), Some(&merge(&Value::Null, v)), "keys only in the base survive");
            }
        }
        prop_assert!(!has_null_in_map(&merged), "no null is left in a mapping");
    }

    #[test]
    fn merging_the_same_layer_twice_changes_nothing(base in object(), over in object()) {
        let once = merge(&base, &over);
        prop_assert_eq!(merge(&once, &over), once);
    }

    #[test]
    fn layered_merge_agrees_and_tracks_every_leaf(base in object(), over in object()) {
        let mut sources = Sources::new();
        let a = sources.add("a.yaml", "");
        let b = sources.add("b.yaml", "");
        let mut layered = Layered::from_file(&base, a, "/spec");
        layered.overlay_file(&over, b, "/spec");
        prop_assert_eq!(&layered.value, &merge(&base, &over));

        let mut paths = Vec::new();
        leaves(&layered.value, "", &mut paths);
        let stripped_over = merge(&Value::Null, &over);
        for p in paths {
            let origin = layered.origins.get(&p);
            prop_assert!(origin.is_some(), "leaf {p} has no origin");
            let origin = origin.cloned().unwrap_or_else(|| unreachable!());
            // An empty mapping may owe its emptiness to either layer; any other leaf comes
            // from the overlay exactly when the overlay has it.
            if layered.value.pointer(&p).is_some_and(|v| v.as_object().is_some_and(|m| m.is_empty())) {
                continue;
            }
            let expected = if stripped_over.pointer(&p).is_some() { b } else { a };
            prop_assert_eq!(origin.source, expected, "leaf {} came from the wrong layer", p);
            prop_assert_eq!(origin.pointer, format!("/spec{p}"));
        }
        prop_assert_eq!(layered.origins.len(), { let mut v = Vec::new(); leaves(&layered.value, "", &mut v); v.len() });
    }
}
