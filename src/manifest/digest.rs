//! A seeded 64-bit digest of JSON values, for tables that find equal values by hash and then
//! compare them (lint's pruned documents, shared between objects: [`crate::lint`]). Seeded
//! per run (as std's SipHash is), so that no input can be made of values that all collide;
//! XXH3 for the strings, which are most of the bytes. A mapping's digest is order-free, so
//! that the digest of a value cut down to some paths can be taken from either side.

use std::hash::{BuildHasher, Hasher};

use serde_json::Value;

/// The digest's seed.
#[derive(Clone, Copy, Debug)]
pub struct Digest {
    seed: u64,
}

impl Default for Digest {
    fn default() -> Digest {
        Digest {
            seed: std::hash::RandomState::new().build_hasher().finish(),
        }
    }
}

/// Tags, so that values of different types do not digest alike.
const NULL: u64 = 1;
const ARRAY: u64 = 7;
const OBJECT: u64 = 8;

impl Digest {
    /// The digest of `value`. A mapping's is the sum of its entries' (order-free, so that
    /// a caller may find the entries from either side) with its tag and length.
    pub fn value(&self, value: &Value) -> u64 {
        match value {
            Value::Null => null(),
            Value::Bool(b) => mix(2, u64::from(*b)),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => mix(3, u),
                (None, Some(i), _) => mix(4, i as u64),
                (None, None, f) => mix(5, f.map_or(0, f64::to_bits)),
            },
            Value::String(s) => mix(6, self.text(s)),
            Value::Array(items) => sequence(items.iter().map(|item| self.value(item))),
            Value::Object(map) => mapping(map.iter().map(|(k, v)| self.entry(k, self.value(v)))),
        }
    }

    /// A mapping entry's digest, of the key and the value's digest.
    pub fn entry(&self, key: &str, value: u64) -> u64 {
        mix(self.text(key), value)
    }

    pub fn text(&self, s: &str) -> u64 {
        xxhash_rust::xxh3::xxh3_64_with_seed(s.as_bytes(), self.seed)
    }
}

/// The digest of `null`.
pub fn null() -> u64 {
    mix(NULL, 0)
}

/// The digest of a sequence of items of these digests, in order.
pub fn sequence(items: impl Iterator<Item = u64>) -> u64 {
    let (h, len) = items.fold((ARRAY, 0u64), |(h, len), item| (mix(h, item), len + 1));
    mix(h, len)
}

/// The digest of a mapping of entries of these digests ([`Digest::entry`]), in any order.
pub fn mapping(entries: impl Iterator<Item = u64>) -> u64 {
    let (sum, len) = entries.fold((0u64, 0u64), |(sum, len), entry| {
        (sum.wrapping_add(entry), len + 1)
    });
    mix(mix(OBJECT, sum), len)
}

/// Two digests as one; not commutative, so an array's order counts.
fn mix(a: u64, b: u64) -> u64 {
    (a.rotate_left(5) ^ b).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}
