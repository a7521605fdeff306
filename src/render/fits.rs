//! Does each pod of a rendered WorkflowTemplate fit where it runs? The checks admission makes
//! on one pod (`manifest::resources`), done at render time against the tenant's tier and the
//! pack's LimitRange, with the executor containers Argo adds to every pod (`wait`, and
//! `init` for input artifacts) at the pack's executor resources (the LimitRange defaults
//! when it declares none). A pod that does not fit is refused by quota admission and Argo
//! keeps the step Pending until its deadline: the render refuses the tier/workflow
//! combination instead, naming the numbers. A workflow whose `parallelism` the quota cannot
//! hold at once gets its parallelism lowered to what it holds.

use serde_json::Value;

use crate::manifest::resources::{admitted, pair, Limits, Quota, Sized};
use crate::model::{Executor, LimitRangeSpec, ResourceList, Tier};

fn list(l: &ResourceList) -> [Option<i128>; 2] {
    pair(serde_json::to_value(l).ok().as_ref())
}

/// Where a WorkflowTemplate runs: the tier's quota and the pack's LimitRange and executor.
pub struct Fit<'a> {
    pub tier_name: &'a str,
    pub tier: &'a Tier,
    pub limit_range: &'a LimitRangeSpec,
    pub executor: Option<&'a Executor>,
}

impl Fit<'_> {
    fn limits(&self) -> Limits {
        let lr = self.limit_range;
        Limits {
            default_request: list(&lr.default_request),
            default: list(&lr.default),
            max: lr.max.as_ref().map(list).unwrap_or_default(),
            ..Limits::default()
        }
    }

    fn quota(&self) -> Quota {
        let requests = pair(Some(
            &serde_json::json!({"cpu": self.tier.cpu, "memory": self.tier.memory}),
        ));
        Quota {
            requests,
            limits: match self.tier.limits.as_ref().map(list) {
                Some([cpu, memory]) => [cpu.or(requests[0]), memory.or(requests[1])],
                None => requests,
            },
        }
    }

    /// Check every pod template of WorkflowTemplate `doc`, and lower its `spec.parallelism`
    /// to the pods the quota holds at once. The error says which pod does not fit.
    pub fn apply(&self, doc: &mut Value) -> Result<(), String> {
        let limits = self.limits();
        let quota = self.quota();
        let executor = Executor::container(self.executor);
        let mut holds: Option<i128> = None;
        for (pointer, pod) in crate::manifest::pod_security::pods_of("WorkflowTemplate", doc) {
            let template = doc.pointer(&pointer).unwrap_or(&Value::Null);
            let name = template.get("name").and_then(Value::as_str).unwrap_or("?");
            let (running, inits) = admitted(pod.containers, Some((template, &executor)));
            let label = match self.executor.and_then(|e| e.resources.as_ref()) {
                Some(_) => format!("template `{name}` (with Argo's executor containers at the pack's executor resources)"),
                None => format!("template `{name}` (with Argo's executor containers at the LimitRange defaults)"),
            };
            let quota_name = format!("the {} tier's quota", self.tier_name);
            let sized = Sized::new(&running, &inits, &limits);
            if let Some(why) = sized
                .limit_range_refusal()
                .or_else(|| sized.quota_refusal(&label, &quota, &quota_name))
            {
                return Err(why);
            }
            if let Some((n, _)) = sized.footprint.pods_in(&quota) {
                holds = Some(holds.map_or(n, |h| h.min(n)));
            }
        }
        if let (Some(holds), Some(p)) = (
            holds,
            doc.pointer_mut("/spec/parallelism")
                .filter(|p| p.as_u64().is_some()),
        ) {
            let capped = p.as_u64().unwrap_or(1).min(holds.max(1) as u64);
            *p = capped.into();
        }
        Ok(())
    }
}
