//! What the RBAC rules read of a RoleBinding or ClusterRoleBinding: the role it grants and
//! the subjects it names, as plain strings.
//!
//! A streaming lint keeps these facts for every binding instead of those fields of its
//! pruned value. The subjects name their tenant (its group, its namespace's ServiceAccount),
//! so as `serde_json` values each binding was a value of its own: five or six one-to-three
//! entry maps, each a full 11-slot B-tree node (~3.5 KB a binding, ~80 MB of one
//! environment's stream at N = 10,000). As facts a binding is a few short strings, and its
//! pruned value (the sync wave and the managed-by label) is shared by every tenant's.

use std::borrow::Cow;

use serde_json::Value;

use super::Document;

/// The kinds whose bindings are kept as facts.
pub const KINDS: [&str; 2] = ["RoleBinding", "ClusterRoleBinding"];

/// A binding's `roleRef` and `subjects`. A field that is missing or not a string is `None`,
/// as reading it from the value as a string gives nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Binding {
    /// `roleRef.kind`.
    pub role_kind: Option<Box<str>>,
    /// `roleRef.name`.
    pub role_name: Option<Box<str>>,
    /// One per item of `subjects`, in order: the indices are the file's.
    pub subjects: Box<[Subject]>,
}

/// One item of a binding's `subjects`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Subject {
    pub kind: Option<Box<str>>,
    pub name: Option<Box<str>>,
    pub namespace: Option<Box<str>>,
}

fn text(value: &Value, key: &str) -> Option<Box<str>> {
    value.get(key).and_then(Value::as_str).map(Box::from)
}

impl Binding {
    /// The facts of binding `value` (an object of any shape: a `subjects` that is not a
    /// list has no subjects, an item that is not a mapping has no fields).
    pub fn of(value: &Value) -> Binding {
        let role = value.get("roleRef").unwrap_or(&Value::Null);
        Binding {
            role_kind: text(role, "kind"),
            role_name: text(role, "name"),
            subjects: value
                .get("subjects")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|s| Subject {
                    kind: text(s, "kind"),
                    name: text(s, "name"),
                    namespace: text(s, "namespace"),
                })
                .collect(),
        }
    }
}

impl Document {
    /// The binding facts of this document: those kept when it was pruned, else read from
    /// its value (a document judged whole, or one of another kind: no subjects).
    pub fn binding(&self) -> Cow<'_, Binding> {
        match &self.binding {
            Some(kept) => Cow::Borrowed(kept),
            None => Cow::Owned(Binding::of(&self.value)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use serde_json::json;

    fn s(v: &str) -> Option<Box<str>> {
        Some(v.into())
    }

    #[test]
    fn reads_role_and_subjects_as_strings() {
        let b = Binding::of(&json!({
            "roleRef": {"kind": "Role", "name": "developer", "apiGroup": "rbac.authorization.k8s.io"},
            "subjects": [
                {"kind": "Group", "name": "shop-devs"},
                {"kind": "ServiceAccount", "name": "argo-workflow", "namespace": "shop-prod"},
            ],
        }));
        assert_eq!(b.role_kind, s("Role"));
        assert_eq!(b.role_name, s("developer"));
        assert_eq!(
            b.subjects.as_ref(),
            [
                Subject {
                    kind: s("Group"),
                    name: s("shop-devs"),
                    namespace: None
                },
                Subject {
                    kind: s("ServiceAccount"),
                    name: s("argo-workflow"),
                    namespace: s("shop-prod")
                },
            ]
        );
    }

    /// Malformed bindings are linted too (schema-invalid reports them): what is not a
    /// string reads as absent, and an item that is not a mapping keeps its index.
    #[test]
    fn malformed_fields_read_as_absent_and_keep_indices() {
        let b = Binding::of(&json!({
            "roleRef": "Role/developer",
            "subjects": [7, {"kind": ["Group"], "name": "x", "namespace": null}],
        }));
        assert_eq!((b.role_kind, b.role_name), (None, None));
        assert_eq!(b.subjects.len(), 2);
        assert_eq!(b.subjects[0], Subject::default());
        assert_eq!(b.subjects[1].kind, None);
        assert_eq!(b.subjects[1].name, s("x"));
        assert_eq!(
            Binding::of(&json!({"subjects": {"kind": "Group"}})),
            Binding::default()
        );
    }
}
