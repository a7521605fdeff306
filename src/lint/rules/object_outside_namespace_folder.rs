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
    let kinds = c.kinds_index();
    let is_namespace: Vec<bool> = kinds.present().map(|(_, k)| k == "Namespace").collect();
    // A folder's files come one after another: whether it is a namespace's is looked up
    // once per run of them.
    let mut last: Option<(&str, bool)> = None;
    for (i, d) in c.docs.iter().enumerate() {
        let Some(folder) = c
            .path(i)
            .rsplit_once('/')
            .and_then(|(dir, _)| dir.rsplit('/').next())
        else {
            continue;
        };
        let of_namespace = match last {
            Some((at, is)) if at == folder => is,
            _ => {
                let is = namespaces.contains_key(folder);
                last = Some((folder, is));
                is
            }
        };
        if !of_namespace {
            continue;
        }
        let own = if is_namespace[kinds.number(i)] {
            d.name()
        } else {
            kinds.namespace_of(i)
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
