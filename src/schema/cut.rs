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

use serde_json::{Map, Value};

/// Can [`cut`] be used on `schema` (no `$ref` anywhere in it)?
pub fn can_cut(schema: &Value) -> bool {
    match schema {
        Value::Object(m) => !m.contains_key("$ref") && m.values().all(can_cut),
        Value::Array(items) => items.iter().all(can_cut),
        _ => true,
    }
}

/// `schema` cut to what `instances` reach: each of them validates against the result exactly
/// when it validates against `schema` (see the module docs). `schema` must pass [`can_cut`].
pub fn cut(schema: &Value, instances: &[&Value]) -> Value {
    let Value::Object(node) = schema else {
        return schema.clone();
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
                        (!values.is_empty()).then(|| (name.clone(), cut(s, &values)))
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
                cut(sub, &values)
            }
            ("items", Value::Object(_)) => {
                let values: Vec<&Value> = instances
                    .iter()
                    .filter_map(|v| v.as_array())
                    .flatten()
                    .collect();
                cut(sub, &values)
            }
            ("allOf" | "anyOf" | "oneOf", Value::Array(branches)) => {
                Value::Array(branches.iter().map(|b| cut(b, instances)).collect())
            }
            ("not", Value::Object(_)) => cut(sub, instances),
            _ => sub.clone(),
        };
        out.insert(keyword.clone(), kept);
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_what_the_instances_reach() {
        let schema = json!({
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
        });
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
    fn a_reference_is_not_cut() {
        assert!(can_cut(&json!({"properties": {"a": {"type": "string"}}})));
        assert!(!can_cut(
            &json!({"properties": {"a": {"$ref": "#/definitions/a"}}})
        ));
        assert!(!can_cut(&json!({"anyOf": [{"$ref": "#/definitions/a"}]})));
    }
}
