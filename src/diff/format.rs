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

/// One changed field: `old → new`, or what was added or removed (a key, a list item).
fn field_line(f: &FieldChange) -> String {
    match (&f.old, &f.new) {
        (None, new @ Some(_)) => format!("{}: added {}", f.pointer, scalar(new)),
        (old @ Some(_), None) => format!("{}: removed {}", f.pointer, scalar(old)),
        _ => format!("{}: {} → {}", f.pointer, scalar(&f.old), scalar(&f.new)),
    }
}

/// Review order: what can lock people out, open the network or delete data first, the
/// catalog's WorkflowTemplates (long, and the same change in every tenant) last.
fn risk(c: &ObjectChange) -> u8 {
    if c.is_destructive() {
        return 0;
    }
    match c.key.id.kind.as_str() {
        "Role" | "RoleBinding" | "ClusterRole" | "ClusterRoleBinding" | "ServiceAccount" => 1,
        "NetworkPolicy" => 2,
        "ResourceQuota" | "LimitRange" => 3,
        "Namespace" | "AppProject" => 4,
        "ApplicationSet" | "Application" => 5,
        "WorkflowTemplate" => 7,
        _ => 6,
    }
}

/// The lines that name destructive changes, for the top of every report.
fn destructive(changes: &[ObjectChange]) -> Vec<String> {
    changes
        .iter()
        .filter(|c| c.is_destructive())
        .map(|c| {
            let what = if c.key.id.kind == "Namespace" {
                "and every object in it"
            } else {
                "and the Applications in it"
            };
            format!("removes {} {what}", title(c))
        })
        .collect()
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
    for line in destructive(changes) {
        let _ = writeln!(out, "DESTRUCTIVE: {line}");
    }
    if changes.iter().any(ObjectChange::is_destructive) {
        out.push('\n');
    }
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
            let _ = writeln!(out, "    {}", field_line(f));
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
    let warnings = destructive(changes);
    if !warnings.is_empty() {
        let _ = writeln!(out, "> [!CAUTION]\n> **Destructive:**");
        for w in &warnings {
            let _ = writeln!(out, "> - {}", html(w));
        }
        out.push('\n');
    }
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
    let mut ordered: Vec<&ObjectChange> = changes.iter().collect();
    ordered.sort_by_key(|c| risk(c));
    // Changed WorkflowTemplates (catalog bumps, the same edit in every tenant) are one line
    // each: their diffs are long and alike; `gitops-render diff` shows them.
    let (collapsed, detailed): (Vec<&ObjectChange>, Vec<&ObjectChange>) = ordered
        .into_iter()
        .partition(|c| c.key.id.kind == "WorkflowTemplate" && c.kind == ChangeKind::Changed);
    // What an object costs when it is only named, so that every object left out is named.
    let name_line = |c: &ObjectChange| format!("- {} {}\n", sign(c.kind), html(&title(c)));
    let mut names_left: usize = detailed.iter().map(|c| name_line(c).len()).sum();
    let collapsed_text: String = collapsed
        .iter()
        .map(|c| {
            let mut line = format!(
                "- {} {} — {} field{} changed",
                sign(c.kind),
                html(&title(c)),
                c.fields.len(),
                if c.fields.len() == 1 { "" } else { "s" }
            );
            // A few fields fit on the line (a parallelism, an image tag); a bump's dozens
            // of changed lines do not.
            if c.fields.len() <= 3 {
                let fields: Vec<String> = c
                    .fields
                    .iter()
                    .map(|f| format!("`{}`", code(&field_line(f))))
                    .collect();
                line.push_str(&format!(": {}", fields.join(", ")));
            }
            line.push('\n');
            line
        })
        .collect();
    let tail_room = 400 + collapsed_text.len().min(MARKDOWN_LIMIT / 4);
    let mut omitted = Vec::new();
    for c in detailed {
        let mut block = format!(
            "<details><summary>{} {} <code>{}</code></summary>\n\n",
            sign(c.kind),
            html(&title(c)),
            html(&where_(c))
        );
        for f in &c.fields {
            let _ = writeln!(block, "- `{}`", code(&field_line(f)));
        }
        let fence = fence(&c.diff);
        let fence = fence.as_str();
        let _ = write!(block, "\n{fence}diff\n{}{fence}\n\n</details>\n\n", c.diff);
        names_left -= name_line(c).len();
        if omitted.is_empty() && out.len() + block.len() + names_left + tail_room <= MARKDOWN_LIMIT
        {
            out.push_str(&block);
        } else {
            omitted.push(c);
        }
    }
    if !collapsed.is_empty() {
        let _ = writeln!(
            out,
            "**{} WorkflowTemplate change{}** (diffs in `gitops-render diff`):\n",
            collapsed.len(),
            if collapsed.len() == 1 { "" } else { "s" }
        );
        push_within(&mut out, &collapsed_text, MARKDOWN_LIMIT - 300);
        out.push('\n');
    }
    if !omitted.is_empty() {
        let _ = writeln!(
            out,
            "**{} more object change{} without details** (GitHub's comment size limit; `gitops-render diff` shows them):\n",
            omitted.len(),
            if omitted.len() == 1 { "" } else { "s" }
        );
        let names: String = omitted.iter().map(|c| name_line(c)).collect();
        push_within(&mut out, &names, MARKDOWN_LIMIT - 100);
    }
    out
}

/// Append `lines` to `out` whole lines at a time while `out` stays under `limit`; say how
/// many lines did not fit.
fn push_within(out: &mut String, lines: &str, limit: usize) {
    let total = lines.lines().count();
    let mut shown = 0;
    for line in lines.split_inclusive('\n') {
        if out.len() + line.len() + 80 > limit {
            break;
        }
        out.push_str(line);
        shown += 1;
    }
    if shown < total {
        let _ = writeln!(out, "- … and {} more", total - shown);
    }
}

fn json_report(changes: &[ObjectChange], base: &str) -> String {
    let s = summarize(changes);
    let doc = Report {
        version: 1,
        base,
        summary: SummaryView {
            total: s.total,
            destructive: changes.iter().filter(|c| c.is_destructive()).count(),
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
                destructive: c.is_destructive(),
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
    destructive: usize,
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
    /// A removed Namespace or AppProject: deletes everything in it.
    destructive: bool,
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
