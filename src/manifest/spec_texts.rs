//! The canonical text of top-level `spec` values already written. A tenant's
//! WorkflowTemplates are most of a tree's bytes, and their specs are the same for every
//! tenant of a tier (the namespace and labels are in `metadata`); writing each again was a
//! tenth of a whole-environment stream's time.
//!
//! Sound because the canonical text of a value is a function of its shape, keys, strings
//! and numbers as written (at the fixed indent of a top-level `spec`). A spec is looked up
//! by an encoding of exactly those, which no two different ones share (every part tagged
//! and its length given), so an equal encoding is an equal text. The encoding is made
//! into a reused buffer, and is cheaper than writing the text: no quoting to decide, no
//! lines to indent. The table holds encodings and texts, not values (a parsed value is
//! several times its text), once for all threads.
//!
//! Per kind: a kind whose specs do not repeat (or are too short to be worth keeping) stops
//! being looked up after a few tries, and at most [`MAX_BYTES`] are held.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde_json::Value;
use xxhash_rust::xxh3::Xxh3Builder;

/// Lookups of a kind after which it is given up unless half of them hit.
const TRIES: usize = 64;
/// Specs held per kind.
const PER_KIND: usize = 64;
/// A shorter text is written again rather than held.
const MIN_TEXT: usize = 1024;
/// Encodings and texts held in all.
const MAX_BYTES: usize = 1 << 20;

#[derive(Default)]
struct Specs {
    kinds: HashMap<String, Slot>,
    bytes: usize,
}

/// Held texts by encoding; at most [`PER_KIND`], so unseeded XXH3 leaves no room for a
/// table slowed by collisions.
#[derive(Default)]
struct Slot {
    held: HashMap<Box<[u8]>, Arc<str>, Xxh3Builder>,
    tries: usize,
    hits: usize,
}

impl Slot {
    fn spent(&self) -> bool {
        self.tries >= TRIES && self.hits * 2 < self.tries
    }
}

fn specs() -> &'static Mutex<Specs> {
    static SPECS: OnceLock<Mutex<Specs>> = OnceLock::new();
    SPECS.get_or_init(Mutex::default)
}

thread_local! {
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Append the canonical text of `spec`, the `spec` of an object of `kind`, as `write`
/// appends it: the text written for a spec with the same encoding when there is one.
pub(super) fn write(out: &mut String, kind: &str, spec: &Value, write: impl FnOnce(&mut String)) {
    {
        let specs = specs().lock().unwrap_or_else(PoisonError::into_inner);
        if specs.kinds.get(kind).is_some_and(Slot::spent) {
            drop(specs);
            return write(out);
        }
    }
    SCRATCH.with_borrow_mut(|encoded| {
        encoded.clear();
        encode(spec, encoded);
        let held = {
            let mut specs = specs().lock().unwrap_or_else(PoisonError::into_inner);
            let slot = match specs.kinds.get_mut(kind) {
                Some(slot) => slot,
                None => specs.kinds.entry(kind.to_owned()).or_default(),
            };
            slot.tries += 1;
            let held = slot.held.get(encoded.as_slice()).cloned();
            slot.hits += usize::from(held.is_some());
            held
        };
        if let Some(text) = held {
            out.push_str(&text);
            return;
        }
        let start = out.len();
        write(out);
        let text = &out[start..];
        if text.len() < MIN_TEXT {
            return;
        }
        let mut specs = specs().lock().unwrap_or_else(PoisonError::into_inner);
        let size = encoded.len() + text.len();
        if specs.bytes + size > MAX_BYTES {
            return;
        }
        let Some(slot) = specs
            .kinds
            .get_mut(kind)
            .filter(|s| s.held.len() < PER_KIND)
        else {
            return;
        };
        if slot
            .held
            .insert(encoded.as_slice().into(), text.into())
            .is_none()
        {
            specs.bytes += size;
        }
    });
}

/// Append an encoding of `value` from which its canonical text follows: each part tagged,
/// each string and list with its length, numbers as written.
fn encode(value: &Value, out: &mut Vec<u8>) {
    let len = |n: usize, out: &mut Vec<u8>| out.extend_from_slice(&(n as u64).to_le_bytes());
    let text = |s: &str, out: &mut Vec<u8>| {
        len(s.len(), out);
        out.extend_from_slice(s.as_bytes());
    };
    match value {
        Value::Null => out.push(0),
        Value::Bool(b) => out.push(1 + u8::from(*b)),
        Value::Number(n) => {
            out.push(3);
            text(&n.to_string(), out);
        }
        Value::String(s) => {
            out.push(4);
            text(s, out);
        }
        Value::Array(items) => {
            out.push(5);
            len(items.len(), out);
            items.iter().for_each(|item| encode(item, out));
        }
        Value::Object(map) => {
            out.push(6);
            len(map.len(), out);
            for (k, v) in map {
                text(k, out);
                encode(v, out);
            }
        }
    }
}

/// How many times a held text of `kind` was written.
#[cfg(test)]
pub(super) fn hits(kind: &str) -> usize {
    let specs = specs().lock().unwrap_or_else(PoisonError::into_inner);
    specs.kinds.get(kind).map_or(0, |slot| slot.hits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn encoded(v: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        encode(v, &mut out);
        out
    }

    /// Values whose parts could run together in a careless encoding have different
    /// encodings, as they have different texts.
    #[test]
    fn no_two_different_values_share_an_encoding() {
        let pairs = [
            (json!({"ab": "c"}), json!({"a": "bc"})),
            (json!({"a": "b", "c": "d"}), json!({"a": "bc", "": "d"})),
            (json!([["a"], "b"]), json!([["a", "b"]])),
            (json!({"a": null}), json!({"a": []})),
            (json!({"a": []}), json!({"a": {}})),
            (json!([1]), json!(["1"])),
            (json!([1]), json!([1.0])),
            (json!([true]), json!(["true"])),
            (json!([""]), json!([null])),
        ];
        for (a, b) in pairs {
            assert_ne!(encoded(&a), encoded(&b), "{a} and {b}");
            assert_eq!(encoded(&a), encoded(&a.clone()));
        }
    }
}
