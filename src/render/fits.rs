//! Does each pod of a rendered WorkflowTemplate fit where it runs? The checks admission makes
//! on one pod (`manifest::resources`), done at render time against the tenant's tier and the
//! pack's LimitRange, with the `wait` sidecar Argo adds to every pod at the LimitRange
//! defaults (unless the controller sets executor resources). A pod that does not fit is
//! refused by quota admission and Argo keeps the step Pending until its deadline: the render
//! refuses the tier/workflow combination instead, naming the numbers.

use serde_json::Value;

use crate::manifest::resources::{pair, refusal, Limits, Quota};
use crate::model::{LimitRangeSpec, ResourceList, Tier};

fn list(l: &ResourceList) -> [Option<i128>; 2] {
    pair(serde_json::to_value(l).ok().as_ref())
}

/// Check every pod template of WorkflowTemplate `doc` against `tier` and the LimitRange.
pub fn check(doc: &Value, tier_name: &str, tier: &Tier, lr: &LimitRangeSpec) -> Result<(), String> {
    let limits = Limits {
        default_request: list(&lr.default_request),
        default: list(&lr.default),
        max: lr.max.as_ref().map(list).unwrap_or_default(),
    };
    let requests = pair(Some(
        &serde_json::json!({"cpu": tier.cpu, "memory": tier.memory}),
    ));
    let quota = Quota {
        requests,
        limits: match tier.limits.as_ref().map(list) {
            Some([cpu, memory]) => [cpu.or(requests[0]), memory.or(requests[1])],
            None => requests,
        },
    };
    let wait = serde_json::json!({});
    for (pointer, pod) in crate::manifest::pod_security::pods_of("WorkflowTemplate", doc) {
        let name = doc
            .pointer(&format!("{pointer}/name"))
            .and_then(Value::as_str)
            .unwrap_or("?");
        let (inits, mut running): (Vec<_>, Vec<_>) = pod
            .containers
            .into_iter()
            .partition(|(name, _)| name.contains(" initContainers["));
        running.push(("Argo's wait sidecar".to_owned(), &wait));
        let label =
            format!("template `{name}` (with Argo's wait sidecar at the LimitRange default)");
        let quota_name = format!("the {tier_name} tier's quota");
        if let Some(why) = refusal(&label, &running, &inits, &limits, &quota, &quota_name) {
            return Err(why);
        }
    }
    Ok(())
}
