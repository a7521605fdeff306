//! Canonical YAML: one spelling per value, so the same objects always give the same bytes.
//!
//! Keys are ordered the way people read Kubernetes objects (`apiVersion`, `kind`,
//! `metadata`, `spec`, then the rest sorted; in metadata `name`, `namespace`, `labels`,
//! `annotations`, then the rest; elsewhere `name` first — list items read as `- name: build` — then sorted). Block style, two-space
//! indent, list items at their key's indent (as kubectl writes them). Strings are quoted only
//! when a YAML 1.1 or 1.2 reader could take them for something else; multi-line strings are
//! literal blocks so scripts stay readable in review.

use serde_json::{Map, Value};

/// Serialize a top-level object.
pub fn to_canonical_yaml(v: &Value) -> String {
    let mut out = String::with_capacity(512);
    write_canonical_yaml(&mut out, v);
    out
}

/// [`to_canonical_yaml`] appended to `out`.
pub fn write_canonical_yaml(out: &mut String, v: &Value) {
    match v {
        Value::Object(m) if !m.is_empty() => write_map(out, m, 0, false, Level::Top(Specs::Kept)),
        other => {
            write_inline_scalar(out, other, 0);
            out.push('\n');
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Top(Specs),
    Metadata,
    Other,
}

/// Whether a top-level `spec`'s text may come from those written before
/// ([`super::spec_texts`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Specs {
    Kept,
    #[cfg(test)]
    Written,
}

impl Level {
    /// The keys written first at this level, in this order; the rest follow sorted.
    fn leading(self) -> &'static [&'static str] {
        match self {
            Level::Top(_) => &["apiVersion", "kind", "metadata", "spec"],
            Level::Metadata => &["name", "namespace", "labels", "annotations"],
            Level::Other => &["name"],
        }
    }
}

/// A mapping's entries in canonical order. A parsed mapping is sorted by key already
/// (serde_json's map without `preserve_order` is a `BTreeMap`), so the leading keys are
/// looked up and the rest taken as they come: no list of entries, no sort.
fn canonical_entries(
    m: &Map<String, Value>,
    level: Level,
) -> impl Iterator<Item = (&String, &Value)> {
    let leading = level.leading();
    let first = leading.iter().filter_map(|k| m.get_key_value(*k));
    let rest = m
        .iter()
        .filter(move |(k, _)| !leading.contains(&k.as_str()));
    first.chain(rest)
}

fn indent(out: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    let mut left = n;
    while left > 0 {
        let step = left.min(SPACES.len());
        out.push_str(&SPACES[..step]);
        left -= step;
    }
}

/// Write a non-empty mapping whose entries sit at column `ind`. When `inline_first`, the
/// cursor is already after `- ` and the first entry continues that line.
fn write_map(
    out: &mut String,
    m: &Map<String, Value>,
    ind: usize,
    inline_first: bool,
    level: Level,
) {
    for (i, (k, v)) in canonical_entries(m, level).enumerate() {
        if !(inline_first && i == 0) {
            indent(out, ind);
        }
        write_entry(out, m, k, v, ind, level);
    }
}

/// One entry `k: v` of mapping `m` at `level`, the cursor at its column `ind`.
fn write_entry(
    out: &mut String,
    m: &Map<String, Value>,
    k: &str,
    v: &Value,
    ind: usize,
    level: Level,
) {
    write_string(out, k, true);
    out.push(':');
    let child_level = if matches!(level, Level::Top(_)) && k == "metadata" {
        Level::Metadata
    } else {
        Level::Other
    };
    match v {
        Value::Object(cm) if !cm.is_empty() => {
            out.push('\n');
            let kind = match level {
                Level::Top(Specs::Kept) if k == "spec" => m.get("kind").and_then(Value::as_str),
                _ => None,
            };
            match kind {
                Some(kind) => super::spec_texts::write(out, kind, v, |out| {
                    write_map(out, cm, ind + 2, false, child_level);
                }),
                None => write_map(out, cm, ind + 2, false, child_level),
            }
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_seq(out, items, ind, false);
        }
        scalar => {
            out.push(' ');
            write_inline_scalar(out, scalar, ind + 2);
            out.push('\n');
        }
    }
}

/// The canonical text of a top-level object apart from its `metadata`: what comes before
/// it (`apiVersion`, `kind`) and what comes after (`spec` and the rest). Objects stamped
/// from one document differ in their metadata alone, so their text is this around each
/// one's own metadata ([`write_metadata`]).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Around {
    pub before: String,
    pub after: String,
}

/// [`Around`] of `v`: of a mapping, empty or not (a stamp puts `metadata` on), its entries
/// but `metadata` on either side of where it goes; anything else is all `before`.
pub fn around_metadata(v: &Value) -> Around {
    let mut around = Around::default();
    let Value::Object(m) = v else {
        write_canonical_yaml(&mut around.before, v);
        return around;
    };
    let level = Level::Top(Specs::Kept);
    for (k, v) in canonical_entries(m, level) {
        match k.as_str() {
            "metadata" => {}
            // The leading keys ahead of `metadata`.
            "apiVersion" | "kind" => write_entry(&mut around.before, m, k, v, 0, level),
            _ => write_entry(&mut around.after, m, k, v, 0, level),
        }
    }
    around
}

/// The `metadata` entry of top-level object `v` as [`write_canonical_yaml`] writes it
/// (nothing when it has none).
pub fn write_metadata(out: &mut String, v: &Value) {
    if let Value::Object(m) = v {
        if let Some((k, meta)) = m.get_key_value("metadata") {
            write_entry(out, m, k, meta, 0, Level::Top(Specs::Kept));
        }
    }
}

/// Write a non-empty sequence whose `- ` markers sit at column `ind`.
fn write_seq(out: &mut String, items: &[Value], ind: usize, inline_first: bool) {
    for (i, item) in items.iter().enumerate() {
        if !(inline_first && i == 0) {
            indent(out, ind);
        }
        out.push_str("- ");
        match item {
            Value::Object(m) if !m.is_empty() => write_map(out, m, ind + 2, true, Level::Other),
            Value::Array(inner) if !inner.is_empty() => write_seq(out, inner, ind + 2, true),
            scalar => {
                write_inline_scalar(out, scalar, ind + 2);
                out.push('\n');
            }
        }
    }
}

/// A scalar (or empty collection) after `key: ` or `- `; block scalars indent to `ind`.
fn write_inline_scalar(out: &mut String, v: &Value, ind: usize) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            use std::fmt::Write as _;
            // Writing to a String cannot fail.
            let _ = write!(out, "{n}");
        }
        Value::String(s) => {
            if is_simple_word(s) {
                write_word(out, s);
            } else if literal_block_ok(s) {
                write_literal_block(out, s, ind);
            } else if needs_quotes_in_full(s) {
                write_double_quoted(out, s);
            } else {
                out.push_str(s);
            }
        }
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

fn write_string(out: &mut String, s: &str, is_key: bool) {
    if is_simple_word(s) {
        write_word(out, s);
    } else if needs_quotes_in_full(s) || (is_key && s.contains('\n')) {
        write_double_quoted(out, s);
    } else {
        out.push_str(s);
    }
}

/// A string [`is_simple_word`] says is one.
fn write_word(out: &mut String, s: &str) {
    if is_special_word(s) {
        write_double_quoted(out, s);
    } else {
        out.push_str(s);
    }
}

/// A YAML double-quoted scalar. JSON string syntax is valid YAML double-quoted syntax, but
/// JSON leaves characters raw that YAML readers treat as line breaks (U+0085, U+2028,
/// U+2029) or strip (U+FEFF) or may reject (other non-printables): those are escaped too.
fn write_double_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Can `s` be a literal block: it has a line break, does not start with white space, holds
/// no control character but line breaks (nor U+FEFF, U+2028, U+2029), and no line ends
/// in white space (a tab is a control character). One pass over the bytes: scripts are most
/// of the bytes written.
fn literal_block_ok(s: &str) -> bool {
    let b = s.as_bytes();
    if b.first().is_none_or(|c| matches!(c, b' ' | b'\t' | b'\n')) {
        return false;
    }
    let mut lines = false;
    for (i, &c) in b.iter().enumerate() {
        let next = b.get(i + 1).copied();
        match c {
            b'\n' => lines = true,
            0..=0x1f | 0x7f => return false,
            b' ' if next.is_none_or(|n| n == b'\n') => return false,
            0xc2 if next.is_some_and(|n| n < 0xa0) => return false,
            0xe2 if next == Some(0x80) && matches!(b.get(i + 2), Some(0xa8 | 0xa9)) => {
                return false
            }
            0xef if next == Some(0xbb) && b.get(i + 2) == Some(&0xbf) => return false,
            _ => {}
        }
    }
    lines
}

fn write_literal_block(out: &mut String, s: &str, ind: usize) {
    let trailing = s.len() - s.trim_end_matches('\n').len();
    out.push('|');
    match trailing {
        0 => out.push('-'),
        1 => {}
        _ => out.push('+'),
    }
    let body = s.trim_end_matches('\n');
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            indent(out, ind);
            out.push_str(line);
        }
    }
    for _ in 1..trailing {
        out.push('\n');
    }
}

/// A letter, then letters, digits, `-`, `_`, `.` and `/`: most keys and values
/// (`apiVersion`, `team-00001-dev`, `app.kubernetes.io/name`). Such a string is no number, holds
/// no indicator, space or line break, and needs quotes only if it is one of YAML's special
/// words: this one pass decides most strings written.
fn is_simple_word(s: &str) -> bool {
    let b = s.as_bytes();
    b.first().is_some_and(u8::is_ascii_alphabetic)
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'/'))
}

/// Would a YAML 1.1 or 1.2 reader take `s`, written plain, for anything but this string?
pub fn needs_quotes(s: &str) -> bool {
    if is_simple_word(s) {
        return is_special_word(s);
    }
    needs_quotes_in_full(s)
}

/// [`needs_quotes`] for any string, simple or not.
fn needs_quotes_in_full(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return true;
    };
    // `...` and `---` at the start of a line end and start documents.
    if s.starts_with([' ', '\t']) || s.ends_with([' ', '\t']) || s.starts_with("...") {
        return true;
    }
    if has_break_or_control(s.as_bytes()) {
        return true;
    }
    match first {
        '[' | ']' | '{' | '}' | ',' | '#' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%'
        | '@' | '`' => return true,
        '-' | '?' | ':' => {
            let second = s[1..].chars().next();
            if second.is_none_or(|c| c == ' ') || s.starts_with("---") {
                return true;
            }
        }
        _ => {}
    }
    if s.ends_with(':') {
        return true;
    }
    if matches!(s, "=" | "<<") || is_special_word(s) {
        return true;
    }
    looks_numeric(s)
}

/// One pass over the bytes (this runs for every string written): control characters (tab
/// included, and C1), U+FEFF, U+2028/U+2029, and the `: ` and ` #` that would end a plain
/// scalar.
fn has_break_or_control(b: &[u8]) -> bool {
    b.iter().enumerate().any(|(i, &c)| match c {
        0..=0x1f | 0x7f => true,
        b':' => b.get(i + 1) == Some(&b' '),
        b' ' => b.get(i + 1) == Some(&b'#'),
        0xc2 => b.get(i + 1).is_some_and(|&n| n < 0xa0),
        0xe2 => b.get(i + 1) == Some(&0x80) && matches!(b.get(i + 2), Some(0xa8 | 0xa9)),
        0xef => b.get(i + 1) == Some(&0xbb) && b.get(i + 2) == Some(&0xbf),
        _ => false,
    })
}

fn is_special_word(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", ".inf", "-.inf", "+.inf",
        ".nan",
    ];
    // Checked for every string written: compare in place rather than allocate a lowercase copy.
    s.len() <= 5 && WORDS.iter().any(|w| w.eq_ignore_ascii_case(s))
}

/// Numbers in any YAML 1.1/1.2 spelling (and timestamps, sexagesimals and version-like
/// strings, which are safer quoted): `1`, `-1.5`, `1e3`, `0x1F`, `0o17`, `1_000`, `1:30`,
/// `2026-11-22`, `1.2.0`.
fn looks_numeric(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    // Every numeric spelling starts with a digit, `.`, `_`, `:` or `-` (after the sign): the
    // common case, a word, is rejected without allocating.
    if !body.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '.' | '_' | ':' | '-')) {
        return false;
    }
    let lower = body.to_ascii_lowercase();
    for prefix in ["0x", "0o", "0b"] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            return !rest.is_empty() && rest.chars().all(|c| c.is_ascii_hexdigit() || c == '_');
        }
    }
    let (mantissa, exponent) = match lower.split_once('e') {
        Some((m, e)) => (m, Some(e)),
        None => (lower.as_str(), None),
    };
    let mantissa_ok = mantissa.chars().any(|c| c.is_ascii_digit())
        && mantissa
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '_' | ':' | '-'));
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::super::spec_texts;
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// A document as written without the texts of specs written before.
    fn written_afresh(v: &Value) -> String {
        let mut out = String::new();
        match v {
            Value::Object(m) if !m.is_empty() => {
                write_map(&mut out, m, 0, false, Level::Top(Specs::Written))
            }
            _ => unreachable!("an object"),
        }
        out
    }

    /// Documents of two kinds whose specs repeat, long enough to be kept, or nearly repeat:
    /// a number written `1`, `1.0` or `"1"`, a key more or less, another script.
    fn documents() -> impl Strategy<Value = Vec<Value>> {
        let script = |i: usize| -> String {
            (0..60)
                .map(|line| format!("echo step {line} of script {i}\n"))
                .collect()
        };
        let scripts: Vec<String> = (0..3).map(script).collect();
        let doc = (
            prop::sample::select(vec!["A", "B"]),
            prop::sample::select(scripts),
            prop::sample::select(vec![json!(1), json!(1.0), json!("1"), json!(null)]),
            prop::option::of("[a-z]{1,3}"),
            "[a-z]{1,8}",
        )
            .prop_map(|(kind, script, n, extra, name)| {
                let mut spec = json!({"script": script, "n": n});
                if let Some(extra) = extra {
                    spec["extra"] = json!(extra);
                }
                json!({"apiVersion": "v1", "kind": kind, "metadata": {"name": name}, "spec": spec})
            });
        prop::collection::vec(doc, 1..24)
    }

    proptest! {
        /// A spec's text taken from one written before is the text written afresh.
        #[test]
        fn kept_spec_texts_are_the_texts_written_afresh(docs in documents()) {
            for doc in &docs {
                prop_assert_eq!(to_canonical_yaml(doc), written_afresh(doc));
            }
        }
    }

    #[test]
    fn a_repeated_long_spec_is_written_once() {
        let script: String = (0..80)
            .map(|i| format!("echo step {i} of the repeated script\n"))
            .collect();
        let doc = |name: &str| {
            json!({"apiVersion": "v1", "kind": "Repeated", "metadata": {"name": name},
                   "spec": {"script": script}})
        };
        let first = to_canonical_yaml(&doc("a"));
        assert_eq!(spec_texts::hits("Repeated"), 0);
        let second = to_canonical_yaml(&doc("b"));
        assert_eq!(spec_texts::hits("Repeated"), 1);
        assert_eq!(second, first.replace("name: a", "name: b"));
        assert_eq!(second, written_afresh(&doc("b")));
    }

    proptest! {
        /// The one-pass decision for simple words is the full check's.
        #[test]
        fn simple_words_are_quoted_as_the_full_check_says(
            s in "[a-zA-Z][a-zA-Z0-9._/-]{0,12}|[yYnN]|[oO][nNfF][fF]?|[yY][eE][sS]|[nN][oO]|[tT]rue|[fF]alse|[nN]ull"
        ) {
            prop_assert!(is_simple_word(&s));
            prop_assert_eq!(needs_quotes(&s), needs_quotes_in_full(&s), "{}", s);
        }
    }

    proptest! {
        // Strings this short are cheap, and a line that ends in a blank is one case in many.
        #![proptest_config(ProptestConfig::with_cases(8192))]

        /// The one-pass byte check decides literal blocks as the rule it implements, said
        /// with chars and lines, does (over strings rich in breaks, blanks, tabs, controls
        /// and the three characters YAML treats as breaks or strips).
        #[test]
        fn literal_blocks_are_chosen_as_the_rule_says(
            s in "[ a\t\n\r\u{85}\u{9f}\u{a0}\u{2028}\u{2029}\u{feff}\u{e9}#:-]{0,12}"
        ) {
            let by_the_rule = s.contains('\n')
                && !s.starts_with([' ', '\t', '\n'])
                && s.chars().all(|c| {
                    c == '\n'
                        || !(c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}'))
                })
                && !s.lines().any(|l| l.ends_with([' ', '\t']));
            prop_assert_eq!(literal_block_ok(&s), by_the_rule, "{:?}", s);
        }
    }

    #[test]
    fn orders_kubernetes_keys() {
        let v = json!({"spec": {"b": 1, "a": 2}, "kind": "X", "zz": 1, "apiVersion": "v1",
            "metadata": {"labels": {"b": "1"}, "name": "app", "annotations": {"a": "x"}, "namespace": "ns"}});
        assert_eq!(
            to_canonical_yaml(&v),
            "apiVersion: v1\nkind: X\nmetadata:\n  name: app\n  namespace: ns\n  labels:\n    b: \"1\"\n  annotations:\n    a: x\nspec:\n  a: 2\n  b: 1\nzz: 1\n"
        );
        // `name` leads only below the top; other metadata keys follow the four, sorted; a
        // level's leading keys lead only at that level.
        let v = json!({"name": "nm", "data": {"kind": "k", "name": "x", "a": 1},
            "metadata": {"uid": "u", "finalizers": ["f"], "name": "app"}, "kind": "X"});
        assert_eq!(
            to_canonical_yaml(&v),
            "kind: X\nmetadata:\n  name: app\n  finalizers:\n  - f\n  uid: u\ndata:\n  name: x\n  a: 1\n  kind: k\nname: nm\n"
        );
    }

    #[test]
    fn lists_sit_at_their_key_and_maps_inline_after_dash() {
        let v = json!({"policyTypes": ["Ingress", "Egress"], "rules": [{"verbs": ["get"], "name": "r", "apiGroups": [""]}], "empty": [], "none": {}});
        assert_eq!(
            to_canonical_yaml(&v),
            "empty: []\nnone: {}\npolicyTypes:\n- Ingress\n- Egress\nrules:\n- name: r\n  apiGroups:\n  - \"\"\n  verbs:\n  - get\n"
        );
    }

    #[test]
    fn quotes_only_ambiguous_strings() {
        for s in [
            "on",
            "yes",
            "No",
            "1.0",
            "8",
            "1e3",
            "0x1F",
            "2026-11-22",
            "",
            " x",
            "a: b",
            "*.tiff",
            "{{x}}",
            "~",
            "-",
            "1.2.0",
            "null",
        ] {
            assert!(needs_quotes(s), "{s:?} should be quoted");
        }
        for s in [
            "2Gi",
            "500m",
            "data-prod",
            "app.kubernetes.io/name",
            "-Xmx1g",
            "group:sre",
            "https://x.example/a#b",
            "ana@example.com x",
        ] {
            assert!(!needs_quotes(s), "{s:?} should be plain");
        }
    }

    #[test]
    fn multiline_strings_become_literal_blocks() {
        let v = json!({"args": ["set -e\necho hi\n"], "s": "a\nb"});
        assert_eq!(
            to_canonical_yaml(&v),
            "args:\n- |\n  set -e\n  echo hi\ns: |-\n  a\n  b\n"
        );
    }

    #[test]
    fn round_trips_through_the_yaml_reader() {
        let v = json!({"a": ["on", "1.0", "x: y", "#c", "multi\nline\n\n", " lead", "tab\there", "q\"uote"], "n": {"k": [[1, 2], []]}, "f": 1.5, "t": true});
        let text = to_canonical_yaml(&v);
        let back = crate::source::parse_single(&text).expect("parses");
        assert_eq!(back, v, "{text}");
    }
}
