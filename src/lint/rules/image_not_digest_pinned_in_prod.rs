//! A production container image is pinned by tag, not by digest.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "image-not-digest-pinned-in-prod",
    family: Family::Workloads,
    severity: Severity::Warning,
    summary: "A production container image is pinned by tag, not by digest.",
    doc: "## What it does\nReports images in production objects (environment label `prod`) that are not pinned by `@sha256:` digest.\n\n## Why is this bad?\nTags move; only a digest guarantees production runs what was tested.\n\n## Example\n```yaml\nimage: registry.example.com/app@sha256:0123…\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.docs.iter().enumerate() {
        for k in containers(d) {
            if !is_prod(d) {
                continue;
            }
            let Some(image) = k.value.get("image").and_then(Value::as_str) else {
                continue;
            };
            if !image.contains("@sha256:") && !image.contains("{{") {
                out.push(Hit::new(
                    i,
                    format!("{}/image", k.pointer()),
                    format!(
                        "container `{}` image `{image}` is not pinned by digest in production",
                        k.name()
                    ),
                ));
            }
        }
    }
}
