//! A schema that can be cut ([`super::cut`]), stored as its nodes, one per line: each
//! subschema the cut walks into is on a line of its own and replaced where it was by
//! `{"$node": n}` (the line it is on). A cut then parses the nodes its instances reach, not
//! the whole schema: the strict WorkflowTemplate schema is 11,433 nodes (417 KB, 6–10 ms to
//! parse into ~10 MB of values), and a cut for a tenant's WorkflowTemplates reaches a few
//! hundred of them. build.rs splits each CRD's strict schema ([`split`]); [`Nodes`] reads the
//! lines.

use std::borrow::Cow;
use std::sync::OnceLock;

use serde_json::{json, Value};

use super::cut::{walk, Source, Walk};

/// The key of a reference to a node.
const NODE: &str = "$node";

/// `schema` as lines of nodes, the root first. Subschemas are split off exactly where the
/// cut walks into them ([`walk`]), so a cut meets every reference and leaves none.
pub fn split(schema: &Value) -> String {
    let mut lines = Vec::new();
    place(schema, &mut lines);
    lines.join("\n")
}

/// Put `schema` on a line of its own (its subschemas on the lines after it) and give the
/// reference to it.
fn place(schema: &Value, lines: &mut Vec<String>) -> Value {
    let at = lines.len();
    lines.push(String::new());
    let node = match schema {
        Value::Object(node) => Value::Object(
            node.iter()
                .map(|(keyword, sub)| {
                    let sub = match walk(node, keyword, sub) {
                        Walk::Properties(props) => Value::Object(
                            props
                                .iter()
                                .map(|(name, s)| (name.clone(), place(s, lines)))
                                .collect(),
                        ),
                        Walk::Additional(sub) | Walk::Items(sub) | Walk::Not(sub) => {
                            place(sub, lines)
                        }
                        Walk::Branches(branches) => {
                            Value::Array(branches.iter().map(|b| place(b, lines)).collect())
                        }
                        Walk::Kept => sub.clone(),
                    };
                    (keyword.clone(), sub)
                })
                .collect(),
        ),
        other => other.clone(),
    };
    lines[at] = node.to_string();
    json!({ NODE: at })
}

/// The lines [`split`] made, read a node at a time.
pub struct Nodes {
    text: &'static str,
    /// Where each line starts, found on first use.
    starts: OnceLock<Vec<usize>>,
}

impl Nodes {
    pub const fn new(text: &'static str) -> Nodes {
        Nodes {
            text,
            starts: OnceLock::new(),
        }
    }

    /// Is there no node (a schema that cannot be cut)?
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The lines themselves.
    pub fn text(&self) -> &'static str {
        self.text
    }

    /// The reference to the root node, where a cut starts.
    pub fn root() -> Value {
        json!({ NODE: 0 })
    }

    /// Node `n`, parsed; `Null` if there is no such node (never, for what [`split`] made).
    fn node(&self, n: usize) -> Value {
        let starts = self.starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        });
        let Some(&start) = starts.get(n) else {
            return Value::Null;
        };
        let end = starts.get(n + 1).map_or(self.text.len(), |next| next - 1);
        serde_json::from_str(&self.text[start..end]).unwrap_or(Value::Null)
    }
}

impl Source for Nodes {
    fn resolve<'a>(&self, schema: &'a Value) -> Cow<'a, Value> {
        match schema.as_object() {
            Some(node) if node.len() == 1 => match node.get(NODE).and_then(Value::as_u64) {
                Some(n) => Cow::Owned(self.node(n as usize)),
                None => Cow::Borrowed(schema),
            },
            _ => Cow::Borrowed(schema),
        }
    }
}
