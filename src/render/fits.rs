//! Does each pod of a rendered WorkflowTemplate fit where it runs? The checks admission makes
//! on one pod, done at render time: every container within the LimitRange `max`, and the pod
//! on its own (with the `wait` sidecar Argo adds to every pod) within the tier's quota.
//!
//! Admission fills what a container leaves out: a limit without a request requests the
//! limit, and the LimitRange defaults fill the rest; Argo's `wait` sidecar gets the
//! LimitRange defaults unless the controller sets executor resources. A pod that does not
//! fit is refused by quota admission and Argo keeps the step Pending until its deadline: the
//! render refuses the tier/workflow combination instead, naming the numbers.

use serde_json::Value;

use crate::manifest::quantity::{milli, show};
use crate::model::{LimitRangeSpec, ResourceList, Tier};

const RESOURCES: [(&str, bool); 2] = [("cpu", false), ("memory", true)];

fn get(list: &ResourceList, resource: &str) -> Option<i128> {
    match resource {
        "cpu" => list.cpu.as_ref().and_then(milli),
        _ => list.memory.as_ref().and_then(milli),
    }
}

/// One container's (request, limit) of `resource` after admission's defaulting; `None` where
/// the value is an expression this check cannot know.
fn effective(c: &Value, resource: &str, lr: &LimitRangeSpec) -> (Option<i128>, Option<i128>) {
    let set = |kind: &str| c.pointer(&format!("/resources/{kind}/{resource}"));
    let limit = match set("limits") {
        Some(v) => milli(v),
        None => get(&lr.default, resource),
    };
    let request = match (set("requests"), set("limits")) {
        (Some(v), _) => milli(v),
        (None, Some(_)) => limit,
        (None, None) => get(&lr.default_request, resource),
    };
    (request, limit)
}

/// Check every pod template of WorkflowTemplate `doc` against `tier` and the LimitRange.
pub fn check(doc: &Value, tier_name: &str, tier: &Tier, lr: &LimitRangeSpec) -> Result<(), String> {
    let wait = serde_json::json!({});
    for t in doc
        .pointer("/spec/templates")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = t.get("name").and_then(Value::as_str).unwrap_or("?");
        let Some(main) = t.get("container").or_else(|| t.get("script")) else {
            continue;
        };
        let sidecars = t.get("sidecars").and_then(Value::as_array);
        let running: Vec<&Value> = std::iter::once(main)
            .chain(sidecars.into_iter().flatten())
            .chain(std::iter::once(&wait))
            .collect();
        let inits: Vec<&Value> = t
            .get("initContainers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .collect();
        for (resource, memory) in RESOURCES {
            if let Some(max) = lr.max.as_ref().and_then(|m| get(m, resource)) {
                for c in running.iter().chain(&inits) {
                    if let (_, Some(limit)) = effective(c, resource, lr) {
                        if limit > max {
                            return Err(format!(
                                "template `{name}` asks for limits.{resource} {} in one container; the LimitRange allows at most {}",
                                show(limit, memory),
                                show(max, memory)
                            ));
                        }
                    }
                }
            }
            for (kind, limits) in [("requests", false), ("limits", true)] {
                let Some(hard) = get_quota(tier, resource, limits) else {
                    continue;
                };
                let pick = |c: &&Value| {
                    let (request, limit) = effective(c, resource, lr);
                    if limits {
                        limit
                    } else {
                        request
                    }
                };
                let sum: Option<i128> = running.iter().map(pick).sum();
                let init_max = inits.iter().filter_map(pick).max().unwrap_or(0);
                let Some(sum) = sum else { continue };
                let pod = sum.max(init_max);
                if pod > hard {
                    return Err(format!(
                        "template `{name}` needs {kind}.{resource} {} for one pod (with Argo's wait sidecar at the LimitRange default); the {tier_name} tier's quota allows {}",
                        show(pod, memory),
                        show(hard, memory)
                    ));
                }
            }
        }
    }
    Ok(())
}

fn get_quota(tier: &Tier, resource: &str, limits: bool) -> Option<i128> {
    if limits {
        if let Some(l) = tier.limits.as_ref().and_then(|l| get(l, resource)) {
            return Some(l);
        }
    }
    match resource {
        "cpu" => milli(&tier.cpu),
        _ => milli(&tier.memory),
    }
}
