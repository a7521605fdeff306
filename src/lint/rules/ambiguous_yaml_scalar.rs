//! Scalars that YAML readers disagree on.

use std::collections::HashMap;

use crate::source::ambiguous_plain_scalars;

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "ambiguous-yaml-scalar",
    family: Family::Hygiene,
    severity: Severity::Warning,
    summary: "An unquoted yes/no/on/off/y/n that YAML 1.1 readers take for a boolean.",
    doc: "## What it does\nReports plain scalars `yes`, `no`, `on`, `off`, `y`, `n` (any case), as keys or values.\n\n## Why is this bad?\nYAML 1.1 readers (go-yaml v2, PyYAML) read them as booleans, YAML 1.2 readers as strings: the same file means two things to two tools. Quote them.\n\n## Example\n```yaml\ndata:\n  debug: on      # write \"on\"\n```",
    scope: Scope::File,
    check,
};

/// Cheap test before parsing a file a second time for styles: does a whole word yes, no,
/// on, off, y or n (any case) stand where a YAML scalar starts (after `: `, `- `, `[`, `{`,
/// `, ` or at a line start) and end (before a line end, `,`, `]`, `}`, `:` or ` #`)?
fn may_contain(text: &str) -> bool {
    let b = text.as_bytes();
    for i in 0..b.len() {
        if !matches!(b[i].to_ascii_lowercase(), b'y' | b'n' | b'o') {
            continue;
        }
        let starts = i == 0
            || matches!(b[i - 1], b'\n' | b'[' | b'{')
            || (i >= 2 && matches!(&b[i - 2..i], b": " | b"- " | b", "));
        if !starts {
            continue;
        }
        let j = i + b[i..]
            .iter()
            .take_while(|c| c.is_ascii_alphabetic())
            .count();
        let ends = j == b.len()
            || matches!(b[j], b'\n' | b'\r' | b',' | b']' | b'}' | b':')
            || b[j..].starts_with(b" #");
        if ends
            && matches!(
                text[i..j].to_ascii_lowercase().as_str(),
                "yes" | "no" | "on" | "off" | "y" | "n"
            )
        {
            return true;
        }
    }
    false
}

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    let mut by_file: HashMap<crate::source::SourceId, Vec<usize>> = HashMap::new();
    for (i, d) in c.docs.iter().enumerate() {
        by_file.entry(d.file).or_default().push(i);
    }
    for (file, docs) in by_file {
        // The emitter quotes every such scalar (a property test holds it to this rule's
        // reader): files exactly as generated need no scan.
        if c.written[file.index()] == Written::AsGenerated {
            continue;
        }
        let text = c.sources.get(file).text;
        if !may_contain(text) {
            continue;
        }
        for (doc_index, pointer, value) in ambiguous_plain_scalars(text) {
            let Some(&i) = docs
                .iter()
                .find(|&&i| c.docs[i].index == doc_index && pointer.starts_with(&*c.docs[i].base))
            else {
                continue;
            };
            let rel = pointer[c.docs[i].base.len()..].to_owned();
            // A Secret's values are never printed.
            let value = if crate::source::is_secret_value(c.docs[i].kind(), &rel) {
                "<redacted>"
            } else {
                value.as_str()
            };
            out.push(Hit::new(i, rel, format!("unquoted `{value}` is a boolean to YAML 1.1 readers and a string to YAML 1.2 readers; quote it")));
        }
    }
}
