//! `diff` between two states of the inputs renders only what can differ
//! (`diff::render_changes`). Held to the full render: for random changes to the example
//! estate, the report is the one two full renders give, byte for byte, and a failure
//! belongs to the same side. The examples check that it does render less.

mod common;

use gitops_render::diff::{self, render_changes, Files, Format, Options, Side, State};
use gitops_render::source::EstateFiles;
use proptest::prelude::*;
use serde_yaml::{Mapping, Value};

fn example() -> EstateFiles {
    EstateFiles::read_dir(&common::repo_root()).expect("the example estate reads")
}

fn state(files: &EstateFiles) -> State<'_> {
    State {
        files,
        pack_pin: None,
    }
}

/// The JSON report of a diff between two sets of files, as `diff --format json` prints it.
fn report(old: &Files, new: &Files) -> String {
    let same = diff::same_files(old, new);
    let old = diff::from_files(old, &[], &same).expect("rendered files parse");
    let new = diff::from_files(new, &[], &same).expect("rendered files parse");
    let opts = Options {
        context: 3,
        ignore: Vec::new(),
    };
    diff::render(Format::Json, &diff::diff(&old, &new, &opts), "base", false)
}

/// Both states rendered in full, as `render` does: the reference.
fn full(old: &EstateFiles, new: &EstateFiles) -> Result<(Files, Files), Side> {
    let render = |f: &EstateFiles| gitops_render::render_estate(f, &[]).map(|r| r.tree.files);
    Ok((
        render(old).map_err(|_| Side::Old)?,
        render(new).map_err(|_| Side::New)?,
    ))
}

fn edit_yaml(files: &mut EstateFiles, path: &str, change: impl FnOnce(&mut Mapping)) {
    let text = files.files.get(path).expect("file exists");
    let mut doc: Value = serde_yaml::from_str(text).expect("yaml");
    let spec = doc
        .get_mut("spec")
        .and_then(Value::as_mapping_mut)
        .expect("spec");
    change(spec);
    files
        .files
        .insert(path.to_owned(), serde_yaml::to_string(&doc).expect("yaml"));
}

fn tenants(spec: &mut Mapping) -> &mut Mapping {
    spec.entry("tenants".into())
        .or_insert_with(|| Value::Mapping(Mapping::new()))
        .as_mapping_mut()
        .expect("tenants")
}

const FILES: [&str; 5] = [
    "environments/_base.yaml",
    "environments/dev.yaml",
    "environments/staging.yaml",
    "environments/prod.yaml",
    "environments/local.yaml",
];
const TEAMS: [&str; 7] = [
    "backend",
    "frontend",
    "data",
    "ml",
    "integrations",
    "payments",
    "search",
];
const TIERS: [&str; 4] = ["micro", "small", "medium", "large"];

/// One change a pull request could make.
#[derive(Clone, Debug)]
enum Change {
    Tier(usize, usize, usize),
    Feature(usize, usize),
    Remove(usize, usize),
    Namespace(usize, usize, u8),
    Server(usize),
    PackOverride(usize),
    Template,
}

fn change() -> impl Strategy<Value = Change> {
    let file = 0..FILES.len();
    let team = 0..TEAMS.len();
    prop_oneof![
        4 => (file.clone(), team.clone(), 0..TIERS.len()).prop_map(|(f, t, x)| Change::Tier(f, t, x)),
        2 => (file.clone(), team.clone()).prop_map(|(f, t)| Change::Feature(f, t)),
        2 => (file.clone(), team.clone()).prop_map(|(f, t)| Change::Remove(f, t)),
        2 => (file.clone(), team.clone(), 0..3u8).prop_map(|(f, t, n)| Change::Namespace(f, t, n)),
        1 => file.clone().prop_map(Change::Server),
        1 => file.prop_map(Change::PackOverride),
        1 => Just(Change::Template),
    ]
}

fn apply(files: &mut EstateFiles, change: &Change) {
    let key = |i: usize| Value::from(TEAMS[i]);
    let entry = |spec: &mut Mapping, t: usize| -> Mapping {
        match tenants(spec).get(key(t)) {
            Some(Value::Mapping(m)) => m.clone(),
            _ => Mapping::new(),
        }
    };
    match *change {
        Change::Tier(f, t, x) => edit_yaml(files, FILES[f], |spec| {
            let mut e = entry(spec, t);
            e.insert("tier".into(), TIERS[x].into());
            tenants(spec).insert(key(t), Value::Mapping(e));
        }),
        Change::Feature(f, t) => edit_yaml(files, FILES[f], |spec| {
            let mut e = entry(spec, t);
            e.insert("features".into(), vec!["monitoring-enhanced"].into());
            tenants(spec).insert(key(t), Value::Mapping(e));
        }),
        Change::Remove(f, t) => edit_yaml(files, FILES[f], |spec| {
            tenants(spec).insert(key(t), Value::Null);
        }),
        // Namespaces that stay, move, or collide with another tenant's.
        Change::Namespace(f, t, n) => edit_yaml(files, FILES[f], |spec| {
            let mut e = entry(spec, t);
            let ns = ["team-moved", "shared-ns", "backend-dev"][usize::from(n)];
            e.insert("namespace".into(), ns.into());
            tenants(spec).insert(key(t), Value::Mapping(e));
        }),
        Change::Server(f) => edit_yaml(files, FILES[f], |spec| {
            let mut cluster = Mapping::new();
            cluster.insert("name".into(), "moved".into());
            cluster.insert("server".into(), "https://moved.example.com".into());
            spec.insert("cluster".into(), Value::Mapping(cluster));
        }),
        Change::PackOverride(f) => edit_yaml(files, FILES[f], |spec| {
            let overrides: Value =
                serde_yaml::from_str("{tiers: {small: {memory: 3Gi}}}").expect("yaml");
            spec.insert("overrides".into(), overrides);
        }),
        Change::Template => {
            let path = "templates/tenant/quota.yaml.j2";
            let text = files.files[path].clone();
            files
                .files
                .insert(path.to_owned(), format!("{{# edited #}}\n{text}"));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Whatever the change, rendering only where the states differ reports what two full
    /// renders report, and fails on the same side when one of them fails.
    #[test]
    fn the_delta_reports_what_two_full_renders_report(changes in prop::collection::vec(change(), 1..4)) {
        let old = example();
        let mut new = old.clone();
        for c in &changes {
            apply(&mut new, c);
        }
        let delta = render_changes(state(&old), state(&new), &[]).map_err(|(side, _)| side);
        match (full(&old, &new), delta) {
            (Ok((a, b)), Ok((x, y))) => prop_assert_eq!(report(&a, &b), report(&x, &y)),
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            (full, delta) => prop_assert!(
                false,
                "full render: {:?}, delta: {:?}",
                full.map(|_| "ok"),
                delta.map(|_| "ok")
            ),
        }
    }
}

fn delta(old: &EstateFiles, new: &EstateFiles) -> (Files, Files) {
    render_changes(state(old), state(new), &[]).expect("both states render")
}

#[test]
fn a_tier_change_renders_only_that_tenant() {
    let old = example();
    let mut new = old.clone();
    apply(&mut new, &Change::Tier(3, 2, 1)); // prod: data → small
    let (a, b) = delta(&old, &new);
    for files in [&a, &b] {
        assert!(!files.is_empty());
        assert!(
            files
                .keys()
                .all(|p| p.starts_with("prod/tenants/data-prod/")
                    || p.starts_with("prod/workflows/data-prod/")),
            "{:?}",
            files.keys().collect::<Vec<_>>()
        );
    }
    let (x, y) = full(&old, &new).expect("renders");
    assert_eq!(report(&a, &b), report(&x, &y));
    assert!(report(&a, &b).contains("data-prod"));
}

#[test]
fn no_change_renders_nothing() {
    let old = example();
    let (a, b) = delta(&old, &old.clone());
    assert!(a.is_empty() && b.is_empty());
}

#[test]
fn a_new_tenant_renders_the_environment_objects_that_list_it() {
    let old = example();
    let mut new = old.clone();
    apply(&mut new, &Change::Tier(1, 5, 0)); // dev: payments, a new team
    let (a, b) = delta(&old, &new);
    assert!(a.keys().all(|p| !p.contains("/tenants/")), "{:?}", a.keys());
    assert!(b.contains_key("dev/tenants/payments-dev/namespace-payments-dev.yaml"));
    assert!(b.contains_key("applicationsets/dev.yaml"), "{:?}", b.keys());
    assert!(!b.keys().any(|p| p.starts_with("prod/")), "{:?}", b.keys());
    let (x, y) = full(&old, &new).expect("renders");
    assert_eq!(report(&a, &b), report(&x, &y));
}

#[test]
fn a_changed_context_renders_the_environment_in_full() {
    let old = example();
    let mut new = old.clone();
    apply(&mut new, &Change::Server(3)); // prod's cluster
    let (a, b) = delta(&old, &new);
    let (x, y) = full(&old, &new).expect("renders");
    let prod = |f: &Files| f.keys().filter(|p| p.contains("prod")).count();
    assert_eq!((prod(&a), prod(&b)), (prod(&x), prod(&y)));
    assert!(!a.keys().any(|p| p.starts_with("dev/")), "{:?}", a.keys());
}
