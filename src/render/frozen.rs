//! Plan values that many tenants share, as templates see them. A pack role's rules are one
//! value behind an `Arc` in every tenant's plan that binds the role, yet each tenant's
//! context converted them into template values again (`Value::from_serialize` copies), and
//! each `{{ role.rules | tojson }}` wrote them out again: at N tenants, N conversions and N
//! JSON texts of the same few values. A [`Frozen`] value is converted once, the first time
//! a context holds it, and every context after holds that same template value; `tojson`
//! writes it once ([`json`]).
//!
//! Sound because a template sees the same thing either way: the template value is the
//! conversion of the very value the plan holds (which nothing changes once frozen), and the
//! object that carries it answers every question a template can ask of a sequence or a
//! mapping (its kind, length, items, keys in order, lookups, truth, text) with the
//! converted value's answer. Outside a template context (`plan --json`, `explain`) it
//! serializes as the value itself.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use minijinja::value::{Enumerator, Object, ObjectRepr, Value as JinjaValue, ValueKind};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value shared by many tenants' plans, with its template value made once.
pub struct Frozen<T> {
    value: T,
    seen: OnceLock<JinjaValue>,
}

impl<T> Frozen<T> {
    pub fn new(value: T) -> Frozen<T> {
        Frozen {
            value,
            seen: OnceLock::new(),
        }
    }
}

impl<T: Serialize> Frozen<T> {
    /// The value as templates see it: one template value for every context that holds it.
    fn template_value(&self) -> &JinjaValue {
        self.seen.get_or_init(|| {
            let value = JinjaValue::from_serialize(&self.value);
            match value.kind() {
                ValueKind::Seq | ValueKind::Map => JinjaValue::from_object(Seen {
                    value,
                    json: OnceLock::new(),
                }),
                // Nothing to share in a scalar.
                _ => value,
            }
        })
    }
}

impl<T> Deref for Frozen<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// In a template context, the template value made once; anywhere else, the value.
impl<T: Serialize> Serialize for Frozen<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if minijinja::value::serializing_for_value() {
            self.template_value().serialize(serializer)
        } else {
            self.value.serialize(serializer)
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Frozen<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Frozen::new)
    }
}

impl<T: Clone> Clone for Frozen<T> {
    fn clone(&self) -> Frozen<T> {
        Frozen::new(self.value.clone())
    }
}

impl<T: fmt::Debug> fmt::Debug for Frozen<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<T: PartialEq> PartialEq for Frozen<T> {
    fn eq(&self, other: &Frozen<T>) -> bool {
        self.value == other.value
    }
}

impl<T: Eq> Eq for Frozen<T> {}

impl<T: Hash> Hash for Frozen<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.value.hash(state);
    }
}

/// A frozen sequence or mapping in templates: the converted value, answered for, and its
/// JSON once written.
#[derive(Debug)]
struct Seen {
    value: JinjaValue,
    /// Its JSON, as a template value (a clone shares the text).
    json: OnceLock<JinjaValue>,
}

impl Object for Seen {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        match self.value.kind() {
            ValueKind::Seq => ObjectRepr::Seq,
            _ => ObjectRepr::Map,
        }
    }

    fn get_value(self: &Arc<Self>, key: &JinjaValue) -> Option<JinjaValue> {
        self.value.as_object()?.get_value(key)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        match self.value.try_iter() {
            Ok(items) => Enumerator::Iter(Box::new(items)),
            Err(_) => Enumerator::NonEnumerable,
        }
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        self.value.len()
    }

    fn is_true(self: &Arc<Self>) -> bool {
        self.value.is_true()
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.value, f)
    }
}

/// The compact JSON of `value`, written once for a frozen value.
pub fn json(value: &JinjaValue) -> Result<JinjaValue, serde_json::Error> {
    let Some(seen) = value.downcast_object_ref::<Seen>() else {
        return serde_json::to_string(value).map(JinjaValue::from);
    };
    if let Some(text) = seen.json.get() {
        return Ok(text.clone());
    }
    let text = JinjaValue::from(serde_json::to_string(&seen.value)?);
    Ok(seen.json.get_or_init(|| text).clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::TemplateFile;
    use crate::render::Engine;
    use serde_json::json;

    /// What templates ask of sequences and mappings, each line one question.
    const QUESTIONS: &str = r#"{{ x | tojson }}|{{ x | tojson(2) }}|{{ x | length }}
{% for r in x %}{{ loop.index }}:{{ r | tojson }};{% endfor %}
{{ x[0] | tojson }}|{{ x[1].verbs | join(",") }}|{{ x | first | tojson }}|{{ x | last | tojson }}
{{ x is sequence }}|{{ x is mapping }}|{{ x is iterable }}|{% if x %}t{% else %}f{% endif %}
{{ x == y }}|{{ x != y }}|{{ x | list | tojson }}|{{ x | map(attribute="verbs") | list | tojson }}
{{ x }}|{{ x | string }}|{{ x | select("mapping") | list | length }}
{{ m | tojson }}|{{ m.profile }}|{{ m["allowDNS"] }}|{{ m.missing is defined }}|{{ m | length }}
{% for k, v in m | items %}{{ k }}={{ v | tojson }};{% endfor %}
{% for k in m %}{{ k }},{% endfor %}|{{ m | dictsort | tojson }}
{{ m is mapping }}|{{ m == n }}|{{ m }}|{% if m %}t{% endif %}|{{ m.egress | tojson }}
{{ e | tojson }}|{{ e | length }}|{% if e %}t{% else %}f{% endif %}|{{ e is sequence }}
"#;

    fn engine() -> Engine {
        let file = TemplateFile {
            name: "t".to_owned(),
            path: "t".to_owned(),
            text: QUESTIONS.to_owned(),
        };
        Engine::new(&[&[file]]).expect("the template compiles")
    }

    fn rules() -> serde_json::Value {
        json!([
            {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list"]},
            {"apiGroups": ["argoproj.io"], "resources": ["workflows"], "verbs": ["create"]},
        ])
    }

    fn network() -> serde_json::Value {
        json!({"profile": "restricted", "allowDNS": true, "egress": [{"to": "10.0.0.0/8"}],
               "defaultDeny": true, "zeta": null})
    }

    /// A context holding `x`, `m` and `e` as `wrap` gives them, and `y`, `n` plain.
    fn answers(wrap: impl Fn(serde_json::Value) -> JinjaValue) -> String {
        let ctx = minijinja::context! {
            x => wrap(rules()),
            m => wrap(network()),
            e => wrap(json!([])),
            y => JinjaValue::from_serialize(rules()),
            n => JinjaValue::from_serialize(network()),
        };
        engine().render("t", &ctx, "a test").expect("renders")
    }

    /// A frozen value answers every question as the value converted for each context does,
    /// `tojson` included, the first time and every time after (written once).
    #[test]
    fn a_frozen_value_is_what_templates_saw_of_the_value() {
        let plain = answers(JinjaValue::from_serialize);
        let rules = Arc::new(Frozen::new(rules()));
        let network = Arc::new(Frozen::new(network()));
        let empty = Arc::new(Frozen::new(json!([])));
        let frozen = |v: serde_json::Value| {
            let held = [&rules, &network, &empty]
                .into_iter()
                .find(|f| ****f == v)
                .expect("one of the frozen values");
            // As a plan holds it: a field of a struct a context is made from.
            JinjaValue::from_serialize(&[Arc::clone(held)])
                .get_item_by_index(0)
                .expect("the first item")
        };
        assert_eq!(answers(frozen), plain);
        assert_eq!(answers(frozen), plain, "once its JSON is written");
        assert!(plain.contains("\"pods/log\""), "{plain}");
    }

    /// Every context holds the one template value, and serialized anywhere but for a
    /// template it is the value itself.
    #[test]
    fn every_context_holds_one_template_value() {
        let rules = Arc::new(Frozen::new(rules()));
        let first = JinjaValue::from_serialize(&rules);
        let second = JinjaValue::from_serialize(vec![Arc::clone(&rules)]);
        let second = second.get_item_by_index(0).expect("the first item");
        assert!(minijinja::tests::is_sameas(&first, &second));
        assert!(!minijinja::tests::is_sameas(
            &first,
            &JinjaValue::from_serialize(super::tests::rules())
        ));
        assert_eq!(
            serde_json::to_value(&*rules).expect("serializes"),
            super::tests::rules()
        );
        assert_eq!(
            serde_json::to_string(&rules).expect("serializes"),
            serde_json::to_string(&super::tests::rules()).expect("serializes")
        );
    }
}
