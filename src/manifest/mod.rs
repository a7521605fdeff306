//! Manifests: Kubernetes objects with their identity, where they go in the tree, and their
//! canonical YAML form.

mod canonical;
pub mod digest;
pub mod labels;
mod lineage;
pub mod pod;
pub mod pod_security;
pub mod quantity;
pub mod resources;
pub mod scope;
mod spec_texts;

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde_json::Value;

pub use canonical::{needs_quotes, to_canonical_yaml, write_canonical_yaml};
pub use lineage::{Lineage, Original, Unstamped};

/// The identity of an object as Kubernetes sees it: API group, kind, namespace, name.
/// Two objects with the same identity would overwrite each other in a cluster.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectRef {
    pub group: String,
    pub kind: String,
    /// Empty for cluster-scoped objects.
    pub namespace: String,
    pub name: String,
}

impl ObjectRef {
    /// Read the identity of `v`; the error says which field is missing or malformed.
    pub fn of(v: &Value) -> Result<ObjectRef, String> {
        let api_version = v
            .get("apiVersion")
            .and_then(Value::as_str)
            .ok_or("the object has no `apiVersion` string")?;
        let kind = v
            .get("kind")
            .and_then(Value::as_str)
            .ok_or("the object has no `kind` string")?;
        let metadata = v.get("metadata");
        let name = metadata
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .ok_or("the object has no `metadata.name` string")?;
        let namespace = metadata
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
        Ok(ObjectRef {
            group: group.to_owned(),
            kind: kind.to_owned(),
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        })
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{} {}", self.kind, self.name)
        } else {
            write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// Where a manifest belongs in the tree; `tree::layout` turns it into a path.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Placement {
    /// `<env>/tenants/<namespace>/<kind>-<name>.yaml`
    Tenant { env: String, namespace: String },
    /// `<env>/workflows/<namespace>/<kind>-<name>.yaml`
    Workflows { env: String, namespace: String },
    /// `applicationsets/<env>.yaml`
    ApplicationSet { env: String },
    /// `parent/apps-root-<env>.yaml`
    Root { env: String },
    /// `projects/<env>.yaml`
    Project { env: String },
    /// `<env>/argocd/<kind>-<name>.yaml` (other per-environment objects)
    Argo { env: String },
    /// `<env>/backstage/<namespace>/<kind>-<name>.yaml`: Backstage catalog entities of a
    /// tenant, outside every folder Argo CD syncs (they are not Kubernetes objects).
    Backstage { env: String, namespace: String },
}

impl Placement {
    pub fn env(&self) -> &str {
        match self {
            Placement::Tenant { env, .. }
            | Placement::Workflows { env, .. }
            | Placement::ApplicationSet { env }
            | Placement::Root { env }
            | Placement::Project { env }
            | Placement::Argo { env }
            | Placement::Backstage { env, .. } => env,
        }
    }
}

/// One rendered object.
///
/// An object stamped from a lineage holds only its `apiVersion`, `kind` and `metadata`
/// (what a stamp reads and writes): the rest is its lineage's document, shared by every
/// object stamped from it. At N = 10,000 a stream's copies of those documents (a tenant's
/// WorkflowTemplates are ~6 KB of YAML each) and their drops were ~12% of its CPU.
/// [`Manifest::value`] is the whole object either way.
#[derive(Clone, Debug)]
pub struct Manifest {
    pub id: ObjectRef,
    pub placement: Placement,
    /// The whole object, or with `lineage` its apiVersion, kind and metadata.
    held: Value,
    /// The inputs named in the generated header (shared by every object of an environment).
    pub inputs: Arc<str>,
    /// How its environment's tree holds it (`repo.layout`): the file it is written to.
    pub layout: crate::model::Layout,
    /// What it was stamped from, when other objects may have been stamped from the same.
    lineage: Option<Lineage>,
}

/// The same object at the same place: equal whole values, however each is held.
impl PartialEq for Manifest {
    fn eq(&self, other: &Manifest) -> bool {
        self.id == other.id
            && self.placement == other.placement
            && self.inputs == other.inputs
            && self.layout == other.layout
            && self.value() == other.value()
    }
}

impl Manifest {
    /// An object held whole.
    pub fn new(
        id: ObjectRef,
        placement: Placement,
        value: Value,
        inputs: Arc<str>,
        layout: crate::model::Layout,
    ) -> Manifest {
        Manifest {
            id,
            placement,
            held: value,
            inputs,
            layout,
            lineage: None,
        }
    }

    /// An object stamped from `lineage`: `stamped` is the lineage's document's
    /// [`Lineage::heading`] with the stamp put on.
    pub fn stamped(
        id: ObjectRef,
        placement: Placement,
        stamped: Value,
        inputs: Arc<str>,
        layout: crate::model::Layout,
        lineage: Lineage,
    ) -> Manifest {
        Manifest {
            id,
            placement,
            held: stamped,
            inputs,
            layout,
            lineage: Some(lineage),
        }
    }

    /// The whole object.
    pub fn value(&self) -> Cow<'_, Value> {
        match &self.lineage {
            None => Cow::Borrowed(&self.held),
            Some(lineage) => Cow::Owned(lineage.fill(self.held.clone())),
        }
    }

    /// The whole object, taken out.
    pub fn into_value(self) -> Value {
        self.whole().held
    }

    /// The same object held whole, without its lineage.
    pub fn whole(self) -> Manifest {
        let Manifest {
            id,
            placement,
            held,
            inputs,
            layout,
            lineage,
        } = self;
        let held = match lineage {
            None => held,
            Some(lineage) => lineage.fill(held),
        };
        Manifest::new(id, placement, held, inputs, layout)
    }

    /// What it holds (the whole object, or its heading when it has a lineage) and its
    /// lineage: for lint, which fills in only the objects it judges
    /// (`lint::Stream::judge`).
    pub(crate) fn into_held(self) -> (Value, Option<Lineage>) {
        (self.held, self.lineage)
    }

    /// Append the object's canonical YAML ([`write_canonical_yaml`]). An object stamped
    /// from a lineage is its lineage's text around its own metadata, written once for all
    /// of them: a stamp writes nothing outside the metadata.
    pub fn write_canonical(&self, out: &mut String) {
        let Some(lineage) = &self.lineage else {
            return write_canonical_yaml(out, &self.held);
        };
        debug_assert!(
            same_heading(lineage.document(), &self.held),
            "{} holds more than its lineage's heading",
            self.id
        );
        let around = lineage.around();
        out.push_str(&around.before);
        canonical::write_metadata(out, &self.held);
        out.push_str(&around.after);
    }
}

/// Whether `held` is `doc`'s heading with a stamp put on: the same apiVersion and kind,
/// nothing else but metadata.
fn same_heading(doc: &Value, held: &Value) -> bool {
    let Some(held) = held.as_object() else {
        return false;
    };
    held.iter().all(|(k, v)| match k.as_str() {
        "metadata" => true,
        "apiVersion" | "kind" => doc.get(k) == Some(v),
        _ => false,
    })
}

/// Every object of a render, in tree order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ManifestSet {
    pub manifests: Vec<Manifest>,
}

/// The first line of every generated file starts with this; it marks files the tool owns.
pub const HEADER_PREFIX: &str = "# Generated by gitops-render";

/// The header line for a file rendered from `inputs`.
pub fn header(inputs: &str) -> String {
    let mut line = String::new();
    write_header(&mut line, inputs);
    line
}

/// [`header`] appended to `out`: every rendered file starts with it, and `format!` of it for
/// each file was 1.6% of the samples of `render --stdout --no-lint` at N = 10,000.
pub fn write_header(out: &mut String, inputs: &str) {
    for part in [HEADER_PREFIX, " from ", inputs, "; do not edit.\n"] {
        out.push_str(part);
    }
}

/// Does this file content start with exactly the header line the tool writes
/// (`# Generated by gitops-render from <inputs>; do not edit.`)? A prefix is not enough: a
/// hand-written note that quotes the header's first words is not ours.
pub fn is_generated(bytes: &[u8]) -> bool {
    let Some(rest) = bytes.strip_prefix(HEADER_PREFIX.as_bytes()) else {
        return false;
    };
    let line = rest.split(|&b| b == b'\n').next().unwrap_or_default();
    rest.len() > line.len()
        && line
            .strip_prefix(b" from ")
            .and_then(|l| l.strip_suffix(b"; do not edit."))
            .is_some_and(|inputs| !inputs.is_empty() && !inputs.contains(&b'\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_header_line_is_ours() {
        assert!(is_generated(header("environments/prod.yaml").as_bytes()));
        assert!(is_generated(
            format!("{}apiVersion: v1\n", header("a, b")).as_bytes()
        ));
        for not_ours in [
            "# Generated by gitops-render\n",
            "# Generated by gitops-render from x; do not edit.",
            "# Generated by gitops-render from ; do not edit.\n",
            "# Generated by gitops-render from x; do not edit. Really.\n",
            "# Generated by gitops-render-ish from x; do not edit.\n",
            "# Generated by gitops-render from x; do not edit.\r\n",
            "#!/bin/sh\n# Generated by gitops-render from x; do not edit.\n",
        ] {
            assert!(!is_generated(not_ours.as_bytes()), "{not_ours:?}");
        }
    }
}
