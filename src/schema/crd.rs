//! CustomResourceDefinition → strict JSON Schema.
//!
//! A CRD's `openAPIV3Schema` is almost a JSON Schema, but the API server prunes unknown
//! fields silently, which is how typos reach a cluster. Made strict here: every object that
//! lists its `properties` rejects others (unless it says `x-kubernetes-preserve-unknown-fields`),
//! `x-kubernetes-int-or-string` accepts both forms, and `nullable` admits null — the same
//! rules as `kubeconform -strict`.

use serde_json::{json, Map, Value};

/// The group, kind and strict schema of each served version of a CRD document.
#[derive(Clone, Debug, PartialEq)]
pub struct CrdSchema {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub schema: Value,
}

impl CrdSchema {
    /// `group/version`, as objects write `apiVersion`.
    pub fn api_version(&self) -> String {
        format!("{}/{}", self.group, self.version)
    }
}

/// Read every served version of a CRD (a parsed `apiextensions.k8s.io/v1` document).
pub fn from_crd(crd: &Value) -> Vec<CrdSchema> {
    let group = crd
        .pointer("/spec/group")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let kind = crd
        .pointer("/spec/names/kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(versions) = crd.pointer("/spec/versions").and_then(Value::as_array) else {
        return Vec::new();
    };
    versions
        .iter()
        .filter(|v| v.get("served").and_then(Value::as_bool).unwrap_or(true))
        .filter_map(|v| {
            let schema = v.pointer("/schema/openAPIV3Schema")?;
            Some(CrdSchema {
                group: group.to_owned(),
                version: v
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                kind: kind.to_owned(),
                schema: strict(&with_object_fields(schema)),
            })
        })
        .collect()
}

/// A CRD's root schema with the fields every object has, which the API server allows
/// whether the CRD lists them or not (most CRDs list only `spec` and `status`).
fn with_object_fields(schema: &Value) -> Value {
    let mut root = schema.clone();
    if let Some(props) = root.get_mut("properties").and_then(Value::as_object_mut) {
        for (key, ty) in [
            ("apiVersion", "string"),
            ("kind", "string"),
            ("metadata", "object"),
        ] {
            props.entry(key).or_insert_with(|| json!({ "type": ty }));
        }
    }
    root
}

/// The strict JSON Schema of one `openAPIV3Schema` node.
pub fn strict(node: &Value) -> Value {
    let Value::Object(m) = node else {
        return node.clone();
    };
    let mut out = Map::new();
    let preserve = m
        .get("x-kubernetes-preserve-unknown-fields")
        .and_then(Value::as_bool)
        == Some(true);
    let int_or_string = m.get("x-kubernetes-int-or-string").and_then(Value::as_bool) == Some(true);
    let nullable = m.get("nullable").and_then(Value::as_bool) == Some(true);
    for (k, v) in m {
        match k.as_str() {
            // Maps of named schemas.
            "properties" | "patternProperties" | "$defs" | "definitions" => {
                let props = v
                    .as_object()
                    .map(|p| {
                        p.iter()
                            .map(|(name, s)| (name.clone(), strict(s)))
                            .collect::<Map<_, _>>()
                    })
                    .unwrap_or_default();
                out.insert(k.clone(), Value::Object(props));
            }
            "items" | "additionalProperties" | "not" if v.is_object() => {
                out.insert(k.clone(), strict(v));
            }
            "allOf" | "anyOf" | "oneOf" => {
                let items = v
                    .as_array()
                    .map(|a| a.iter().map(strict).collect())
                    .unwrap_or_default();
                out.insert(k.clone(), Value::Array(items));
            }
            // Kubernetes extensions and annotations that JSON Schema does not know.
            k2 if k2.starts_with("x-kubernetes-") => {}
            "nullable" | "format" | "description" | "example" | "externalDocs" | "title" => {}
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    if int_or_string {
        out.remove("type");
        out.insert(
            "anyOf".into(),
            json!([{"type": "integer"}, {"type": "string"}]),
        );
    }
    let is_object = out.get("type").and_then(Value::as_str) == Some("object");
    if is_object
        && out.contains_key("properties")
        && !out.contains_key("additionalProperties")
        && !preserve
    {
        out.insert("additionalProperties".into(), Value::Bool(false));
    }
    if nullable {
        if let Some(Value::String(t)) = out.get("type").cloned() {
            out.insert("type".into(), json!([t, "null"]));
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makes_objects_strict_and_keeps_escape_hatches() {
        let s = strict(&json!({"type": "object", "properties": {
            "a": {"type": "object", "properties": {"b": {"type": "string"}}},
            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true, "properties": {}},
            "port": {"x-kubernetes-int-or-string": true},
            "maybe": {"type": "string", "nullable": true}
        }}));
        assert_eq!(s["additionalProperties"], false);
        assert_eq!(s["properties"]["a"]["additionalProperties"], false);
        assert!(s["properties"]["free"]
            .get("additionalProperties")
            .is_none());
        assert_eq!(
            s["properties"]["port"]["anyOf"],
            json!([{"type": "integer"}, {"type": "string"}])
        );
        assert_eq!(s["properties"]["maybe"]["type"], json!(["string", "null"]));
    }
}
