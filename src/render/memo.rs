//! What a template produced, kept per template and the values it read, so that the next
//! tenant whose context has the same values there gets the same documents without running
//! the template or parsing its output again.
//!
//! A tenant's WorkflowTemplates read the workflow's plan, the tenant's tier and the pack, not
//! the tenant's name or namespace (the stamp puts those on afterwards), so at N tenants most
//! of them are N renders of the same few inputs. Sound because a minijinja template's output
//! is a function of the variables it looks up (engine globals are the same for every render
//! of one engine, and no template reaches the file system, the clock or the environment):
//! the paths it reads are found statically ([`minijinja::Template::undeclared_variables`]
//! with nested lookups), over the template and every template it includes, imports or
//! extends, and the key holds the value found at each path — the whole parent value where a
//! path goes through something that is not a mapping key (a method call, an index, a
//! missing key), so nothing a lookup could see is left out of the key. A template that names
//! another by an expression, or calls `debug()` (which prints the whole context), is never
//! memoised. Only successful renders are kept; errors are rendered, and worded, per tenant.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use hashbrown::DefaultHashBuilder;

use minijinja::value::ValueKind;
use minijinja::{Environment, Value as JinjaValue};

use crate::manifest::Unstamped;

/// Distinct inputs kept per template. A template that reads something every tenant has its
/// own of (the namespace) fills this without a hit and is then no longer looked up.
const KEYS_PER_TEMPLATE: usize = 64;
/// Bytes of template output kept over all templates of an engine: the cache may never be
/// what exhausts memory (one render may produce up to [`super::MAX_OUTPUT_BYTES`]).
const MAX_KEPT_BYTES: usize = 16 << 20;

/// The documents templates produced, by template and the values they read.
#[derive(Default)]
pub struct Memo {
    /// Template name → the sorted context paths it (and what it reaches) reads, or `None`
    /// when it cannot be memoised.
    reads: Keyed<Option<Vec<String>>>,
    kept: Mutex<Kept>,
    spelled: Spelled,
}

/// Keys' parts already spelled out, by path and the very value read there. Every tenant's
/// context holds the same pack and environment values (one object, shared), and spelling
/// the pack's workflow settings out for each tenant was two thirds of the bytes of all keys.
/// A value is the same object only while it lives, and each kept here is held, so a match
/// is the value itself, not one that took its place in memory.
#[derive(Default)]
struct Spelled(Mutex<Keyed<Vec<(JinjaValue, String)>>>);

/// A map by template name, path or key text. Keys are whole spelled-out inputs (hundreds of
/// bytes) hashed for every template of every tenant: hashbrown's default hasher (foldhash,
/// as the lint rules use) rather than SipHash. With the path no longer copied for each
/// lookup in [`Spelled`], `render --stdout --no-lint` at N = 10,000 took 6% less CPU.
type Keyed<V> = HashMap<String, V, DefaultHashBuilder>;

/// Values spelled out and kept per path. A path that reads a per-tenant value (a tenant's
/// network plan) fills this at once and then only looks.
const SPELLED_PER_PATH: usize = 4;

impl Spelled {
    /// Append `value`'s spelling, the kept one when `value` is an object already spelled
    /// at `path`.
    fn append(&self, path: &str, value: &JinjaValue, out: &mut String) -> Option<()> {
        if value.as_object().is_none() {
            out.push_str(&serde_json::to_string(value).ok()?);
            return Some(());
        }
        let spelled = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let at_path = spelled.get(path).map_or(&[][..], Vec::as_slice);
        if let Some((_, text)) = at_path
            .iter()
            .find(|(kept, _)| minijinja::tests::is_sameas(kept, value))
        {
            out.push_str(text);
            return Some(());
        }
        let full = at_path.len() >= SPELLED_PER_PATH;
        drop(spelled);
        let text = serde_json::to_string(value).ok()?;
        out.push_str(&text);
        if !full {
            let mut spelled = self.0.lock().unwrap_or_else(|e| e.into_inner());
            let at_path = spelled.entry(path.to_owned()).or_default();
            if at_path.len() < SPELLED_PER_PATH {
                at_path.push((value.clone(), text));
            }
        }
        Some(())
    }
}

/// A template's documents as [`Memo::shared`] gives them.
pub struct Shared {
    pub docs: Arc<Unstamped>,
    /// They are the memo's: held for the engine's life, so the same `Arc` is the same
    /// documents (another render's cannot take their place in memory).
    pub kept: bool,
}

#[derive(Default)]
struct Kept {
    slots: Keyed<Slot>,
    bytes: usize,
}

#[derive(Default)]
struct Slot {
    docs: Keyed<Arc<Unstamped>>,
    hits: usize,
}

impl Slot {
    /// Full of keys nobody asked for twice: the template reads something per tenant.
    fn spent(&self) -> bool {
        self.docs.len() >= KEYS_PER_TEMPLATE && self.hits < self.docs.len()
    }
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo").field("reads", &self.reads).finish()
    }
}

impl Memo {
    /// What each of `sources` (template name and text, all compiled into `env`) reads.
    pub fn new<'a>(
        env: &Environment<'_>,
        sources: impl Iterator<Item = (&'a str, &'a str)>,
    ) -> Memo {
        let sources: HashMap<&str, &str> = sources.collect();
        let reads = sources
            .keys()
            .map(|name| (name.to_string(), reads_of(env, &sources, name)))
            .collect();
        Memo {
            reads,
            kept: Mutex::default(),
            spelled: Spelled::default(),
        }
    }

    /// The documents template `name` produces for `ctx`: kept ones when it produced them for
    /// the same values before, else `render`'s (kept when it succeeds). Shared, not copied:
    /// whether they are the kept ones says if the same documents may be known by identity.
    pub fn shared<E>(
        &self,
        name: &str,
        ctx: &JinjaValue,
        render: impl FnOnce() -> Result<(Unstamped, usize), E>,
    ) -> Result<Shared, E> {
        let key = self.key(name, ctx);
        if let Some(key) = &key {
            let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(slot) = kept.slots.get_mut(name) {
                if let Some(docs) = slot.docs.get(key) {
                    slot.hits += 1;
                    return Ok(Shared {
                        docs: Arc::clone(docs),
                        kept: true,
                    });
                }
            }
        }
        let (docs, bytes) = render()?;
        let docs = Arc::new(docs);
        let mut is_kept = false;
        if let Some(key) = key {
            let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
            let kept = &mut *kept;
            let slot = kept.slots.entry(name.to_owned()).or_default();
            if slot.docs.len() < KEYS_PER_TEMPLATE && kept.bytes + bytes <= MAX_KEPT_BYTES {
                kept.bytes += bytes;
                slot.docs.insert(key, Arc::clone(&docs));
                is_kept = true;
            }
        }
        Ok(Shared {
            docs,
            kept: is_kept,
        })
    }

    /// The values template `name` would read in `ctx`, as one string; `None` when it is not
    /// memoised (or no longer: see [`Slot::spent`]).
    fn key(&self, name: &str, ctx: &JinjaValue) -> Option<String> {
        let paths = self.reads.get(name)?.as_ref()?;
        {
            let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
            if kept.slots.get(name).is_some_and(Slot::spent) {
                return None;
            }
        }
        let mut key = String::new();
        for path in paths {
            key.push_str(path);
            key.push('=');
            read(ctx, path, &self.spelled, &mut key)?;
            key.push('\n');
        }
        Some(key)
    }
}

/// Append what a lookup of `path` in `ctx` can see: `U` when its first name is not in the
/// context (an engine global, a local of the template), else the kind and JSON of the value
/// at the longest prefix of `path` that is a chain of mapping keys.
fn read(ctx: &JinjaValue, path: &str, spelled: &Spelled, out: &mut String) -> Option<()> {
    let mut segments = path.split('.');
    let first = segments.next()?;
    let mut value = ctx.get_attr(first).ok()?;
    if value.is_undefined() {
        out.push('U');
        return Some(());
    }
    for segment in segments {
        if value.kind() != ValueKind::Map {
            break;
        }
        match value.get_attr(segment) {
            Ok(next) if !next.is_undefined() => value = next,
            _ => break,
        }
    }
    write!(out, "{:?}:", value.kind()).ok()?;
    spelled.append(path, &value, out)
}

/// The paths template `name` and every template it reaches read, sorted; `None` when a
/// template on the way names another by an expression, calls `debug()`, or is missing.
/// minijinja re-parses each source with the default syntax for this, the syntax the engine
/// compiles with (it sets no custom delimiters), so a template that compiled parses here.
fn reads_of(
    env: &Environment<'_>,
    sources: &HashMap<&str, &str>,
    name: &str,
) -> Option<Vec<String>> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![name.to_owned()];
    let mut paths = BTreeSet::new();
    while let Some(next) = todo.pop() {
        if !seen.insert(next.clone()) {
            continue;
        }
        let source = sources.get(next.as_str())?;
        let template = env.get_template(&next).ok()?;
        paths.extend(template.undeclared_variables(true));
        todo.extend(references(source)?);
    }
    if paths
        .iter()
        .any(|p| p == "debug" || p.starts_with("debug."))
    {
        return None;
    }
    Some(without_covered(paths))
}

/// `paths` without those below another of them (`pack.spec.workflows.artifactRepository`
/// next to `pack.spec.workflows`): the key holds the whole value found on the way to the
/// shorter one, and so everything below it.
fn without_covered(paths: BTreeSet<String>) -> Vec<String> {
    let extends = |path: &str, shorter: &str| {
        path.strip_prefix(shorter)
            .is_some_and(|rest| rest.starts_with('.'))
    };
    paths
        .iter()
        .filter(|path| !paths.iter().any(|shorter| extends(path, shorter)))
        .cloned()
        .collect()
}

/// The templates `text` names in `include`, `import`, `from` and `extends` statements;
/// `None` when one of them is named by anything but a lone string literal.
fn references(text: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("{%") {
        rest = &rest[at + 2..];
        let statement = rest.trim_start_matches(['-', '+']).trim_start();
        let word_end = statement
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(statement.len());
        if !matches!(
            &statement[..word_end],
            "include" | "import" | "from" | "extends"
        ) {
            continue;
        }
        let argument = statement[word_end..].trim_start();
        let quote = argument
            .chars()
            .next()
            .filter(|c| matches!(c, '"' | '\''))?;
        let end = argument[1..].find(quote)? + 1;
        let literal = &argument[1..end];
        if literal.contains('\\') {
            return None;
        }
        let after = argument[end + 1..].trim_start();
        let plain = [
            "%}", "-%}", "+%}", "as ", "import ", "ignore ", "with ", "without ",
        ]
        .iter()
        .any(|p| after.starts_with(p));
        if !plain {
            return None;
        }
        out.push(literal.to_owned());
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn memo(templates: &[(&'static str, &'static str)]) -> (Environment<'static>, Memo) {
        let mut env = Environment::new();
        for (name, text) in templates {
            env.add_template(name, text).expect("compiles");
        }
        let memo = Memo::new(&env, templates.iter().map(|(n, t)| (*n, *t)));
        (env, memo)
    }

    /// Render `name` through the memo; the flag says whether the template ran.
    fn render(env: &Environment<'_>, memo: &Memo, name: &str, ctx: JinjaValue) -> (String, bool) {
        let mut ran = false;
        let shared = memo
            .shared::<minijinja::Error>(name, &ctx, || {
                ran = true;
                let text = env.get_template(name)?.render(&ctx)?;
                Ok((
                    Unstamped::new(vec![Value::String(text.clone())]),
                    text.len(),
                ))
            })
            .expect("renders");
        (shared.docs[0].as_str().expect("a string").to_owned(), ran)
    }

    fn tenant(namespace: &str, tier: &str) -> JinjaValue {
        minijinja::context! { tenant => minijinja::context! { namespace, tier, labels => minijinja::context! { team => namespace } } }
    }

    #[test]
    fn a_template_that_reads_no_namespace_renders_once_per_tier() {
        let (env, memo) = memo(&[("wf", "cpu: {{ tenant.tier }}")]);
        assert_eq!(
            render(&env, &memo, "wf", tenant("a", "small")),
            ("cpu: small".into(), true)
        );
        assert_eq!(
            render(&env, &memo, "wf", tenant("b", "small")),
            ("cpu: small".into(), false)
        );
        assert_eq!(
            render(&env, &memo, "wf", tenant("c", "large")),
            ("cpu: large".into(), true)
        );
    }

    #[test]
    fn what_an_imported_macro_reads_is_part_of_the_key() {
        let (env, memo) = memo(&[
            (
                "_lib",
                "{% macro ns() %}{{ tenant.namespace }}{% endmacro %}",
            ),
            (
                "wf",
                "{% import \"_lib\" as lib %}ns: {{ lib.ns() }} {{ tenant.tier }}",
            ),
        ]);
        assert!(render(&env, &memo, "wf", tenant("a", "small")).1);
        let (text, ran) = render(&env, &memo, "wf", tenant("b", "small"));
        assert_eq!((text.as_str(), ran), ("ns: b small", true));
    }

    #[test]
    fn an_index_into_a_value_keys_on_the_whole_value() {
        let (env, memo) = memo(&[(
            "wf",
            "{% for k in tenant.labels|list %}{{ tenant.labels[k] }}{% endfor %}{{ tenant.labels.team }}",
        )]);
        assert_eq!(
            render(&env, &memo, "wf", tenant("a", "small")),
            ("aa".into(), true)
        );
        assert_eq!(
            render(&env, &memo, "wf", tenant("b", "small")),
            ("bb".into(), true)
        );
        assert_eq!(
            render(&env, &memo, "wf", tenant("b", "large")),
            ("bb".into(), false)
        );
    }

    #[test]
    fn templates_named_by_an_expression_or_calling_debug_are_not_kept() {
        let (env, memo) = memo(&[
            ("_a", "{{ tenant.namespace }}"),
            ("dynamic", "{% include '_' ~ 'a' %}{{ tenant.tier }}"),
            ("listed", "{% include ['_a'] %}"),
            ("debugging", "{{ tenant.tier }}{{ debug() is defined }}"),
        ]);
        for name in ["dynamic", "listed", "debugging"] {
            assert_eq!(memo.reads[name], None, "{name}");
        }
        render(&env, &memo, "dynamic", tenant("a", "small"));
        let (text, ran) = render(&env, &memo, "dynamic", tenant("b", "small"));
        assert_eq!((text.as_str(), ran), ("bsmall", true));
    }

    #[test]
    fn literal_references_are_followed_through_every_statement_form() {
        let refs = references(
            "{%- include \"a\" %}{% import 'b' as x %}{% from \"c\" import m %}{% extends \"d\" -%}\
             {% include \"e\" ignore missing %}{% if x %}{% endif %}",
        );
        assert_eq!(
            refs,
            Some(
                vec!["a", "b", "c", "d", "e"]
                    .into_iter()
                    .map(String::from)
                    .collect()
            )
        );
        assert_eq!(references("{% include name %}"), None);
        assert_eq!(references("{% include \"a\" if x else \"b\" %}"), None);
    }

    #[test]
    fn a_template_read_per_tenant_stops_being_looked_up() {
        let (env, memo) = memo(&[("ns", "name: {{ tenant.namespace }}")]);
        for i in 0..KEYS_PER_TEMPLATE + 8 {
            let (text, ran) = render(&env, &memo, "ns", tenant(&format!("t{i}"), "small"));
            assert_eq!((text, ran), (format!("name: t{i}"), true));
        }
        assert_eq!(memo.key("ns", &tenant("t0", "small")), None);
        assert_eq!(
            memo.kept.lock().expect("not poisoned").slots["ns"]
                .docs
                .len(),
            KEYS_PER_TEMPLATE
        );
    }

    #[test]
    fn paths_below_another_read_path_are_left_out() {
        let paths = ["a", "a.b", "a.b.c", "ab", "ab.c", "a-b", "x.y", "x.yz"]
            .map(String::from)
            .into_iter()
            .collect();
        assert_eq!(without_covered(paths), ["a", "a-b", "ab", "x.y", "x.yz"]);
    }

    /// One pack object shared by every tenant's context is spelled out once; another object
    /// with other values at the same path is spelled anew, and one with equal values gives
    /// the same key.
    #[test]
    fn a_shared_value_is_spelled_once_and_only_for_itself() {
        let (env, memo) = memo(&[(
            "repo",
            "{{ pack.spec.workflows.bucket }}{% if pack.spec.workflows %}!{% endif %}",
        )]);
        let pack = |bucket: &str| {
            minijinja::Value::from_serialize(
                serde_json::json!({"spec": {"workflows": {"bucket": bucket}}}),
            )
        };
        let shared = pack("b1");
        let ctx = |pack: &JinjaValue, ns: &str| {
            minijinja::context! { pack => pack.clone(), tenant => minijinja::context! { namespace => ns } }
        };
        assert_eq!(
            render(&env, &memo, "repo", ctx(&shared, "a")),
            ("b1!".into(), true)
        );
        assert_eq!(
            render(&env, &memo, "repo", ctx(&shared, "b")),
            ("b1!".into(), false)
        );
        let spelled = memo.spelled.0.lock().expect("not poisoned");
        assert_eq!(spelled.len(), 1, "one path: the one below it is covered");
        assert_eq!(spelled["pack.spec.workflows"].len(), 1);
        drop(spelled);
        assert_eq!(
            render(&env, &memo, "repo", ctx(&pack("b2"), "c")),
            ("b2!".into(), true)
        );
        assert_eq!(
            render(&env, &memo, "repo", ctx(&pack("b1"), "d")),
            ("b1!".into(), false)
        );
        assert_eq!(
            render(&env, &memo, "repo", ctx(&pack("b2"), "e")),
            ("b2!".into(), false)
        );
    }

    proptest::proptest! {
        /// Whatever order tenants come in, a memoised render is the render itself, with
        /// pack values shared between tenants or not.
        #[test]
        fn memoised_renders_equal_fresh_ones(
            tenants in proptest::collection::vec((0..6u8, 0..3u8, 0..2u8, 0..8usize), 1..40)
        ) {
            let templates = [
                ("_lib", "{% macro size(t) %}{{ t }}-{{ t|length }}{% endmacro %}"),
                ("tier", "{% import '_lib' as lib %}size: {{ lib.size(tenant.tier) }}"),
                ("labels", "{% for k in tenant.labels|sort %}{{ k }}={{ tenant.labels[k] }} {% endfor %}"),
                ("mixed", "{{ tenant.tier }}{% if tenant.labels.extra is defined %}+{{ tenant.labels.extra }}{% endif %}"),
                ("pack", "{{ pack.repo.bucket }}/{{ pack.repo|length }}/{{ tenant.tier }}"),
            ];
            let (env, memo) = memo(&templates);
            let packs: Vec<JinjaValue> = ["b0", "b1", "b0"]
                .iter()
                .map(|b| minijinja::Value::from_serialize(serde_json::json!({"repo": {"bucket": b}})))
                .collect();
            for (ns, tier, extra, which) in tenants {
                let mut labels = std::collections::BTreeMap::new();
                labels.insert("team", format!("t{}", ns % 2));
                if extra == 1 {
                    labels.insert("extra", format!("x{ns}"));
                }
                // Mostly one of three shared objects; else a new one, with its own values.
                let pack = packs.get(which).cloned().unwrap_or_else(|| {
                    minijinja::Value::from_serialize(
                        serde_json::json!({"repo": {"bucket": format!("n{which}"), "extra": which}}),
                    )
                });
                let ctx = minijinja::context! { pack, tenant => minijinja::context! {
                    namespace => format!("ns{ns}"), tier => format!("tier{tier}"), labels,
                } };
                for (name, _) in &templates[1..] {
                    let fresh = env.get_template(name).expect("exists").render(&ctx).expect("renders");
                    proptest::prop_assert_eq!(render(&env, &memo, name, ctx.clone()).0, fresh);
                }
            }
        }
    }
}
