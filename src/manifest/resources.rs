//! ResourceQuota and LimitRange admission of one pod, as the API server applies them: the
//! LimitRange fills what a container leaves out (a limit without a request requests the
//! limit; otherwise `defaultRequest` / `default`), refuses a container over `max`, and the
//! quota refuses a pod whose total (regular containers summed, init containers at their
//! largest) exceeds what the namespace may hold — even when the namespace is empty.
//! Shared by the render (catalog workflows against their tier) and lint (any pod against the
//! quota and LimitRange of its namespace in the tree).

use serde_json::Value;

use super::quantity::{milli, show};

/// cpu, memory.
pub const RESOURCES: [(&str, bool); 2] = [("cpu", false), ("memory", true)];

/// A namespace's LimitRange for containers, in thousandths (cpu, memory).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Limits {
    pub default_request: [Option<i128>; 2],
    pub default: [Option<i128>; 2],
    pub max: [Option<i128>; 2],
}

/// A namespace's quota: requests.* and limits.* (cpu, memory).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Quota {
    pub requests: [Option<i128>; 2],
    pub limits: [Option<i128>; 2],
}

/// `[cpu, memory]` of a resource list (`{cpu: 500m, memory: 1Gi}`).
pub fn pair(list: Option<&Value>) -> [Option<i128>; 2] {
    let get = |k: &str| list.and_then(|l| l.get(k)).and_then(milli);
    [get("cpu"), get("memory")]
}

impl Limits {
    /// From a LimitRange's `spec.limits` (its `Container` entry).
    pub fn of_limit_range(spec_limits: &Value) -> Limits {
        let entry = spec_limits
            .as_array()
            .into_iter()
            .flatten()
            .find(|l| l.get("type").and_then(Value::as_str) == Some("Container"));
        Limits {
            default_request: pair(entry.and_then(|e| e.get("defaultRequest"))),
            default: pair(entry.and_then(|e| e.get("default"))),
            max: pair(entry.and_then(|e| e.get("max"))),
        }
    }
}

impl Quota {
    /// From a ResourceQuota's `spec.hard` (`requests.cpu` or `cpu`, `limits.memory`, …).
    pub fn of_hard(hard: &Value) -> Quota {
        let get = |keys: &[&str]| keys.iter().find_map(|k| hard.get(*k).and_then(milli));
        Quota {
            requests: [
                get(&["requests.cpu", "cpu"]),
                get(&["requests.memory", "memory"]),
            ],
            limits: [get(&["limits.cpu"]), get(&["limits.memory"])],
        }
    }
}

/// One container's (request, limit) of resource `r` (0 cpu, 1 memory) after defaulting;
/// `None` where it is unknown (an Argo expression) or nothing sets it.
fn effective(c: &Value, r: usize, lr: &Limits) -> (Option<i128>, Option<i128>) {
    let resource = RESOURCES[r].0;
    let set = |kind: &str| c.pointer(&format!("/resources/{kind}/{resource}"));
    let limit = match set("limits") {
        Some(v) => milli(v),
        None => lr.default[r],
    };
    let request = match (set("requests"), set("limits")) {
        (Some(v), _) => milli(v),
        (None, Some(_)) => limit,
        (None, None) => lr.default_request[r],
    };
    (request, limit)
}

/// Why admission refuses the pod `pod` made of `running` and `inits` containers (each with
/// its name for messages), or `None` when it fits. `quota_name` names the quota.
pub fn refusal(
    pod: &str,
    running: &[(String, &Value)],
    inits: &[(String, &Value)],
    lr: &Limits,
    quota: &Quota,
    quota_name: &str,
) -> Option<String> {
    for (r, (resource, memory)) in RESOURCES.iter().enumerate() {
        if let Some(max) = lr.max[r] {
            for (name, c) in running.iter().chain(inits) {
                if let (_, Some(limit)) = effective(c, r, lr) {
                    if limit > max {
                        return Some(format!(
                            "{name} asks for limits.{resource} {} in one container; the LimitRange allows at most {}",
                            show(limit, *memory),
                            show(max, *memory)
                        ));
                    }
                }
            }
        }
        for (kind, hard) in [("requests", quota.requests[r]), ("limits", quota.limits[r])] {
            let Some(hard) = hard else { continue };
            let pick = |(_, c): &(String, &Value)| {
                let (request, limit) = effective(c, r, lr);
                if kind == "limits" {
                    limit
                } else {
                    request
                }
            };
            let Some(sum) = running.iter().map(pick).sum::<Option<i128>>() else {
                continue;
            };
            let total = sum.max(inits.iter().filter_map(pick).max().unwrap_or(0));
            if total > hard {
                return Some(format!(
                    "{pod} needs {kind}.{resource} {} for one pod; {quota_name} allows {}",
                    show(total, *memory),
                    show(hard, *memory)
                ));
            }
        }
        // A quota on a resource makes every pod name it: with no value from the container
        // or the LimitRange, the pod is refused for the missing request or limit.
        for (kind, hard, limits) in [
            ("requests", quota.requests[r], false),
            ("limits", quota.limits[r], true),
        ] {
            if hard.is_none() {
                continue;
            }
            for (name, c) in running.iter().chain(inits) {
                let (request, limit) = effective(c, r, lr);
                let set = if limits { limit } else { request };
                let expression = c
                    .pointer(&format!("/resources/{kind}/{resource}"))
                    .is_some();
                if set.is_none() && !expression {
                    return Some(format!(
                        "{name} sets no {kind}.{resource} and the LimitRange gives none; {quota_name} constrains {kind}.{resource}, so the pod is refused"
                    ));
                }
            }
        }
    }
    None
}
