//! A container image has no tag or uses :latest.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "image-not-pinned",
    family: Family::Workloads,
    severity: Severity::Error,
    summary: "A container image has no tag or uses :latest.",
    doc: "## What it does\nReports images without a tag or digest, or tagged `latest`. Images built from workflow parameters (`{{…}}`) are skipped.\n\n## Why is this bad?\nThe same manifest deploys different code on every pull; rollbacks do not roll back.\n\n## Example\n```yaml\nimage: nginx:latest\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.docs.iter().enumerate() {
        for k in containers(d) {
            let Some(image) = k.value.get("image").and_then(Value::as_str) else {
                continue;
            };
            if let Some(problem) = image_problem(image) {
                out.push(Hit::new(
                    i,
                    format!("{}/image", k.pointer()),
                    format!("container `{}` image `{image}` {problem}", k.name()),
                ));
            }
        }
    }
}

/// Why an image reference is not pinned, if it is not.
pub fn image_problem(image: &str) -> Option<&'static str> {
    if image.contains("{{") || image.contains('@') {
        return None;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        None => Some("has no tag"),
        Some((_, "latest")) => Some("uses the `latest` tag"),
        Some(_) => None,
    }
}
