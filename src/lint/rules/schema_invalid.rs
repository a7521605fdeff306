//! Strict schema validation of every object whose kind has a schema.

use jsonschema::error::ValidationErrorKind;

use crate::source::pointer_push;

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "schema-invalid",
    family: Family::Schema,
    severity: Severity::Error,
    summary: "The object does not validate against its Kubernetes or Argo schema (unknown fields are errors).",
    doc: "## What it does\nValidates each object strictly against the schema of its apiVersion and kind: the Kubernetes schema (k8s-openapi, Kubernetes 1.34) or the upstream Argo Workflows / Argo CD CRD. Unknown fields are errors; int-or-string and quantity fields accept both forms.\n\n## Why is this bad?\nThe API server silently prunes unknown fields, so a typo (`imagePullPolicyy`, `contaner`) disappears without a trace and the setting you wrote never applies.\n\n## Example\n```yaml\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        imagePullPolicyy: Always\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, config: &LintConfig, out: &mut Vec<Hit>) {
    let hits: Vec<Vec<Hit>> = {
        use rayon::prelude::*;
        c.docs
            .par_iter()
            .enumerate()
            .filter(|(_, d)| d.id.is_some())
            .map(|(i, d)| {
                if config.is_valid(d.api_version(), d.kind(), &d.value) != Some(false) {
                    return Vec::new();
                }
                let Some(v) = config.validator(d.api_version(), d.kind()) else {
                    return Vec::new();
                };
                v.iter_errors(&d.value)
                    .flat_map(|e| {
                        let at = e.instance_path().as_str().to_owned();
                        match e.kind() {
                            // Point at each unknown key rather than at the mapping holding it.
                            ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
                                .iter()
                                .map(|k| {
                                    Hit::new(
                                        i,
                                        pointer_push(&at, k),
                                        format!(
                                            "unknown field `{k}` (not in the {} schema; the API server would drop it)",
                                            d.kind()
                                        ),
                                    )
                                })
                                .collect::<Vec<_>>(),
                            // The validator's message quotes the value: a Secret's is
                            // never printed.
                            _ if crate::source::is_secret_value(d.kind(), &at) => vec![Hit::new(
                                i,
                                at.clone(),
                                format!(
                                    "{} is not a valid {}: at `{at}`: the value is not of the type or form the schema requires (value redacted)",
                                    d.display(),
                                    d.kind(),
                                ),
                            )],
                            _ => vec![Hit::new(
                                i,
                                at.clone(),
                                format!(
                                    "{} is not a valid {}: at `{}`: {e}",
                                    d.display(),
                                    d.kind(),
                                    if at.is_empty() { "/" } else { at.as_str() }
                                ),
                            )],
                        }
                    })
                    .collect()
            })
            .collect()
    };
    out.extend(hits.into_iter().flatten());
}
