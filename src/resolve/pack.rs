//! An environment's policy pack: the version its pin selects, with the `overrides` of the
//! environment's `extends` chain laid over the pack's spec, and the merged spec checked as a
//! whole (a merge can complete or break what each file's own schema check passed).

use semver::{Version, VersionReq};
use serde::Deserialize;

use crate::diagnostic::{did_you_mean, Diagnostic, Diagnostics};
use crate::inputs::{EnvInput, Inputs, PackInput};
use crate::model::{LintSpec, PackSpec};
use crate::schema::{self, InputSchema};
use crate::source::{pointer_push, Target};

use super::overlay::Layered;
use super::{error_in, workflows};

/// The pack an environment renders with.
pub(super) struct EnvPack<'a> {
    /// Index of the chosen version in `Inputs::packs`.
    pub index: usize,
    pub input: &'a PackInput,
    /// The merged spec, each value with the file that wrote it (errors and `explain`).
    pub layers: Layered,
    pub spec: PackSpec,
}

/// Where the pin came from: the environment's `policyPack` (errors point at it) or the
/// command line's `--pack`.
pub(super) enum Pin<'a> {
    Environment { pin: &'a str, settings: &'a Layered },
    CommandLine(&'a str),
}

/// The pack `pin` selects for environment `env` (whose `extends` chain is `chain`, base
/// first), its spec merged with the chain's `overrides` and checked.
pub(super) fn for_environment<'a>(
    inputs: &'a Inputs,
    env: &str,
    chain: &[&EnvInput],
    pin: Pin<'_>,
) -> Result<EnvPack<'a>, Diagnostics> {
    let (index, input) = select(inputs, pin)?;
    let (layers, written) = with_overrides(input, chain);
    check_merged(inputs, env, input, &layers)?;
    let mut spec = PackSpec::deserialize(&layers.value).map_err(|e| {
        Diagnostics::from(inputs.error_at(
            "invalid-value",
            format!("pack {}: {e}", input.label()),
            input.source,
            "/spec",
            Target::Key,
        ))
    })?;
    if let Some(wf) = &mut spec.workflows {
        workflows::order_file_types(inputs, &written, wf);
    }
    if let Some(lint) = &spec.lint {
        let problems = check_lint_rules(inputs, lint, &layers);
        if !problems.is_empty() {
            return Err(problems.sorted());
        }
    }
    if let Some(wf) = &spec.workflows {
        let problems = workflows::check_pack(inputs, input, wf, &layers);
        if !problems.is_empty() {
            return Err(problems.sorted());
        }
    }
    Ok(EnvPack {
        index,
        input,
        layers,
        spec,
    })
}

/// The pack's spec with each chain file's `overrides` over it, and the layers as written
/// (the order of `byFileType`'s patterns is read from the files).
fn with_overrides<'a>(
    pack: &'a PackInput,
    chain: &[&'a EnvInput],
) -> (Layered, Vec<workflows::Layer<'a>>) {
    let mut layers = Layered::from_file(&pack.spec, pack.source, "/spec");
    let mut written = vec![workflows::Layer {
        source: pack.source,
        value: &pack.spec,
        pointer: "/spec",
    }];
    for file in chain {
        if let Some(over) = file.spec.get("overrides") {
            layers.overlay_file(over, file.source, "/spec/overrides");
            written.push(workflows::Layer {
                source: file.source,
                value: over,
                pointer: "/spec/overrides",
            });
        }
    }
    (layers, written)
}

/// Check the merged spec against the pack schema, and the parts the schema leaves to
/// upstream schemas (the artifact repository, the executor's securityContext); each
/// violation at the layer that wrote the value.
fn check_merged(
    inputs: &Inputs,
    env: &str,
    pack: &PackInput,
    layers: &Layered,
) -> Result<(), Diagnostics> {
    // Violations of the part of the spec under `at`, checked against `schema_name`.
    let refuse = |violations: Vec<schema::Violation>, at: &str, field: &str, schema_name: &str| {
        let mut diags = Diagnostics::new();
        for v in violations {
            let mut d = Diagnostic::error(
                v.code,
                format!(
                    "{field}{} ({schema_name}in pack {} after the overrides of `{env}`)",
                    v.message,
                    pack.label()
                ),
            );
            if let Some(h) = v.help {
                d = d.help(h);
            }
            let pointer = format!("{at}{}", v.pointer);
            diags.push(error_in(inputs, layers, &pointer, v.target, d));
        }
        Err(diags.sorted())
    };
    let violations = schema::validate(InputSchema::PackSpec, &layers.value);
    if !violations.is_empty() {
        return refuse(violations, "", "", "");
    }
    // The parts the pack schema leaves to upstream schemas: (where, checked by, named as).
    type Check = fn(&serde_json::Value) -> Vec<schema::Violation>;
    let upstream: [(&str, Check, &str); 2] = [
        (
            "/workflows/artifactRepository",
            schema::validate_artifact_repository,
            "Argo Workflows' ArtifactRepository; ",
        ),
        (
            "/workflows/executor/securityContext",
            schema::validate_security_context,
            "a container securityContext; ",
        ),
    ];
    for (at, check, schema_name) in upstream {
        let Some(part) = layers.value.pointer(at) else {
            continue;
        };
        let violations = check(part);
        if !violations.is_empty() {
            let field = format!("{}: ", at.trim_start_matches('/').replace('/', "."));
            return refuse(violations, at, &field, schema_name);
        }
    }
    Ok(())
}

/// The newest pack version matching the pin (`name@1.2.0` exact, `name@^1.1` range).
fn select<'a>(inputs: &'a Inputs, pin: Pin<'_>) -> Result<(usize, &'a PackInput), Diagnostics> {
    let (pin, settings) = match pin {
        Pin::Environment { pin, settings } => (pin, Some(settings)),
        Pin::CommandLine(pin) => (pin, None),
    };
    let fail = |code: &'static str, msg: String, help: Option<String>| -> Diagnostics {
        let mut d = Diagnostic::error(code, msg);
        if let Some(h) = help {
            d = d.help(h);
        }
        match settings {
            Some(m) => error_in(inputs, m, "/policyPack", Target::Value, d).into(),
            None => d.note("pinned by --pack").into(),
        }
    };
    let (name, req) = pin.split_once('@').unwrap_or((pin, ""));
    let matcher: Box<dyn Fn(&Version) -> bool> = match Version::parse(req) {
        Ok(exact) => Box::new(move |v| *v == exact),
        Err(_) => match VersionReq::parse(req) {
            Ok(r) => Box::new(move |v| r.matches(v)),
            Err(e) => {
                return Err(fail(
                    "invalid-pin",
                    format!("`{pin}` is not a valid pack pin: {e}"),
                    Some("write NAME@VERSION (exact, e.g. platform@1.2.0) or NAME@RANGE (e.g. platform@^1.1)".into()),
                ))
            }
        },
    };
    let versions: Vec<(usize, &PackInput)> = inputs
        .packs
        .iter()
        .enumerate()
        .filter(|(_, p)| p.name == name)
        .collect();
    if versions.is_empty() {
        let names: std::collections::BTreeSet<&str> =
            inputs.packs.iter().map(|p| p.name.as_str()).collect();
        return Err(fail(
            "unknown-pack",
            format!("no policy pack named `{name}`"),
            Some(format!(
                "packs: {}",
                names.into_iter().collect::<Vec<_>>().join(", ")
            )),
        ));
    }
    versions
        .iter()
        .rev()
        .find(|(_, p)| matcher(&p.version))
        .copied()
        .ok_or_else(|| {
            let have: Vec<String> = versions
                .iter()
                .map(|(_, p)| p.version.to_string())
                .collect();
            fail(
                "no-matching-pack",
                format!("no version of pack `{name}` matches `{pin}`"),
                Some(format!("available versions: {}", have.join(", "))),
            )
        })
}

/// Every rule id a pack's `lint` section names must exist.
fn check_lint_rules(inputs: &Inputs, lint: &LintSpec, layers: &Layered) -> Diagnostics {
    let ids: Vec<&str> = crate::lint::RULES.iter().map(|r| r.id).collect();
    let mut diags = Diagnostics::new();
    let unknown = |id: &str| {
        let mut d = Diagnostic::error("unknown-rule", format!("there is no lint rule `{id}`"))
            .note("`gitops-render rules` lists them");
        if let Some(s) = did_you_mean(id, ids.iter().copied()) {
            d = d.help(format!("did you mean `{s}`?"));
        }
        d
    };
    for id in lint.rules.keys() {
        if !ids.contains(&id.as_str()) {
            diags.push(error_in(
                inputs,
                layers,
                &pointer_push("/lint/rules", id),
                Target::Key,
                unknown(id),
            ));
        }
    }
    for (i, w) in lint.waivers.iter().enumerate() {
        if !ids.contains(&w.rule.as_str()) {
            diags.push(error_in(
                inputs,
                layers,
                &format!("/lint/waivers/{i}/rule"),
                Target::Value,
                unknown(&w.rule),
            ));
        }
    }
    diags
}
