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
    pub min: [Option<i128>; 2],
    /// `maxLimitRequestRatio`, in thousandths (`2` is 2000).
    pub ratio: [Option<i128>; 2],
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
            min: pair(entry.and_then(|e| e.get("min"))),
            ratio: pair(entry.and_then(|e| e.get("maxLimitRequestRatio"))),
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

/// `resources.<kind>.<resource>` of a container, as written.
fn declared<'v>(c: &'v Value, kind: &str, resource: &str) -> Option<&'v Value> {
    c.get("resources")?.get(kind)?.get(resource)
}

/// One container's (request, limit) of resource `r` (0 cpu, 1 memory) after defaulting;
/// `None` where it is unknown (an Argo expression) or nothing sets it.
fn effective(c: &Value, r: usize, lr: &Limits) -> (Option<i128>, Option<i128>) {
    let resource = RESOURCES[r].0;
    let set = |kind: &str| declared(c, kind, resource);
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

/// What one pod holds of a quota once the LimitRange has filled it in: requests and limits
/// (cpu, memory), regular containers summed and init containers at their largest; `None`
/// where a container's value is unknown (an Argo expression) or unset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Footprint {
    pub requests: [Option<i128>; 2],
    pub limits: [Option<i128>; 2],
}

impl Footprint {
    pub fn of(running: &[(String, &Value)], inits: &[(String, &Value)], lr: &Limits) -> Footprint {
        let mut fp = Footprint::default();
        for r in 0..RESOURCES.len() {
            for (limits, slot) in [(false, &mut fp.requests[r]), (true, &mut fp.limits[r])] {
                let pick = |(_, c): &(String, &Value)| {
                    let (request, limit) = effective(c, r, lr);
                    if limits {
                        limit
                    } else {
                        request
                    }
                };
                *slot = running
                    .iter()
                    .map(pick)
                    .sum::<Option<i128>>()
                    .map(|sum| sum.max(inits.iter().filter_map(pick).max().unwrap_or(0)));
            }
        }
        fp
    }

    /// How many pods of this size `quota` holds at once, with the resource that bounds it;
    /// `None` when the quota bounds none of the resources the pod's size is known for.
    pub fn pods_in(&self, quota: &Quota) -> Option<(i128, String)> {
        let mut best: Option<(i128, String)> = None;
        for (r, (resource, memory)) in RESOURCES.iter().enumerate() {
            for (kind, need, hard) in [
                ("requests", self.requests[r], quota.requests[r]),
                ("limits", self.limits[r], quota.limits[r]),
            ] {
                let (Some(need), Some(hard)) = (need, hard) else {
                    continue;
                };
                if need <= 0 {
                    continue;
                }
                let n = hard / need;
                if best.as_ref().is_none_or(|(b, _)| n < *b) {
                    let why = format!(
                        "{kind}.{resource} {} per pod against {}",
                        show(need, *memory),
                        show(hard, *memory)
                    );
                    best = Some((n, why));
                }
            }
        }
        best
    }
}

/// A pod's containers with its namespace's LimitRange, and what they add up to: judged once,
/// then against each quota of the namespace.
pub struct Sized<'a, 'v> {
    pub running: &'a [Named<'v>],
    pub inits: &'a [Named<'v>],
    pub lr: &'a Limits,
    pub footprint: Footprint,
}

impl<'a, 'v> Sized<'a, 'v> {
    pub fn new(running: &'a [Named<'v>], inits: &'a [Named<'v>], lr: &'a Limits) -> Self {
        Sized {
            running,
            inits,
            lr,
            footprint: Footprint::of(running, inits, lr),
        }
    }

    fn containers(&self) -> impl Iterator<Item = &Named<'v>> {
        self.running.iter().chain(self.inits)
    }

    /// Why LimitRange admission refuses one of the containers (over `max`, under `min`,
    /// over `maxLimitRequestRatio`), or `None`.
    pub fn limit_range_refusal(&self) -> Option<String> {
        let lr = self.lr;
        for (r, (resource, memory)) in RESOURCES.iter().enumerate() {
            let show = |q: i128| show(q, *memory);
            for (name, c) in self.containers() {
                let (request, limit) = effective(c, r, lr);
                if let (Some(max), Some(limit)) = (lr.max[r], limit) {
                    if limit > max {
                        return Some(format!(
                            "{name} asks for limits.{resource} {} in one container; the LimitRange allows at most {}",
                            show(limit),
                            show(max)
                        ));
                    }
                }
                if let (Some(min), Some(request)) = (lr.min[r], request) {
                    if request < min {
                        return Some(format!(
                            "{name} asks for requests.{resource} {} in one container; the LimitRange's minimum is {}",
                            show(request),
                            show(min)
                        ));
                    }
                }
                if let (Some(ratio), Some(request), Some(limit)) = (lr.ratio[r], request, limit) {
                    if request > 0 && limit * 1000 > ratio * request {
                        return Some(format!(
                            "{name} has limits.{resource} {} over requests.{resource} {}; the LimitRange's maxLimitRequestRatio is {}",
                            show(limit),
                            show(request),
                            super::quantity::show(ratio, false)
                        ));
                    }
                }
            }
        }
        None
    }

    /// Why quota admission refuses the pod (named `pod` in messages) under `quota` (named
    /// `quota_name`), or `None` when it fits an empty namespace.
    pub fn quota_refusal(&self, pod: &str, quota: &Quota, quota_name: &str) -> Option<String> {
        let fp = &self.footprint;
        for (r, (resource, memory)) in RESOURCES.iter().enumerate() {
            for (kind, total, hard) in [
                ("requests", fp.requests[r], quota.requests[r]),
                ("limits", fp.limits[r], quota.limits[r]),
            ] {
                if let (Some(total), Some(hard)) = (total, hard) {
                    if total > hard {
                        return Some(format!(
                            "{pod} needs {kind}.{resource} {} for one pod; {quota_name} allows {}",
                            show(total, *memory),
                            show(hard, *memory)
                        ));
                    }
                }
            }
            // A quota on a resource makes every pod name it: with no value from the
            // container or the LimitRange, the pod is refused for the missing request or
            // limit.
            for (kind, hard, limits) in [
                ("requests", quota.requests[r], false),
                ("limits", quota.limits[r], true),
            ] {
                if hard.is_none() {
                    continue;
                }
                for (name, c) in self.containers() {
                    let (request, limit) = effective(c, r, self.lr);
                    let set = if limits { limit } else { request };
                    let expression = declared(c, kind, resource).is_some();
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
}

/// A container with the name messages give it.
pub type Named<'a> = (String, &'a Value);

/// A pod's containers as admission sees them: `(regular, init)`. An Argo workflow pod
/// (`argo` holds its template and the executor container) also has the containers the
/// controller adds ([`executor_containers`]).
pub fn admitted<'a>(
    containers: Vec<Named<'a>>,
    argo: Option<(&Value, &'a Value)>,
) -> (Vec<Named<'a>>, Vec<Named<'a>>) {
    let (mut inits, mut running): (Vec<_>, Vec<_>) = containers
        .into_iter()
        .partition(|(name, _)| name.contains("initContainers["));
    if let Some((template, executor)) = argo {
        for (injected, init) in executor_containers(template, executor) {
            if init {
                inits.push(injected);
            } else {
                running.push(injected);
            }
        }
    }
    (running, inits)
}

/// The containers the Argo controller adds to the pod of one workflow template, each as the
/// `executor` container value and whether it is an init container: `wait` in every pod,
/// `init` when the template has input artifacts.
pub fn executor_containers<'a>(template: &Value, executor: &'a Value) -> Vec<(Named<'a>, bool)> {
    let mut out = vec![(("Argo's `wait` container".to_owned(), executor), false)];
    let artifacts = template
        .pointer("/inputs/artifacts")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    if artifacts {
        out.push((("Argo's `init` container".to_owned(), executor), true));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The LimitRange's verdict, then the quota's: what admission says of one pod.
    fn refusal(
        pod: &str,
        running: &[Named<'_>],
        inits: &[Named<'_>],
        lr: &Limits,
        quota: &Quota,
        quota_name: &str,
    ) -> Option<String> {
        let sized = Sized::new(running, inits, lr);
        sized
            .limit_range_refusal()
            .or_else(|| sized.quota_refusal(pod, quota, quota_name))
    }

    fn lr() -> Limits {
        Limits {
            default_request: [Some(100), Some(64 << 20 << 10)],
            default: [Some(500), Some(512 << 20 << 10)],
            ..Limits::default()
        }
    }

    /// Argo adds `wait` to every pod and `init` only when the template downloads input
    /// artifacts; both carry the executor's resources.
    #[test]
    fn argo_adds_its_executor_containers() {
        let main = json!({"resources": {"requests": {"cpu": "1"}, "limits": {"cpu": "1"}}});
        let executor = json!({"resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "2"}}});
        let plain = json!({"name": "t"});
        let (running, inits) = admitted(vec![("main".into(), &main)], Some((&plain, &executor)));
        assert_eq!(running.len(), 2);
        assert!(inits.is_empty());
        let fp = Footprint::of(&running, &inits, &lr());
        assert_eq!(fp.requests[0], Some(3000));

        let fetch = json!({"name": "t", "inputs": {"artifacts": [{"name": "a"}]}});
        let (running, inits) = admitted(vec![("main".into(), &main)], Some((&fetch, &executor)));
        assert_eq!(inits[0].0, "Argo's `init` container");
        // The init container runs alone before the others: the pod needs the larger of the
        // two phases, not their sum.
        let fp = Footprint::of(&running, &inits, &lr());
        assert_eq!(fp.requests[0], Some(3000));
        let quota = Quota {
            requests: [Some(2500), None],
            limits: [None, None],
        };
        let why = refusal("the pod", &running, &inits, &lr(), &quota, "q").expect("refused");
        assert_eq!(
            why,
            "the pod needs requests.cpu 3 for one pod; q allows 2500m"
        );
    }

    #[test]
    fn pods_at_once_is_bounded_by_the_tightest_resource() {
        let fp = Footprint {
            requests: [Some(200), Some(192 << 20 << 10)],
            limits: [Some(1000), Some(1 << 30 << 10)],
        };
        let quota = Quota {
            requests: [Some(1000), Some(2 << 30 << 10)],
            limits: [Some(2000), Some(4 << 30 << 10)],
        };
        let (n, why) = fp.pods_in(&quota).expect("bounded");
        assert_eq!(n, 2);
        assert_eq!(why, "limits.cpu 1 per pod against 2");
        assert_eq!(fp.pods_in(&Quota::default()), None);
    }

    #[test]
    fn limit_range_min_and_ratio() {
        let strict = Limits {
            min: [Some(50), None],
            ratio: [Some(4000), None],
            ..lr()
        };
        let small = json!({"resources": {"requests": {"cpu": "10m"}}});
        let why = refusal(
            "p",
            &[("c".into(), &small)],
            &[],
            &strict,
            &Quota::default(),
            "q",
        );
        assert_eq!(
            why.as_deref(),
            Some("c asks for requests.cpu 10m in one container; the LimitRange's minimum is 50m")
        );
        let bursty = json!({"resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": "400m"}}});
        let ok = refusal(
            "p",
            &[("c".into(), &bursty)],
            &[],
            &strict,
            &Quota::default(),
            "q",
        );
        assert_eq!(ok, None, "a ratio of exactly 4 is allowed");
        let over = json!({"resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": "401m"}}});
        assert!(refusal(
            "p",
            &[("c".into(), &over)],
            &[],
            &strict,
            &Quota::default(),
            "q"
        )
        .is_some_and(|w| w.contains("maxLimitRequestRatio is 4")));
    }
}
