//! Problems found while reading input, before any rule runs. They are registered as rules so
//! they have ids, docs and severities like every other finding.

use super::prelude::*;

fn reported_by_reader(_: &Corpus, _: &LintConfig, _: &mut Vec<Hit>) {}

pub static INVALID_YAML: Rule = Rule {
    id: "invalid-yaml",
    family: Family::Schema,
    severity: Severity::Error,
    summary: "The file is not valid YAML (or nests too deep, or expands aliases too far).",
    doc: "## What it does\nReports YAML that does not parse, with the line and column where the parser stopped.\n\n## Why is this bad?\nArgo CD fails the whole application on one unparsable file.\n\n## Example\n```yaml\nmetadata: {name: web\n```",
    scope: Scope::File,
    check: reported_by_reader,
};

pub static DUPLICATE_KEY: Rule = Rule {
    id: "duplicate-key",
    family: Family::Schema,
    severity: Severity::Error,
    summary: "A mapping has the same key twice.",
    doc: "## What it does\nReports a key that appears twice in one mapping.\n\n## Why is this bad?\nParsers disagree on which value wins: kubectl keeps the last, others reject the file. Either way one value is silently lost.\n\n## Example\n```yaml\nspec:\n  replicas: 2\n  replicas: 3\n```",
    scope: Scope::File,
    check: reported_by_reader,
};

pub static NOT_AN_OBJECT: Rule = Rule {
    id: "not-an-object",
    family: Family::Schema,
    severity: Severity::Error,
    summary: "A YAML document is a scalar or a list, not a Kubernetes object.",
    doc: "## What it does\nReports documents that are not mappings.\n\n## Why is this bad?\nNothing can apply them; usually a stray `---` or an indentation slip.\n\n## Example\n```yaml\n---\n- just a list\n```",
    scope: Scope::File,
    check: reported_by_reader,
};

pub static MISSING_IDENTITY: Rule = Rule {
    id: "missing-identity",
    family: Family::Schema,
    severity: Severity::Error,
    summary: "An object has no apiVersion, kind or metadata.name.",
    doc: "## What it does\nReports objects missing `apiVersion`, `kind` or `metadata.name`.\n\n## Why is this bad?\nThe API server rejects them; Argo CD cannot track them.\n\n## Example\n```yaml\nkind: ConfigMap\nmetadata: {name: settings}\n```",
    scope: Scope::File,
    check: reported_by_reader,
};

pub static SYMLINK_OUT_OF_BOUNDS: Rule = Rule {
    id: "symlink-out-of-bounds",
    family: Family::Hygiene,
    severity: Severity::Error,
    summary: "A symlink in the linted directory points outside it, or nowhere.",
    doc: "## What it does\nReports symlinks whose target is outside the linted directory or does not exist. They are not followed. Links to YAML files inside the directory are read at the link's path, as Argo CD reads them.\n\n## Why is this bad?\nArgo CD refuses to generate manifests from a repository with out-of-bounds symlinks, and a dangling link is a file that silently is not there.\n\n## Example\n```text\napps/base.yaml -> ../../shared/base.yaml   # outside: reported\napps/alias.yaml -> base.yaml               # inside: read\n```",
    scope: Scope::File,
    check: reported_by_reader,
};

pub static WAIVER_EXPIRED: Rule = Rule {
    id: "waiver-expired",
    family: Family::Hygiene,
    severity: Severity::Error,
    summary: "A waiver in the pack's lint section is past its expiry date.",
    doc: "## What it does\nReports waivers (`spec.lint.waivers`) whose `expires` date has passed; the waived findings are reported again too.\n\n## Why is this bad?\nA waiver is a dated promise to fix something. An expired one means the promise was forgotten.\n\n## Example\n```yaml\nlint:\n  waivers:\n  - {rule: image-not-pinned, object: \"WorkflowTemplate *\", owner: sre@example.com, reason: migration, expires: 2025-01-31}\n```",
    scope: Scope::File,
    check: reported_by_reader,
};

pub static UNREADABLE_FILE: Rule = Rule {
    id: "unreadable-file",
    family: Family::Schema,
    severity: Severity::Error,
    summary: "A file could not be read as text: not UTF-8/16/32, too large, or gone.",
    doc: "## What it does\nReports a file lint cannot read: bytes that are neither UTF-8 nor UTF-16 nor UTF-32 (YAML's encodings, with or without a byte-order mark), a file over the size limit, or one that vanished or cannot be opened. The other files are linted and every report is written.\n\n## Why is this bad?\nArgo CD fails the application on a file it cannot decode.\n\n## Example\n```text\nconfig/legacy.yaml: file is not UTF-8, UTF-16 or UTF-32 (byte 112)\n```",
    scope: Scope::File,
    check: reported_by_reader,
};
