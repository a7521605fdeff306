//! An object's identity as lint keeps it for every document it holds: the four parts of an
//! [`ObjectRef`] (API group, kind, namespace, name) in one allocation.
//!
//! A lint holds an identity for every document of the tree to its end (the cross-object
//! rules find duplicates and owners by it): ~190,000 in one environment's stream at
//! N = 10,000, ~770,000 in a `lint` of the whole tree. As an `ObjectRef` each is four
//! `String`s, 96 bytes inline and four allocations; here it is 32 bytes and one.

use std::fmt;

use crate::manifest::ObjectRef;

/// The parts of an [`ObjectRef`], one after another, with where each of the first three
/// ends. Two identities are equal exactly when their four parts are.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Identity {
    parts: Box<str>,
    /// The ends of the group, the kind and the namespace in `parts`.
    ends: [u32; 3],
}

impl Identity {
    pub fn group(&self) -> &str {
        &self.parts[..self.end(0)]
    }

    pub fn kind(&self) -> &str {
        &self.parts[self.end(0)..self.end(1)]
    }

    /// Empty for cluster-scoped objects.
    pub fn namespace(&self) -> &str {
        &self.parts[self.end(1)..self.end(2)]
    }

    pub fn name(&self) -> &str {
        &self.parts[self.end(2)..]
    }

    fn end(&self, part: usize) -> usize {
        self.ends[part] as usize
    }
}

impl From<&ObjectRef> for Identity {
    fn from(id: &ObjectRef) -> Identity {
        let fields = [&id.group, &id.kind, &id.namespace, &id.name];
        let mut parts = String::with_capacity(fields.iter().map(|f| f.len()).sum());
        let mut ends = [0; 3];
        for (i, field) in fields.iter().enumerate() {
            parts.push_str(field);
            if let Some(end) = ends.get_mut(i) {
                // A document's text is bounded far below 4 GiB (`source::MAX_FILE_BYTES`).
                *end = u32::try_from(parts.len()).unwrap_or(u32::MAX);
            }
        }
        Identity {
            parts: parts.into_boxed_str(),
            ends,
        }
    }
}

/// As [`ObjectRef`] shows itself: `Kind namespace/name`, or `Kind name` without a namespace.
impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace().is_empty() {
            write!(f, "{} {}", self.kind(), self.name())
        } else {
            write!(f, "{} {}/{}", self.kind(), self.namespace(), self.name())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(group: &str, kind: &str, namespace: &str, name: &str) -> ObjectRef {
        ObjectRef {
            group: group.into(),
            kind: kind.into(),
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    #[test]
    fn keeps_each_part_and_shows_as_the_object_ref_does() {
        for id in [
            object("argoproj.io", "WorkflowTemplate", "data-prod", "ci-test"),
            object("", "Namespace", "", "data-prod"),
            object("", "", "", ""),
            object("rbac.authorization.k8s.io", "ClusterRole", "", "view"),
        ] {
            let kept = Identity::from(&id);
            assert_eq!(
                [kept.group(), kept.kind(), kept.namespace(), kept.name()],
                [&*id.group, &*id.kind, &*id.namespace, &*id.name]
            );
            assert_eq!(kept.to_string(), id.to_string());
        }
    }

    #[test]
    fn parts_that_join_alike_are_still_different_identities() {
        // "ab" + "c" and "a" + "bc": the same characters, split differently.
        let a = Identity::from(&object("", "ab", "c", "x"));
        let b = Identity::from(&object("", "a", "bc", "x"));
        assert_ne!(a, b);
        assert_eq!(a, Identity::from(&object("", "ab", "c", "x")));
    }
}
