//! WorkflowTemplates fitted once per tier. A tenant's WorkflowTemplate is its template's
//! output ([`super::memo`]) with the pack's workflow rules put on ([`super::WorkflowRules`])
//! and its pods fitted to the tenant's tier ([`super::fits`]): at N tenants, N times the same
//! work on the same few documents, with the same result. That work is kept here per
//! (template output, environment, workflow, tier); the stamp (namespace, team) goes on per
//! tenant afterwards.
//!
//! Sound because the rules and the fit read nothing but the document, the environment's pack
//! settings (one environment's are fixed for an engine's life), the workflow's plan and the
//! tier, and all of these are the key: the output by identity — the memo's own documents,
//! held by the entry so that no other output can take their place in memory — and the tier
//! by value. Only fitted documents are kept; a refusal is worded per tenant.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::manifest::Unstamped;
use crate::model::Tier;
use crate::resolve::WorkflowPlan;

/// Entries kept per engine: a few workflows × tiers × environments in practice; the cap
/// keeps an estate of many custom tiers from growing it without bound.
const MAX_ENTRIES: usize = 1024;

/// Fitted WorkflowTemplates, by the hash of their key.
#[derive(Default)]
pub struct Fitted {
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    by_hash: HashMap<u64, Vec<Entry>>,
    entries: usize,
}

/// What a WorkflowTemplate was fitted from, and the result.
struct Entry {
    output: Arc<Unstamped>,
    env: String,
    workflow: WorkflowPlan,
    tier_name: String,
    tier: Tier,
    fitted: Arc<Unstamped>,
}

/// Where one tenant's WorkflowTemplate is fitted.
pub struct Fitting<'a> {
    /// The template's output, the memo's kept documents.
    pub output: &'a Arc<Unstamped>,
    pub env: &'a str,
    pub workflow: &'a WorkflowPlan,
    pub tier_name: &'a str,
    pub tier: &'a Tier,
}

impl Fitting<'_> {
    fn hash(&self) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (Arc::as_ptr(self.output) as usize).hash(&mut h);
        self.env.hash(&mut h);
        self.workflow.resource_name.hash(&mut h);
        self.tier_name.hash(&mut h);
        h.finish()
    }

    fn is(&self, e: &Entry) -> bool {
        Arc::ptr_eq(self.output, &e.output)
            && self.env == e.env
            && *self.workflow == e.workflow
            && self.tier_name == e.tier_name
            && *self.tier == e.tier
    }
}

impl Fitted {
    /// The fitted document for `at`: the kept one, or `fit`'s (kept when it succeeds and
    /// there is room, else the tenant's own): every tenant given the same kept document was
    /// fitted from the same key, and none gets a copy of it.
    pub fn get_or_fit<E>(
        &self,
        at: &Fitting<'_>,
        fit: impl FnOnce() -> Result<Value, E>,
    ) -> Result<Fit, E> {
        let hash = at.hash();
        let found = {
            let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
            kept.by_hash
                .get(&hash)
                .and_then(|list| list.iter().find(|e| at.is(e)))
                .map(|e| Arc::clone(&e.fitted))
        };
        if let Some(fitted) = found {
            return Ok(Fit::Kept(fitted));
        }
        let fitted = fit()?;
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        let kept = &mut *kept;
        let list = kept.by_hash.entry(hash).or_default();
        // Another thread may have fitted the same meanwhile: its document is the kept one.
        if let Some(e) = list.iter().find(|e| at.is(e)) {
            return Ok(Fit::Kept(Arc::clone(&e.fitted)));
        }
        if kept.entries >= MAX_ENTRIES {
            return Ok(Fit::Own(fitted));
        }
        kept.entries += 1;
        let shared = Arc::new(Unstamped::new(vec![fitted]));
        list.push(Entry {
            output: Arc::clone(at.output),
            env: at.env.to_owned(),
            workflow: at.workflow.clone(),
            tier_name: at.tier_name.to_owned(),
            tier: at.tier.clone(),
            fitted: Arc::clone(&shared),
        });
        Ok(Fit::Kept(shared))
    }
}

/// A fitted WorkflowTemplate: the kept one (its only document), shared by every tenant of
/// its key, or one of its own when no more are kept.
pub enum Fit {
    Kept(Arc<Unstamped>),
    Own(Value),
}

#[cfg(test)]
impl Fit {
    fn into_document(self) -> Value {
        match self {
            Fit::Kept(kept) => kept[0].clone(),
            Fit::Own(doc) => doc,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn workflow(name: &str) -> WorkflowPlan {
        WorkflowPlan {
            resource_name: name.into(),
            name: name.into(),
            version: "1.0.0".into(),
            major: 1,
            template: format!("workflows/{name}.yaml.j2"),
            custom: false,
        }
    }

    fn tier(cpu: &str) -> Tier {
        serde_json::from_value(json!({"cpu": cpu, "memory": "1Gi", "storage": "1Gi", "pods": 4}))
            .expect("a tier")
    }

    /// Fit through `cache`, returning the document and whether `fit` ran.
    fn fit(
        cache: &Fitted,
        at: &Fitting<'_>,
        result: Result<Value, String>,
    ) -> (Result<Value, String>, bool) {
        let mut ran = false;
        let got = cache.get_or_fit(at, || {
            ran = true;
            result
        });
        (got.map(Fit::into_document), ran)
    }

    #[test]
    fn a_fit_is_reused_only_for_the_same_output_environment_workflow_and_tier() {
        let cache = Fitted::default();
        let output = Arc::new(Unstamped::new(vec![json!({"kind": "WorkflowTemplate"})]));
        // Equal documents, another output: not known to be the same, so fitted again.
        let other_output = Arc::new(Unstamped::new(vec![json!({"kind": "WorkflowTemplate"})]));
        let (wf, other_wf) = (workflow("ci"), workflow("build"));
        let (small, bigger_small) = (tier("1"), tier("2"));
        let at = |output, env, workflow, tier_name, tier| Fitting {
            output,
            env,
            workflow,
            tier_name,
            tier,
        };
        let first = at(&output, "prod", &wf, "small", &small);
        assert_eq!(fit(&cache, &first, Ok(json!(1))), (Ok(json!(1)), true));
        assert_eq!(
            fit(&cache, &first, Ok(json!(99))),
            (Ok(json!(1)), false),
            "kept"
        );
        for (differs, what) in [
            (at(&other_output, "prod", &wf, "small", &small), "output"),
            (at(&output, "dev", &wf, "small", &small), "environment"),
            (at(&output, "prod", &other_wf, "small", &small), "workflow"),
            (at(&output, "prod", &wf, "medium", &small), "tier name"),
            (
                at(&output, "prod", &wf, "small", &bigger_small),
                "tier values",
            ),
        ] {
            assert_eq!(
                fit(&cache, &differs, Ok(json!(2))),
                (Ok(json!(2)), true),
                "{what}"
            );
        }
        assert_eq!(fit(&cache, &first, Ok(json!(99))), (Ok(json!(1)), false));
    }

    #[test]
    fn tenants_of_one_key_are_given_the_same_kept_document() {
        // What lint knows to be the same object up to its namespace ([`crate::manifest::Lineage`]).
        let cache = Fitted::default();
        let output = Arc::new(Unstamped::new(vec![json!({"kind": "WorkflowTemplate"})]));
        let (wf, small, medium) = (workflow("ci"), tier("1"), tier("2"));
        let at = |tier_name, tier| Fitting {
            output: &output,
            env: "prod",
            workflow: &wf,
            tier_name,
            tier,
        };
        let kept = |at: &Fitting<'_>| {
            let fit = cache
                .get_or_fit(at, || Ok::<_, String>(json!({"fitted": at.tier_name})))
                .expect("fits");
            let Fit::Kept(kept) = fit else {
                panic!("not kept")
            };
            assert_eq!(kept.to_vec(), vec![json!({"fitted": at.tier_name})]);
            kept
        };
        let first = kept(&at("small", &small));
        assert!(Arc::ptr_eq(&first, &kept(&at("small", &small))));
        assert!(!Arc::ptr_eq(&first, &kept(&at("medium", &medium))));
    }

    #[test]
    fn refusals_are_not_kept() {
        let cache = Fitted::default();
        let output = Arc::new(Unstamped::new(Vec::new()));
        let (wf, small) = (workflow("ci"), tier("1"));
        let at = Fitting {
            output: &output,
            env: "prod",
            workflow: &wf,
            tier_name: "small",
            tier: &small,
        };
        assert_eq!(fit(&cache, &at, Err("a".into())), (Err("a".into()), true));
        assert_eq!(fit(&cache, &at, Err("b".into())), (Err("b".into()), true));
        assert_eq!(fit(&cache, &at, Ok(json!(3))), (Ok(json!(3)), true));
        assert_eq!(fit(&cache, &at, Err("c".into())), (Ok(json!(3)), false));
    }

    #[test]
    fn the_cache_is_bounded() {
        let cache = Fitted::default();
        let output = Arc::new(Unstamped::new(Vec::new()));
        let small = tier("1");
        let workflows: Vec<WorkflowPlan> = (0..MAX_ENTRIES + 10)
            .map(|i| workflow(&format!("w{i}")))
            .collect();
        for wf in &workflows {
            let at = Fitting {
                output: &output,
                env: "prod",
                workflow: wf,
                tier_name: "small",
                tier: &small,
            };
            fit(&cache, &at, Ok(json!(0))).0.expect("fits");
        }
        // Past the cap, a fit is given without a kept document to share.
        let at = Fitting {
            output: &output,
            env: "prod",
            workflow: &workflows[MAX_ENTRIES + 1],
            tier_name: "small",
            tier: &small,
        };
        let got = cache.get_or_fit(&at, || Ok::<_, String>(json!(0)));
        assert!(matches!(got.expect("fits"), Fit::Own(_)));
        let kept = cache.kept.lock().expect("not poisoned");
        assert_eq!(kept.entries, MAX_ENTRIES);
        assert_eq!(
            kept.by_hash.values().map(Vec::len).sum::<usize>(),
            MAX_ENTRIES
        );
    }
}
