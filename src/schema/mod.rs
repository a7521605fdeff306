//! JSON Schemas: the input file schemas in `schemas/`, embedded in the binary and compiled
//! once per process, and the translation of their violations into diagnostics that say what
//! was expected.
//!
//! Kubernetes and Argo CRD validation for `lint` lives elsewhere; this module only knows the
//! tool's own input formats.

pub mod crd;
pub mod custom;
pub mod cut;
pub mod objects;
pub mod split;
pub mod workflow_parts;

use std::sync::OnceLock;

use jsonschema::error::{ValidationError, ValidationErrorKind};
use jsonschema::Validator;
use serde_json::Value;

use crate::diagnostic::did_you_mean;
use crate::source::{pointer_push, Target};

/// The input kinds that have a schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputSchema {
    /// A whole `PolicyPack` file.
    PolicyPack,
    /// A whole `Environment` file.
    Environment,
    /// A pack's `spec` after environment `overrides` were merged over it.
    PackSpec,
    /// One tenant after defaults and the `extends` chain were merged.
    Tenant,
    /// The repository's `.gitops-render.yaml`.
    Config,
}

pub const POLICY_PACK_SCHEMA: &str = include_str!("../../schemas/policy-pack.schema.json");
pub const ENVIRONMENT_SCHEMA: &str = include_str!("../../schemas/environment.schema.json");
pub const CONFIG_SCHEMA: &str = include_str!("../../schemas/config.schema.json");

/// One violation: where (JSON pointer into the validated value), what, and a hint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub code: &'static str,
    pub pointer: String,
    pub target: Target,
    pub message: String,
    pub help: Option<String>,
}

struct Compiled {
    schema: Value,
    validator: Validator,
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("embedded schema is not JSON: {e}"))
}

/// The same schema document with its root replaced by a reference to one of its `$defs`, so
/// a merged sub-value is validated by exactly the rules the file schema applies to it.
fn rooted_at(mut schema: Value, def: &str) -> Value {
    if let Value::Object(map) = &mut schema {
        map.retain(|k, _| matches!(k.as_str(), "$schema" | "$id" | "$defs"));
        map.insert("$ref".into(), Value::String(format!("#/$defs/{def}")));
    }
    schema
}

fn compiled(which: InputSchema) -> &'static Compiled {
    static CELLS: [OnceLock<Compiled>; 5] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    let (idx, schema) = match which {
        InputSchema::PolicyPack => (0, None),
        InputSchema::Environment => (1, None),
        InputSchema::PackSpec => (2, Some("packSpec")),
        InputSchema::Tenant => (3, Some("tenant")),
        InputSchema::Config => (4, None),
    };
    CELLS[idx].get_or_init(|| {
        let text = match which {
            InputSchema::PolicyPack | InputSchema::PackSpec => POLICY_PACK_SCHEMA,
            InputSchema::Environment | InputSchema::Tenant => ENVIRONMENT_SCHEMA,
            InputSchema::Config => CONFIG_SCHEMA,
        };
        let mut doc = parse(text);
        if let Some(def) = schema {
            doc = rooted_at(doc, def);
        }
        let validator = jsonschema::validator_for(&doc)
            .unwrap_or_else(|e| panic!("embedded schema does not compile: {e}"));
        Compiled {
            schema: doc,
            validator,
        }
    })
}

/// Validate a pack's `workflows.artifactRepository` against Argo's own schema for it (see
/// [`workflow_parts`]); violations point inside the value.
pub fn validate_artifact_repository(value: &Value) -> Vec<Violation> {
    static CELL: OnceLock<Compiled> = OnceLock::new();
    argo_part(&CELL, &workflow_parts::ARTIFACT_REPOSITORY).violations(value)
}

/// Validate a pack's `workflows.executor.securityContext` against the Workflow CRD's
/// container `securityContext`; violations point inside the value.
pub fn validate_security_context(value: &Value) -> Vec<Violation> {
    static CELL: OnceLock<Compiled> = OnceLock::new();
    argo_part(&CELL, &workflow_parts::SECURITY_CONTEXT).violations(value)
}

fn argo_part<'c>(cell: &'c OnceLock<Compiled>, part: &workflow_parts::Part) -> &'c Compiled {
    cell.get_or_init(|| {
        let schema = objects::workflow_part(part);
        let pointer = part.pointer;
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .build(&schema)
            .unwrap_or_else(|e| panic!("the Workflow CRD's {pointer} does not compile: {e}"));
        Compiled { schema, validator }
    })
}

/// Validate `value` and explain every violation, sorted by pointer.
pub fn validate(which: InputSchema, value: &Value) -> Vec<Violation> {
    compiled(which).violations(value)
}

impl Compiled {
    /// Every violation of `value`, explained, sorted by pointer then message, each once.
    fn violations(&self, value: &Value) -> Vec<Violation> {
        // Almost every input is valid: the yes/no check skips building error paths, which
        // is most of the cost for an environment of thousands of tenants.
        if self.validator.is_valid(value) {
            return Vec::new();
        }
        let mut out: Vec<Violation> = self
            .validator
            .iter_errors(value)
            .flat_map(|e| explain(&self.schema, &e))
            .collect();
        sorted(&mut out);
        out
    }
}

fn sorted(out: &mut Vec<Violation>) {
    out.sort_by(|a, b| {
        a.pointer
            .cmp(&b.pointer)
            .then_with(|| a.message.cmp(&b.message))
    });
    out.dedup();
}

fn parent_pointer(p: &str) -> &str {
    p.rfind('/').map_or("", |i| &p[..i])
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {}", Value::String(s.clone())),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

fn type_phrase(t: &str) -> &str {
    match t {
        "object" => "a mapping",
        "array" => "a list",
        "string" => "a string",
        "integer" => "an integer",
        "number" => "a number",
        "boolean" => "a boolean (true or false)",
        "null" => "null",
        other => other,
    }
}

fn join_or(items: &[String]) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        n => format!("{} or {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

fn explain(schema: &Value, e: &ValidationError<'_>) -> Vec<Violation> {
    let at = e.instance_path().as_str().to_owned();
    let node = schema.pointer(parent_pointer(e.schema_path().as_str()));
    let description = node
        .and_then(|n| n.get("description"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let instance = e.instance();
    match e.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let known: Vec<&str> = node
                .and_then(|n| n.get("properties"))
                .and_then(Value::as_object)
                .map(|m| m.keys().map(String::as_str).collect())
                .unwrap_or_default();
            unexpected
                .iter()
                .map(|key| {
                    let help = match did_you_mean(key, known.iter().copied()) {
                        Some(s) => format!(
                            "did you mean `{s}`? (expected one of: {})",
                            known.join(", ")
                        ),
                        None => format!("expected one of: {}", known.join(", ")),
                    };
                    Violation {
                        code: "unknown-key",
                        pointer: pointer_push(&at, key),
                        target: Target::Key,
                        message: format!("unknown key `{key}`"),
                        help: Some(help),
                    }
                })
                .collect()
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            vec![Violation {
                code: "missing-key",
                pointer: at,
                target: Target::Key,
                message: format!("missing required key `{name}`"),
                help: node
                    .and_then(|n| n.get("properties"))
                    .and_then(|p| p.get(name))
                    .and_then(|p| p.get("description"))
                    .and_then(Value::as_str)
                    .map(|d| format!("`{name}`: {d}")),
            }]
        }
        ValidationErrorKind::Type { .. } => {
            let expected: Vec<String> = match node.and_then(|n| n.get("type")) {
                Some(Value::String(t)) => vec![type_phrase(t).to_owned()],
                Some(Value::Array(ts)) => ts
                    .iter()
                    .filter_map(Value::as_str)
                    .filter(|t| *t != "null")
                    .map(|t| type_phrase(t).to_owned())
                    .collect(),
                _ => vec![],
            };
            vec![Violation {
                code: "wrong-type",
                pointer: at,
                target: Target::Value,
                message: format!(
                    "expected {}, found {}",
                    join_or(&expected),
                    describe(instance)
                ),
                help: description,
            }]
        }
        ValidationErrorKind::Enum { options } => {
            let opts: Vec<String> = options
                .as_array()
                .map(|a| a.iter().map(Value::to_string).collect())
                .unwrap_or_default();
            vec![Violation {
                code: "invalid-value",
                pointer: at,
                target: Target::Value,
                message: format!(
                    "expected one of {}, found {}",
                    opts.join(", "),
                    describe(instance)
                ),
                help: description,
            }]
        }
        ValidationErrorKind::Constant { expected_value } => vec![Violation {
            code: "invalid-value",
            pointer: at,
            target: Target::Value,
            message: format!("expected {expected_value}, found {}", describe(instance)),
            help: None,
        }],
        ValidationErrorKind::Pattern { .. } => {
            let what = node
                .and_then(|n| n.get("pattern"))
                .and_then(Value::as_str)
                .map(pattern_phrase)
                .unwrap_or_else(|| "the expected form".to_owned());
            vec![Violation {
                code: "invalid-value",
                pointer: at,
                target: Target::Value,
                message: format!("{} is not {what}", describe(instance)),
                help: description,
            }]
        }
        ValidationErrorKind::PropertyNames { error } => {
            let key = error.instance().as_str().unwrap_or_default().to_owned();
            vec![Violation {
                code: "invalid-name",
                pointer: pointer_push(&at, &key),
                target: Target::Key,
                message: format!("`{key}` is not a valid name here: {}", error),
                help: Some("names are DNS-1123 labels: lowercase letters, digits and '-', at most 63 characters".into()),
            }]
        }
        _ => vec![Violation {
            code: "invalid-value",
            pointer: at,
            target: Target::Value,
            message: e.to_string(),
            help: description,
        }],
    }
}

/// Say in words what the schema's regular expressions accept.
fn pattern_phrase(pattern: &str) -> String {
    match pattern {
        "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" => {
            "a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit)".into()
        }
        p if p.starts_with("^(group:") => "a subject: group:NAME, user:NAME or serviceaccount:NAMESPACE/NAME".into(),
        p if p.starts_with("^[a-z0-9]([-a-z0-9]*[a-z0-9])?@") => "a pack pin: NAME@VERSION or NAME@RANGE (e.g. platform@1.2.0, platform@^1.1)".into(),
        p if p.starts_with("^[+-]?([0-9]+") => "a Kubernetes quantity (e.g. \"2\", 500m, 4Gi)".into(),
        p if p.starts_with("^[0-9a-fA-F.:]+/") => "a CIDR block (e.g. 10.0.0.0/8)".into(),
        "^https://" => "an https:// URL".into(),
        p if p.starts_with("^(https://|ssh://") => "a Git URL (https://, ssh://, git@ or file:///)".into(),
        p => format!("of the form /{p}/"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_key_suggests_the_close_one() {
        let v = json!({"apiVersion": "gitops-render.dev/v1alpha1", "kind": "Environment",
            "metadata": {"name": "dev"}, "spec": {"tenants": {"data": {"tierr": "small"}}}});
        let out = validate(InputSchema::Environment, &v);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].pointer, "/spec/tenants/data/tierr");
        assert_eq!(out[0].message, "unknown key `tierr`");
        assert!(out[0]
            .help
            .as_deref()
            .unwrap_or("")
            .starts_with("did you mean `tier`?"));
    }

    #[test]
    fn wrong_type_says_what_was_expected() {
        let v = json!({"apiVersion": "gitops-render.dev/v1alpha1", "kind": "Environment",
            "metadata": {"name": "dev"}, "spec": {"tenants": {"data": {"features": "istio"}}}});
        let out = validate(InputSchema::Environment, &v);
        assert_eq!(
            out[0].message,
            "expected a list, found the string \"istio\""
        );
    }

    #[test]
    fn missing_key_points_at_the_parent() {
        let v = json!({"apiVersion": "gitops-render.dev/v1alpha1", "kind": "Environment", "metadata": {}});
        let out = validate(InputSchema::Environment, &v);
        assert_eq!(out[0].pointer, "/metadata");
        assert_eq!(out[0].message, "missing required key `name`");
    }
}
