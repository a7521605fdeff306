//! Diff reports: `text` for terminals, `markdown` for a pull-request comment, `json` for
//! tools. All start with the summary: counts by environment, kind and tenant.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use clap::ValueEnum;
use serde::ser::SerializeStruct as _;
use serde::Serialize;
use serde_json::Value;

use super::{ChangeKind, FieldChange, ObjectChange};

/// GitHub rejects comments over 65,536 characters; details are cut to stay under this.
pub const MARKDOWN_LIMIT: usize = 65_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Markdown,
    Json,
}

#[derive(Default, Clone, Copy)]
struct Counts([usize; 4]);

impl Serialize for Counts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_struct("Counts", 4)?;
        for kind in [
            ChangeKind::Added,
            ChangeKind::Removed,
            ChangeKind::Changed,
            ChangeKind::Moved,
        ] {
            m.serialize_field(kind.as_str(), &self.0[kind as usize])?;
        }
        m.end()
    }
}

impl Counts {
    fn add(&mut self, k: ChangeKind) {
        self.0[k as usize] += 1;
    }
    fn cells(&self) -> [usize; 4] {
        [self.0[0], self.0[2], self.0[1], self.0[3]]
    }
}

struct Summary {
    total: Counts,
    by_env: BTreeMap<String, Counts>,
    by_kind: BTreeMap<String, Counts>,
    by_tenant: BTreeMap<String, Counts>,
}

fn summarize(changes: &[ObjectChange]) -> Summary {
    let mut s = Summary {
        total: Counts::default(),
        by_env: BTreeMap::new(),
        by_kind: BTreeMap::new(),
        by_tenant: BTreeMap::new(),
    };
    for c in changes {
        s.total.add(c.kind);
        s.by_env.entry(c.key.env.clone()).or_default().add(c.kind);
        s.by_kind
            .entry(c.key.id.kind.clone())
            .or_default()
            .add(c.kind);
        let tenant = if c.key.id.kind == "Namespace" {
            &c.key.id.name
        } else {
            &c.key.id.namespace
        };
        if !tenant.is_empty() {
            s.by_tenant.entry(tenant.clone()).or_default().add(c.kind);
        }
    }
    s
}

fn headline(s: &Summary) -> String {
    let [added, changed, removed, moved] = s.total.cells();
    format!(
        "{changed} changed, {added} added, {removed} removed, {moved} moved in {} environment{}",
        s.by_env.len(),
        if s.by_env.len() == 1 { "" } else { "s" }
    )
}

fn sign(k: ChangeKind) -> char {
    match k {
        ChangeKind::Added => '+',
        ChangeKind::Removed => '-',
        ChangeKind::Changed => '~',
        ChangeKind::Moved => '>',
    }
}

fn scalar(v: &Option<Value>) -> String {
    match v {
        None => "(absent)".into(),
        Some(v) => {
            let s = v.to_string();
            if s.len() > 80 {
                format!(
                    "{}…",
                    &s[..s.char_indices().nth(77).map_or(s.len(), |(i, _)| i)]
                )
            } else {
                s
            }
        }
    }
}

fn title(c: &ObjectChange) -> String {
    let id = &c.key.id;
    let name = if id.namespace.is_empty() {
        id.name.clone()
    } else {
        format!("{}/{}", id.namespace, id.name)
    };
    format!("{} {} {}", c.key.env, id.kind, name)
}

fn where_(c: &ObjectChange) -> String {
    match (&c.old_path, &c.new_path) {
        (Some(a), Some(b)) if a != b => format!("{a} → {b}"),
        (_, Some(p)) | (Some(p), None) => p.clone(),
        _ => String::new(),
    }
}

/// Render `changes` in `format`; `base` names the old side for people.
pub fn render(format: Format, changes: &[ObjectChange], base: &str, color: bool) -> String {
    match format {
        Format::Text => text(changes, base, color),
        Format::Markdown => markdown(changes, base),
        Format::Json => json_report(changes, base),
    }
}

fn table_rows(map: &BTreeMap<String, Counts>) -> Vec<(String, [usize; 4])> {
    map.iter().map(|(k, v)| (k.clone(), v.cells())).collect()
}

fn text(changes: &[ObjectChange], base: &str, color: bool) -> String {
    let s = summarize(changes);
    let mut out = String::new();
    if changes.is_empty() {
        let _ = writeln!(out, "no changes against {base}");
        return out;
    }
    let _ = writeln!(out, "gitops-render diff against {base}: {}\n", headline(&s));
    for (label, map) in [
        ("environment", &s.by_env),
        ("kind", &s.by_kind),
        ("tenant", &s.by_tenant),
    ] {
        let width = map
            .keys()
            .map(String::len)
            .max()
            .unwrap_or(0)
            .max(label.len());
        let _ = writeln!(out, "  {label:width$}  added  changed  removed  moved");
        for (k, [a, c, r, m]) in table_rows(map) {
            let _ = writeln!(out, "  {k:width$}  {a:>5}  {c:>7}  {r:>7}  {m:>5}");
        }
        out.push('\n');
    }
    let paint = |line: &str| -> String {
        if !color {
            return line.to_owned();
        }
        match line.as_bytes().first() {
            Some(b'+') if !line.starts_with("+++") => format!("\x1b[32m{line}\x1b[0m"),
            Some(b'-') if !line.starts_with("---") => format!("\x1b[31m{line}\x1b[0m"),
            Some(b'@') => format!("\x1b[36m{line}\x1b[0m"),
            _ => line.to_owned(),
        }
    };
    for c in changes {
        let _ = writeln!(out, "{} {}  ({})", sign(c.kind), title(c), where_(c));
        for f in &c.fields {
            let _ = writeln!(
                out,
                "    {}: {} → {}",
                f.pointer,
                scalar(&f.old),
                scalar(&f.new)
            );
        }
        if c.kind != ChangeKind::Moved || !c.fields.is_empty() {
            for line in c.diff.lines() {
                let _ = writeln!(out, "    {}", paint(line));
            }
        }
        out.push('\n');
    }
    out
}

/// Text for HTML (a `<summary>`): markup characters as entities, control characters escaped.
fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in crate::diagnostic::escape(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Text for a markdown table cell: no line break, no `|` to split the cell, no HTML.
fn cell(s: &str) -> String {
    html(s).replace('|', "\\|")
}

/// Text for inline code (where markdown and HTML are not read): no line break and no
/// backtick to close the span.
fn code(s: &str) -> String {
    crate::diagnostic::escape(s).replace('`', "'")
}

/// A code fence longer than any run of backticks in `body`.
fn fence(body: &str) -> String {
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

fn markdown(changes: &[ObjectChange], base: &str) -> String {
    let s = summarize(changes);
    let mut out = String::new();
    let _ = writeln!(out, "### gitops-render diff against `{}`\n", code(base));
    if changes.is_empty() {
        let _ = writeln!(out, "No rendered object changes.");
        return out;
    }
    let _ = writeln!(out, "**{}**\n", headline(&s));
    for (label, map) in [
        ("Environment", &s.by_env),
        ("Kind", &s.by_kind),
        ("Tenant", &s.by_tenant),
    ] {
        let _ = writeln!(
            out,
            "| {label} | added | changed | removed | moved |\n|---|--:|--:|--:|--:|"
        );
        for (k, [a, c, r, m]) in table_rows(map) {
            let _ = writeln!(out, "| {} | {a} | {c} | {r} | {m} |", cell(&k.to_string()));
        }
        out.push('\n');
    }
    let mut shown = 0;
    for c in changes {
        let mut block = format!(
            "<details><summary>{} {} <code>{}</code></summary>\n\n",
            sign(c.kind),
            html(&title(c)),
            html(&where_(c))
        );
        for f in &c.fields {
            let _ = writeln!(
                block,
                "- `{}`: `{}` → `{}`",
                code(&f.pointer),
                code(&scalar(&f.old)),
                code(&scalar(&f.new))
            );
        }
        let fence = fence(&c.diff);
        let fence = fence.as_str();
        let _ = write!(block, "\n{fence}diff\n{}{fence}\n\n</details>\n\n", c.diff);
        let note_room = 300;
        if out.len() + block.len() + note_room > MARKDOWN_LIMIT {
            break;
        }
        out.push_str(&block);
        shown += 1;
    }
    if shown < changes.len() {
        let _ = writeln!(
            out,
            "_{} more object change(s) not shown to stay under GitHub's comment size limit; run `gitops-render diff` locally for all of them._",
            changes.len() - shown
        );
    }
    out
}

fn json_report(changes: &[ObjectChange], base: &str) -> String {
    let s = summarize(changes);
    let doc = Report {
        version: 1,
        base,
        summary: SummaryView {
            total: s.total,
            by_environment: &s.by_env,
            by_kind: &s.by_kind,
            by_tenant: &s.by_tenant,
        },
        changes: changes
            .iter()
            .map(|c| ChangeView {
                change: c.kind.as_str(),
                environment: &c.key.env,
                group: &c.key.id.group,
                kind: &c.key.id.kind,
                namespace: &c.key.id.namespace,
                name: &c.key.id.name,
                old_path: &c.old_path,
                new_path: &c.new_path,
                fields: &c.fields,
                diff: &c.diff,
            })
            .collect(),
    };
    format!(
        "{}\n",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    )
}

/// `--format json`, typed so its fields keep this order.
#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    base: &'a str,
    summary: SummaryView<'a>,
    changes: Vec<ChangeView<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SummaryView<'a> {
    total: Counts,
    by_environment: &'a BTreeMap<String, Counts>,
    by_kind: &'a BTreeMap<String, Counts>,
    by_tenant: &'a BTreeMap<String, Counts>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChangeView<'a> {
    change: &'a str,
    environment: &'a str,
    group: &'a str,
    kind: &'a str,
    namespace: &'a str,
    name: &'a str,
    old_path: &'a Option<String>,
    new_path: &'a Option<String>,
    fields: &'a [FieldChange],
    diff: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values_cannot_inject_markup() {
        assert_eq!(
            html("<img src=x onerror=alert(1)>&\"'"),
            "&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;"
        );
        assert_eq!(html("a\n</details>"), "a\\n&lt;/details&gt;");
        assert_eq!(cell("a|b<c>"), "a\\|b&lt;c&gt;");
        assert_eq!(code("a`b\nc"), "a'b\\nc");
        assert_eq!(fence("plain"), "```");
        assert_eq!(fence("has ``` and ````` runs"), "``````");
    }
}
