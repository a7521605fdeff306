//! Diff: what a change does to the rendered objects, resource by resource.
//!
//! Both sides are files (rendered, or read from a tree); files with the same bytes at the same
//! path are unchanged, the others become [`Objects`] — identity (environment, group, kind,
//! namespace, name) → path and value — so objects are matched by what they are, not where
//! they are written: added, removed, changed, moved. Values are compared, not bytes, so reordered keys and the
//! generated header never show as changes. Secret values are never printed.

mod delta;
mod format;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::manifest::{to_canonical_yaml, ObjectRef};
use crate::source::{parse_documents, pointer_push};
use crate::tree::env_of_path;

pub use delta::{render_against, render_changes, Files, Side, State};
pub use format::{render, Format, MARKDOWN_LIMIT};

/// What identifies an object across two renders.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    pub env: String,
    pub id: ObjectRef,
}

/// An object and where it is written.
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    pub path: String,
    pub value: Value,
}

pub type Objects = BTreeMap<ObjectKey, Object>;

/// Paths whose bytes are identical on both sides. Every object in such a file is unchanged
/// and in place, so neither side needs to parse or compare it: a diff then costs in
/// proportion to what changed, not to the size of the estate.
pub fn same_files(
    old: &BTreeMap<String, Vec<u8>>,
    new: &BTreeMap<String, Vec<u8>>,
) -> BTreeSet<String> {
    old.iter()
        .filter(|(path, bytes)| new.get(*path).is_some_and(|b| b == *bytes))
        .map(|(path, _)| path.clone())
        .collect()
}

/// The objects of a tree on disk (every YAML file; non-objects are errors), less the files
/// in `same`.
pub fn from_files(
    files: &BTreeMap<String, Vec<u8>>,
    envs: &[String],
    same: &BTreeSet<String>,
) -> Result<Objects, Diagnostics> {
    use rayon::prelude::*;
    let wanted: Vec<(&String, &Vec<u8>, String)> = files
        .iter()
        .filter(|(path, _)| path.ends_with(".yaml") || path.ends_with(".yml"))
        .filter(|(path, _)| !same.contains(*path))
        .map(|(path, bytes)| {
            (
                path,
                bytes,
                env_of_path(path).unwrap_or_default().to_owned(),
            )
        })
        .filter(|(_, _, env)| envs.is_empty() || envs.contains(env))
        .collect();
    let parsed: Vec<Result<Vec<(ObjectKey, Object)>, Diagnostic>> = wanted
        .par_iter()
        .map(|(path, bytes, env)| {
            let text = String::from_utf8_lossy(bytes);
            let docs = parse_documents(&text).map_err(|e| {
                Diagnostic::error(
                    "invalid-yaml",
                    format!("{path}:{}:{}: {}", e.pos.line, e.pos.col, e.message),
                )
            })?;
            docs.into_iter()
                .map(|(_, value)| {
                    let id = ObjectRef::of(&value).map_err(|msg| {
                        Diagnostic::error("invalid-object", format!("{path}: {msg}"))
                    })?;
                    Ok((
                        ObjectKey {
                            env: env.clone(),
                            id,
                        },
                        Object {
                            path: (*path).clone(),
                            value,
                        },
                    ))
                })
                .collect()
        })
        .collect();
    let mut out = Objects::new();
    let mut diags = Diagnostics::new();
    for r in parsed {
        match r {
            Ok(objects) => out.extend(objects),
            Err(d) => diags.push(d),
        }
    }
    diags.into_result(out)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
    /// Same identity, another path (possibly changed too).
    Moved,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Changed => "changed",
            ChangeKind::Moved => "moved",
        }
    }
}

/// One changed field: a scalar (or a whole list or mapping that appeared or disappeared).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FieldChange {
    pub pointer: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

/// What happened to one object.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectChange {
    pub key: ObjectKey,
    pub kind: ChangeKind,
    pub old_path: Option<String>,
    pub new_path: Option<String>,
    pub fields: Vec<FieldChange>,
    /// Unified diff of the canonical YAML (Secret values redacted).
    pub diff: String,
}

impl ObjectChange {
    /// Removing this object deletes more than itself: a Namespace takes every object in it
    /// (workloads, volumes, Secrets nobody rendered), an AppProject every Application in it.
    pub fn is_destructive(&self) -> bool {
        self.kind == ChangeKind::Removed
            && matches!(
                (self.key.id.group.as_str(), self.key.id.kind.as_str()),
                ("", "Namespace") | ("argoproj.io", "AppProject")
            )
    }
}

/// How to compare.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Lines of context in unified diffs.
    pub context: usize,
    /// Kinds to leave out, and JSON pointers (`*` matches one segment) to ignore.
    pub ignore: Vec<String>,
}

impl Options {
    fn ignores_kind(&self, kind: &str) -> bool {
        self.ignore
            .iter()
            .any(|p| !p.starts_with('/') && p.eq_ignore_ascii_case(kind))
    }

    fn pointers(&self) -> Vec<Vec<&str>> {
        self.ignore
            .iter()
            .filter(|p| p.starts_with('/'))
            .map(|p| p.split('/').skip(1).collect())
            .collect()
    }
}

/// Remove the fields matching `pattern` (segments, `*` = any one segment).
fn remove_matching(v: &mut Value, pattern: &[&str]) {
    let Some((first, rest)) = pattern.split_first() else {
        return;
    };
    let key = first.replace("~1", "/").replace("~0", "~");
    match v {
        Value::Object(m) => {
            if rest.is_empty() {
                if *first == "*" {
                    m.clear();
                } else {
                    m.remove(&key);
                }
            } else {
                for (k, child) in m.iter_mut() {
                    if *first == "*" || *k == key {
                        remove_matching(child, rest);
                    }
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                if *first == "*" || key == i.to_string() {
                    remove_matching(child, rest);
                }
            }
        }
        _ => {}
    }
}

/// Secret values become a marker that still shows whether they changed.
fn redact(key: &ObjectKey, v: &Value, other: Option<&Value>) -> Value {
    if key.id.kind != "Secret" {
        return v.clone();
    }
    let mut out = v.clone();
    for field in ["data", "stringData"] {
        if let Some(Value::Object(m)) = out.get_mut(field) {
            for (k, val) in m.iter_mut() {
                let same = other.and_then(|o| o.get(field)).and_then(|f| f.get(k)) == Some(&*val);
                *val = Value::String(if same {
                    "<redacted>".into()
                } else {
                    "<redacted: changed>".into()
                });
            }
        }
    }
    out
}

fn field_changes(at: &str, old: Option<&Value>, new: Option<&Value>, out: &mut Vec<FieldChange>) {
    match (old, new) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                field_changes(&pointer_push(at, k), a.get(k), b.get(k), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                field_changes(&format!("{at}/{i}"), Some(x), Some(y), out);
            }
        }
        // A list that grew or shrank: the items removed (at their old index) and added (at
        // their new one), not the whole list twice.
        // (Matching is quadratic: beyond a million pairs the list shows as replaced.)
        (Some(Value::Array(a)), Some(Value::Array(b))) if a.len() * b.len() <= 1 << 20 => {
            let mut unmatched: Vec<Option<&Value>> = b.iter().map(Some).collect();
            for (i, x) in a.iter().enumerate() {
                match unmatched.iter().position(|y| *y == Some(x)) {
                    Some(j) => unmatched[j] = None,
                    None => out.push(FieldChange {
                        pointer: format!("{at}/{i}"),
                        old: Some(x.clone()),
                        new: None,
                    }),
                }
            }
            for (j, y) in unmatched.into_iter().enumerate() {
                if let Some(y) = y {
                    out.push(FieldChange {
                        pointer: format!("{at}/{j}"),
                        old: None,
                        new: Some(y.clone()),
                    });
                }
            }
        }
        (a, b) if a != b => out.push(FieldChange {
            pointer: at.to_owned(),
            old: a.cloned(),
            new: b.cloned(),
        }),
        _ => {}
    }
}

fn unified(old: &str, new: &str, a: &str, b: &str, context: usize) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(context)
        .header(a, b)
        .to_string()
}

/// Compare two sets of objects.
pub fn diff(old: &Objects, new: &Objects, opts: &Options) -> Vec<ObjectChange> {
    let pointers = opts.pointers();
    let prepare = |v: &Value| {
        let mut v = v.clone();
        for p in &pointers {
            remove_matching(&mut v, p);
        }
        v
    };
    let keys: BTreeSet<&ObjectKey> = old.keys().chain(new.keys()).collect();
    let mut out = Vec::new();
    for key in keys {
        if opts.ignores_kind(&key.id.kind) {
            continue;
        }
        let (o, n) = (old.get(key), new.get(key));
        let moved = matches!((o, n), (Some(a), Some(b)) if a.path != b.path);
        // The common case, an unchanged object, costs one comparison and no copy.
        if let (Some(a), Some(b), false, true) = (o, n, moved, pointers.is_empty()) {
            if a.value == b.value {
                continue;
            }
        }
        let ov = o.map(|o| prepare(&o.value));
        let nv = n.map(|n| prepare(&n.value));
        let kind = match (&ov, &nv) {
            (None, Some(_)) => ChangeKind::Added,
            (Some(_), None) => ChangeKind::Removed,
            (Some(a), Some(b)) if a == b && !moved => continue,
            _ if moved => ChangeKind::Moved,
            _ => ChangeKind::Changed,
        };
        let mut fields = Vec::new();
        if kind == ChangeKind::Changed || kind == ChangeKind::Moved {
            field_changes("", ov.as_ref(), nv.as_ref(), &mut fields);
            if key.id.kind == "Secret" {
                for f in &mut fields {
                    if f.pointer.starts_with("/data/") || f.pointer.starts_with("/stringData/") {
                        f.old = f.old.as_ref().map(|_| Value::String("<redacted>".into()));
                        f.new = f
                            .new
                            .as_ref()
                            .map(|_| Value::String("<redacted: changed>".into()));
                    }
                }
            }
        }
        let text = |v: &Option<Value>, other: &Option<Value>| {
            v.as_ref()
                .map(|v| to_canonical_yaml(&redact(key, v, other.as_ref())))
                .unwrap_or_default()
        };
        let old_path = o.map(|o| o.path.clone());
        let new_path = n.map(|n| n.path.clone());
        let a = old_path
            .as_ref()
            .map_or("/dev/null".to_owned(), |p| format!("a/{p}"));
        let b = new_path
            .as_ref()
            .map_or("/dev/null".to_owned(), |p| format!("b/{p}"));
        let diff = unified(&text(&ov, &nv), &text(&nv, &ov), &a, &b, opts.context);
        out.push(ObjectChange {
            key: key.clone(),
            kind,
            old_path,
            new_path,
            fields,
            diff,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_files_needs_the_same_path_and_the_same_bytes() {
        let tree = |files: &[(&str, &str)]| -> BTreeMap<String, Vec<u8>> {
            files
                .iter()
                .map(|(p, b)| ((*p).to_owned(), b.as_bytes().to_vec()))
                .collect()
        };
        let old = tree(&[
            ("a.yaml", "x: 1\n"),
            ("b.yaml", "y: 1\n"),
            ("c.yaml", "z: 1\n"),
        ]);
        let new = tree(&[
            ("a.yaml", "x: 1\n"),
            ("b.yaml", "y: 2\n"),
            ("d.yaml", "z: 1\n"),
        ]);
        let same: Vec<String> = same_files(&old, &new).into_iter().collect();
        assert_eq!(same, ["a.yaml"]);
    }
}
