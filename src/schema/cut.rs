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

/// `schema` cut to what `instances` reach: each of them validates against the result exactly
/// when it validates against `schema` (see the module docs). `schema` must pass [`can_cut`].
pub fn cut(schema: &Value, instances: &[&Value]) -> Value {
    cut_in(&Whole, schema, instances)
}

/// [`cut`] of the schema `schema` stands for in `source`.
pub fn cut_in(source: &impl Source, schema: &Value, instances: &[&Value]) -> Value {
    let schema = source.resolve(schema);
    let Value::Object(node) = &*schema else {
        return schema.into_owned();
    };
    let objects: Vec<&Map<String, Value>> =
        instances.iter().filter_map(|v| v.as_object()).collect();
    let properties = node.get("properties").and_then(Value::as_object);
    let mut out = Map::new();
    for (keyword, sub) in node {
        let kept = match (keyword.as_str(), sub) {
            ("properties", Value::Object(props)) => Value::Object(
                props
                    .iter()
                    .filter_map(|(name, s)| {
                        let values: Vec<&Value> =
                            objects.iter().filter_map(|o| o.get(name)).collect();
                        (!values.is_empty()).then(|| (name.clone(), cut_in(source, s, &values)))
                    })
                    .collect(),
            ),
            // The values of the keys `properties` does not name; with `patternProperties`
            // which keys those are depends on patterns, so the subschema is kept whole.
            ("additionalProperties", Value::Object(_))
                if !node.contains_key("patternProperties") =>
            {
                let values: Vec<&Value> = objects
                    .iter()
                    .flat_map(|o| o.iter())
                    .filter(|(k, _)| properties.is_none_or(|p| !p.contains_key(*k)))
                    .map(|(_, v)| v)
                    .collect();
                cut_in(source, sub, &values)
            }
            ("items", Value::Object(_)) => {
                let values: Vec<&Value> = instances
                    .iter()
                    .filter_map(|v| v.as_array())
                    .flatten()
                    .collect();
                cut_in(source, sub, &values)
            }
            ("allOf" | "anyOf" | "oneOf", Value::Array(branches)) => Value::Array(
                branches
                    .iter()
                    .map(|b| cut_in(source, b, instances))
                    .collect(),
            ),
            ("not", Value::Object(_)) => cut_in(source, sub, instances),
            _ => sub.clone(),
        };
        out.insert(keyword.clone(), kept);
    }
    Value::Object(out)
}

/// What a cut dropped, at each place of the schema its instances reach, in the shape [`cut`]
/// walks it: the `properties` entries kept (with what they dropped below) and dropped, and
/// the subschemas `additionalProperties`, `items`, `allOf`, `anyOf`, `oneOf` and `not`
/// apply there.
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
    /// What `cut` (made by [`cut`] from `whole`) dropped. A place `cut` lacks counts as
    /// having dropped every entry there.
    pub fn of(whole: &Value, cut: &Value) -> Reach {
        Reach::of_in(&Whole, whole, cut)
    }

    /// [`Reach::of`] the schema `whole` stands for in `source`.
    pub fn of_in(source: &impl Source, whole: &Value, cut: &Value) -> Reach {
        let whole = source.resolve(whole);
        let Value::Object(node) = &*whole else {
            return Reach::default();
        };
        let at = |keyword: &str| cut.get(keyword).unwrap_or(&Value::Null);
        let mut reach = Reach::default();
        for (keyword, sub) in node {
            match (keyword.as_str(), sub) {
                ("properties", Value::Object(props)) => {
                    for (name, s) in props {
                        match at("properties").get(name) {
                            Some(kept) => {
                                reach
                                    .kept
                                    .insert(name.clone(), Reach::of_in(source, s, kept));
                            }
                            None => {
                                reach.dropped.insert(name.clone());
                            }
                        }
                    }
                }
                ("additionalProperties", Value::Object(_))
                    if !node.contains_key("patternProperties") =>
                {
                    reach.additional = Some(Box::new(Reach::of_in(source, sub, at(keyword))));
                }
                ("items", Value::Object(_)) => {
                    reach.items = Some(Box::new(Reach::of_in(source, sub, at(keyword))));
                }
                ("allOf" | "anyOf" | "oneOf", Value::Array(branches)) => {
                    for (i, branch) in branches.iter().enumerate() {
                        let kept = at(keyword).get(i).unwrap_or(&Value::Null);
                        reach.same.push(Reach::of_in(source, branch, kept));
                    }
                }
                ("not", Value::Object(_)) => {
                    reach.same.push(Reach::of_in(source, sub, at(keyword)))
                }
                _ => {}
            }
        }
        reach
    }

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
        let reach = Reach::of(&schema, &cut(&schema, &[&grown_from]));
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
        // A place the cut lacks dropped everything there.
        let bare = Reach::of(&schema, &json!({}));
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
