//! Objects live in their namespace's folder.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "object-outside-namespace-folder",
    family: Family::Hygiene,
    severity: Severity::Error,
    summary: "An object sits in the folder of one namespace but belongs to another.",
    doc: "## What it does\nWhen a file's folder is named after a Namespace of the tree, reports objects in it whose namespace (or, for a Namespace, name) differs.\n\n## Why is this bad?\nThe folder is synced by that tenant's Application: the object lands under the wrong owner, or out of the project's allowed destinations.\n\n## Example\n```yaml\n# gitops/prod/tenants/data-prod/configmap-x.yaml\nmetadata: {name: x, namespace: ml-prod}\n```",
    scope: Scope::Corpus(&[]),
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    let namespaces = c.namespaces();
    for (i, d) in c.docs.iter().enumerate() {
        let Some(folder) = c
            .path(i)
            .rsplit_once('/')
            .and_then(|(dir, _)| dir.rsplit('/').next())
        else {
            continue;
        };
        if !namespaces.contains_key(folder) {
            continue;
        }
        let own = if d.kind() == "Namespace" {
            d.name()
        } else {
            d.namespace()
        };
        if own.is_empty() || own == folder {
            continue;
        }
        out.push(Hit::new(
            i,
            "/metadata",
            format!("{} is in the folder of namespace `{folder}`", d.display()),
        ));
    }
}
