//! A schema cut down to the parts some instances reach, for a yes/no check of those instances
//! without compiling the whole schema.
//!
//! Compiling the strict WorkflowTemplate schema (416 KB, every field Argo knows) is ~25 ms of
//! CPU, more than the rest of a tenant slice's render and lint together, to check three
//! objects that use a few dozen of its fields. Cut to the properties those objects have, the
//! schema compiles in a fraction of that.
//!
//! Why the verdict is the same: the only change is that a `properties` entry no instance at
//! that place has is dropped, and the subschemas the instances do reach are cut the same way
//! for the values that reach them. A dropped entry judged nothing: `properties` applies an
//! entry only to a key the instance has. `additionalProperties` and `patternProperties`
//! still see the same keys left over (the entries of the instance's own keys all stay), and
//! `required`, `minProperties` and every other keyword are kept as written. Subschemas that
//! apply to the same value (`allOf`, `anyOf`, `oneOf`, `not`) are cut for that same value, so
//! each keeps its own verdict; any keyword not named here is copied whole. A schema that
//! uses `$ref` is not cut ([`can_cut`]): a reference could reach a part cut for other values.
//!
//! The same holds for any other instance that has none of the dropped entries' keys at the
//! places it reaches: every entry it selects is kept, cut the same way. [`Reach`] records what
//! was dropped where, so that such an instance is recognised ([`Reach::covers`]) and judged by
//! a cut made for others, without the whole schema at hand.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

/// Can [`cut`] be used on `schema` (no `$ref` anywhere in it)?
pub fn can_cut(schema: &Value) -> bool {
    match schema {
        Value::Object(m) => !m.contains_key("$ref") && m.values().all(can_cut),
        Value::Array(items) => items.iter().all(can_cut),
        _ => true,
    }
}

/// Where a cut reads a schema's subschemas from: the schema itself ([`Whole`]), or its nodes
/// stored apart ([`super::split::Nodes`]).
pub trait Source {
    /// The subschema `schema` stands for.
    fn resolve<'a>(&self, schema: &'a Value) -> Cow<'a, Value>;
}

/// A schema held whole: every subschema is where it stands.
pub struct Whole;

impl Source for Whole {
    fn resolve<'a>(&self, schema: &'a Value) -> Cow<'a, Value> {
        Cow::Borrowed(schema)
    }
}

/// What a cut does with one keyword of a schema node: the subschemas it walks into, or
/// nothing (the keyword is kept as written). The one place that decides it, for the cut and
/// for the nodes build.rs splits off ([`super::split`]).
pub enum Walk<'a> {
    /// `properties`: each entry applies to the value of its key.
    Properties(&'a Map<String, Value>),
    /// `additionalProperties` (when there are no `patternProperties`, which decide by
    /// pattern which keys are left over): applies to the keys `properties` does not name.
    Additional(&'a Value),
    /// `items` as one subschema: applies to every item.
    Items(&'a Value),
    /// `allOf`, `anyOf` and `oneOf`'s branches: each applies to the same value.
    Branches(&'a [Value]),
    /// `not`: applies to the same value.
    Not(&'a Value),
    Kept,
}

/// What a cut does with `keyword` (whose value is `sub`) of the schema node `node`.
pub fn walk<'a>(node: &Map<String, Value>, keyword: &str, sub: &'a Value) -> Walk<'a> {
    match (keyword, sub) {
        ("properties", Value::Object(props)) => Walk::Properties(props),
        ("additionalProperties", Value::Object(_)) if !node.contains_key("patternProperties") => {
            Walk::Additional(sub)
        }
        ("items", Value::Object(_)) => Walk::Items(sub),
        ("allOf" | "anyOf" | "oneOf", Value::Array(branches)) => Walk::Branches(branches),
        ("not", Value::Object(_)) => Walk::Not(sub),
        _ => Walk::Kept,
    }
}

/// `schema` cut to what `instances` reach: each of them validates against the result exactly
/// when it validates against `schema` (see the module docs). `schema` must pass [`can_cut`].
pub fn cut(schema: &Value, instances: &[&Value]) -> Value {
    cut_in(&Whole, schema, instances).0
}

/// [`cut`] of the schema `schema` stands for in `source`, with what the cut dropped where.
pub fn cut_in(source: &impl Source, schema: &Value, instances: &[&Value]) -> (Value, Reach) {
    let schema = source.resolve(schema);
    let mut reach = Reach::default();
    let Value::Object(node) = &*schema else {
        return (schema.into_owned(), reach);
    };
    let objects: Vec<&Map<String, Value>> =
        instances.iter().filter_map(|v| v.as_object()).collect();
    let properties = node.get("properties").and_then(Value::as_object);
    let mut out = Map::new();
    for (keyword, sub) in node {
        let kept = match walk(node, keyword, sub) {
            Walk::Properties(props) => {
                let mut kept = Map::new();
                for (name, s) in props {
                    let values: Vec<&Value> = objects.iter().filter_map(|o| o.get(name)).collect();
                    if values.is_empty() {
                        reach.dropped.insert(name.clone());
                    } else {
                        let (cut, below) = cut_in(source, s, &values);
                        kept.insert(name.clone(), cut);
                        reach.kept.insert(name.clone(), below);
                    }
                }
                Value::Object(kept)
            }
            Walk::Additional(sub) => {
                let values: Vec<&Value> = objects
                    .iter()
                    .flat_map(|o| o.iter())
                    .filter(|(k, _)| properties.is_none_or(|p| !p.contains_key(*k)))
                    .map(|(_, v)| v)
                    .collect();
                let (cut, below) = cut_in(source, sub, &values);
                reach.additional = Some(Box::new(below));
                cut
            }
            Walk::Items(sub) => {
                let values: Vec<&Value> = instances
                    .iter()
                    .filter_map(|v| v.as_array())
                    .flatten()
                    .collect();
                let (cut, below) = cut_in(source, sub, &values);
                reach.items = Some(Box::new(below));
                cut
            }
            Walk::Branches(branches) => Value::Array(
                branches
                    .iter()
                    .map(|b| {
                        let (cut, below) = cut_in(source, b, instances);
                        reach.same.push(below);
                        cut
                    })
                    .collect(),
            ),
            Walk::Not(sub) => {
                let (cut, below) = cut_in(source, sub, instances);
                reach.same.push(below);
                cut
            }
            Walk::Kept => sub.clone(),
        };
        out.insert(keyword.clone(), kept);
    }
    (Value::Object(out), reach)
}

/// What a cut dropped, at each place of the schema its instances reach, in the shape the
/// cut walks it ([`walk`]): the `properties` entries kept (with what they dropped below) and
/// dropped, and what the subschemas that apply there dropped.
#[derive(Debug, Default, PartialEq)]
pub struct Reach {
    kept: HashMap<String, Reach>,
    dropped: HashSet<String>,
    additional: Option<Box<Reach>>,
    items: Option<Box<Reach>>,
    /// The subschemas that apply to the same value: `allOf`, `anyOf` and `oneOf`'s branches
    /// and `not`.
    same: Vec<Reach>,
}

impl Reach {
    /// Does `instance` reach only what the cut kept (no key of a dropped entry at any place
    /// it reaches)? Then the cut's verdict on it is the whole schema's.
    pub fn covers(&self, instance: &Value) -> bool {
        if !self.same.iter().all(|r| r.covers(instance)) {
            return false;
        }
        match instance {
            Value::Object(fields) => fields.iter().all(|(key, value)| {
                match self.kept.get(key) {
                    Some(kept) => kept.covers(value),
                    // Left over for `additionalProperties`, as in the whole schema.
                    None => {
                        !self.dropped.contains(key)
                            && self.additional.as_ref().is_none_or(|r| r.covers(value))
                    }
                }
            }),
            Value::Array(items) => self
                .items
                .as_ref()
                .is_none_or(|r| items.iter().all(|item| r.covers(item))),
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A schema with each keyword a cut walks into.
    fn example() -> Value {
        json!({
            "type": "object",
            "required": ["spec"],
            "properties": {
                "spec": {"type": "object", "additionalProperties": false, "properties": {
                    "a": {"type": "string"},
                    "b": {"type": "array", "items": {"type": "object", "properties": {
                        "x": {"type": "integer"}, "y": {"type": "integer"}}}},
                    "c": {"type": "object", "additionalProperties": {"type": "object", "properties": {
                        "p": {"type": "string"}, "q": {"type": "string"}}}}
                }},
                "status": {"type": "object"}
            },
            "anyOf": [{"properties": {"spec": {"properties": {"a": {"minLength": 2}, "z": {}}}}}]
        })
    }

    #[test]
    fn keeps_what_the_instances_reach() {
        let schema = example();
        let instance = json!({"spec": {"a": "hi", "b": [{"x": 1}], "c": {"k": {"q": "v"}}}});
        assert_eq!(
            cut(&schema, &[&instance]),
            json!({
                "type": "object",
                "required": ["spec"],
                "properties": {
                    "spec": {"type": "object", "additionalProperties": false, "properties": {
                        "a": {"type": "string"},
                        "b": {"type": "array", "items": {"type": "object", "properties": {
                            "x": {"type": "integer"}}}},
                        "c": {"type": "object", "additionalProperties": {"type": "object", "properties": {
                            "q": {"type": "string"}}}}
                    }}
                },
                "anyOf": [{"properties": {"spec": {"properties": {"a": {"minLength": 2}}}}}]
            })
        );
    }

    #[test]
    fn an_instance_that_reaches_only_what_was_kept_is_covered() {
        let schema = example();
        let grown_from = json!({"spec": {"a": "hi", "b": [{"x": 1}], "c": {"k": {"q": "v"}}}});
        let (_, reach) = cut_in(&Whole, &schema, &[&grown_from]);
        let covered = [
            grown_from.clone(),
            json!({"spec": {"a": "other", "b": [{"x": 2}, {"x": 3}]}}),
            json!({"spec": {"c": {"another": {"q": "w"}}}}),
            // Not a key of the whole schema either: left over for `additionalProperties`.
            json!({"spec": {"unknown": 1}}),
            json!({"spec": "not a mapping"}),
        ];
        for instance in &covered {
            assert!(reach.covers(instance), "{instance}");
        }
        let past = [
            json!({"status": {}}),
            json!({"spec": {"b": [{"x": 1}, {"y": 2}]}}),
            json!({"spec": {"c": {"k": {"p": "v"}}}}),
            // Dropped in the `anyOf` branch.
            json!({"spec": {"z": 1}}),
        ];
        for instance in &past {
            assert!(!reach.covers(instance), "{instance}");
        }
        // A place no instance reached dropped everything there.
        let (_, bare) = cut_in(&Whole, &schema, &[]);
        assert!(!bare.covers(&json!({"spec": {}})));
        assert!(bare.covers(&json!({"other": 1})));
    }

    #[test]
    fn a_reference_is_not_cut() {
        assert!(can_cut(&json!({"properties": {"a": {"type": "string"}}})));
        assert!(!can_cut(
            &json!({"properties": {"a": {"$ref": "#/definitions/a"}}})
        ));
        assert!(!can_cut(&json!({"anyOf": [{"$ref": "#/definitions/a"}]})));
    }
}
