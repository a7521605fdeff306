//! Parts of tenant plans that many tenants of an environment have alike, held once.
//!
//! A tenant's file-type plan and network plan follow from the pack and from which workflows,
//! profile and features the tenant has, so tenants with the same choices get equal parts: at
//! N = 10,000 one environment's copies were ~24 MB and ~7 MB of its ~110 MB of plans
//! (heaptrack of a resolve), held while its first tenants render. Each part is made as
//! before and then swapped for the equal one already held, so a shared part is the part
//! the tenant would have had. Each is held frozen ([`crate::render::Frozen`]): templates see
//! it as one value, converted for them once.

use std::collections::HashSet;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use super::plan::NetworkPlan;
use super::workflows::WorkflowPolicy;
use crate::render::Frozen;

/// Equal values held once, for the tenants resolved in parallel.
pub(super) struct Interner<T>(Mutex<HashSet<Arc<T>>>);

impl<T: Eq + Hash> Interner<T> {
    pub fn new() -> Interner<T> {
        Interner(Mutex::new(HashSet::new()))
    }

    /// The held value equal to `value`, else `value`, now held.
    pub fn share(&self, value: T) -> Arc<T> {
        // A poisoned lock only means another tenant's resolve panicked; the set is intact.
        let mut held = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(same) = held.get(&value) {
            return Arc::clone(same);
        }
        let value = Arc::new(value);
        held.insert(Arc::clone(&value));
        value
    }
}

/// The environment's shared plan parts.
pub(super) struct Shared {
    pub policies: Interner<Frozen<WorkflowPolicy>>,
    pub networks: Interner<Frozen<NetworkPlan>>,
}

impl Shared {
    pub fn new() -> Shared {
        Shared {
            policies: Interner::new(),
            networks: Interner::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::Interner;

    #[test]
    fn equal_values_are_held_once_and_unequal_ones_apart() {
        let interner = Interner::new();
        let a = interner.share(vec!["ci-test".to_owned()]);
        let b = interner.share(vec!["ci-test".to_owned()]);
        let c = interner.share(vec!["file-transfer".to_owned()]);
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(*c, vec!["file-transfer".to_owned()]);
    }
}
