//! Criterion micro-benchmarks of the hot paths, on the repository's example estate (323
//! objects: 5 teams × 4 environments, two pack versions). `cargo bench --bench hot_paths`.
//!
//! The whole-process figures users feel are in `scripts/bench.sh`; these isolate one stage
//! each, so a change to the YAML reader, the templates, the emitter, the schemas or the diff
//! shows up here before it is diluted in an end-to-end run.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gitops_render::diff::{self, Options};
use gitops_render::manifest::to_canonical_yaml;
use gitops_render::source::{parse_documents, parse_documents_libyaml, EstateFiles};
use gitops_render::{render, render_estate, resolve, schema, Rendered};

/// The binary's allocator, so the figures are the ones the CLI reaches.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn example() -> (EstateFiles, Rendered) {
    let files = EstateFiles::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .expect("the example estate reads");
    let rendered = render_estate(&files, &[]).expect("the example estate renders");
    (files, rendered)
}

/// The largest rendered file: a WorkflowTemplate with its scripts as literal blocks.
fn largest_file(r: &Rendered) -> String {
    let bytes = r
        .tree
        .files
        .values()
        .max_by_key(|b| b.len())
        .expect("a rendered file");
    String::from_utf8(bytes.clone()).expect("UTF-8")
}

fn yaml_parse(c: &mut Criterion) {
    let (files, rendered) = example();
    let mut g = c.benchmark_group("yaml_parse");
    let workflow = largest_file(&rendered);
    g.throughput(Throughput::Bytes(workflow.len() as u64));
    g.bench_function("rendered_workflowtemplate", |b| {
        b.iter(|| parse_documents(black_box(&workflow)).expect("parses"))
    });
    // The same text through serde_yaml alone: what the subset reader saves.
    g.bench_function("rendered_workflowtemplate_libyaml", |b| {
        b.iter(|| parse_documents_libyaml(black_box(&workflow)).expect("parses"))
    });
    let env = &files.files["environments/prod.yaml"];
    g.throughput(Throughput::Bytes(env.len() as u64));
    g.bench_function("environment_overlay", |b| {
        b.iter(|| parse_documents(black_box(env)).expect("parses"))
    });
    g.finish();
}

fn template_render(c: &mut Criterion) {
    let (_, rendered) = example();
    let plan = resolve::resolve(
        &rendered.inputs,
        &resolve::Selection::default().with_provenance(),
    )
    .expect("resolves");
    let mut g = c.benchmark_group("template_render");
    g.throughput(Throughput::Elements(rendered.tree.files.len() as u64));
    // Templates compiled once per pack version, every tenant rendered and parsed back.
    g.bench_function("example_estate", |b| {
        b.iter(|| render::render(black_box(&rendered.inputs), &plan).expect("renders"))
    });
    g.finish();
}

fn canonical_emit(c: &mut Criterion) {
    let (_, rendered) = example();
    let values: Vec<_> = rendered
        .manifests
        .manifests
        .iter()
        .map(|m| m.value().into_owned())
        .collect();
    let mut g = c.benchmark_group("canonical_emit");
    g.throughput(Throughput::Elements(values.len() as u64));
    g.bench_function("example_estate", |b| {
        b.iter(|| {
            values
                .iter()
                .map(|v| to_canonical_yaml(black_box(v)).len())
                .sum::<usize>()
        })
    });
    g.finish();
}

fn schema_validation(c: &mut Criterion) {
    let (_, rendered) = example();
    let objects: Vec<_> = rendered
        .manifests
        .manifests
        .iter()
        .map(|m| {
            let value = m.value().into_owned();
            let api_version = value["apiVersion"].as_str().unwrap_or_default();
            let validator = schema::objects::validator(api_version, &m.id.kind)
                .expect("every rendered kind has a schema");
            (validator, value)
        })
        .collect();
    let mut g = c.benchmark_group("schema_validation");
    g.throughput(Throughput::Elements(objects.len() as u64));
    // Validators are compiled on first use (above) and shared: this is the per-object cost.
    g.bench_function("example_estate_strict", |b| {
        b.iter(|| {
            objects
                .iter()
                .filter(|(v, value)| v.is_valid(black_box(value)))
                .count()
        })
    });
    g.finish();
}

fn tree_diff(c: &mut Criterion) {
    let (files, rendered) = example();
    // A change of a prod tenant's tier and of the prod quota of the large tier.
    let mut changed = files.clone();
    let prod = changed
        .files
        .get_mut("environments/prod.yaml")
        .expect("prod overlay");
    *prod = prod.replacen("tier: medium", "tier: large", 1);
    *prod = prod.replacen("large: {cpu: \"12\"}", "large: {cpu: \"10\"}", 1);
    let older = render_estate(&changed, &[]).expect("renders");
    let same = diff::same_files(&older.tree.files, &rendered.tree.files);
    assert!(
        same.len() < rendered.tree.files.len(),
        "the change must change some files"
    );
    let mut g = c.benchmark_group("tree_diff");
    g.throughput(Throughput::Elements(rendered.tree.files.len() as u64));
    g.bench_function("same_files", |b| {
        b.iter(|| diff::same_files(black_box(&older.tree.files), &rendered.tree.files))
    });
    let opts = Options {
        context: 3,
        ignore: Vec::new(),
    };
    // What `diff` does after the byte comparison: parse the files that differ, compare objects.
    g.bench_function("tier_change_objects", |b| {
        b.iter(|| {
            let old = diff::from_files(&older.tree.files, &[], &same).expect("parses");
            let new = diff::from_files(&rendered.tree.files, &[], &same).expect("parses");
            diff::diff(&old, &new, &opts).len()
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    yaml_parse,
    template_render,
    canonical_emit,
    schema_validation,
    tree_diff
);
criterion_main!(benches);
