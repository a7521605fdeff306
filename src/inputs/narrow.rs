//! Environment files narrowed to the tenant entries one tenant's slice can need.
//!
//! A tenant's slice (`cmp generate` with `ARGOCD_ENV_TENANT`) merges only the entries that
//! could name that tenant (`resolve::tenant_entries`), yet parsing and schema-checking the
//! whole environment file was most of its time: at 10,000 tenants the file is 2 MB and
//! ~20 MB once parsed, for one tenant's two dozen objects. So the slice's files are first
//! cut at the keys of their `spec.tenants` mapping, and every entry that cannot name the
//! tenant is blanked to empty lines (line numbers, and so every position reported in the
//! file, stay as they are). An entry is kept when its key is part of the name asked for
//! (the team, or a namespace the naming rule makes of it) or its text holds the name (an
//! explicit `namespace:`); a team kept in one file is kept in every file of the chain.
//!
//! The cut reads lines, not YAML, so it is only trusted when it cannot have changed what
//! the kept entries mean: texts with anchors or aliases, tabs or carriage returns, or a
//! `tenants` block it does not recognise are not cut ([`narrow`] answers `None`), and a
//! narrowed load is used only when its parsed `spec.tenants` holds exactly the keys kept
//! ([`Narrowed::holds`]). The caller falls back to the whole files whenever the narrowed
//! run does not succeed, so errors are reported as from the whole files; what changes is
//! that another tenant's broken entry no longer refuses this tenant's slice (`render
//! --check` and `lint` still judge every entry).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::source::EstateFiles;

use super::Inputs;

/// The estate's files with their environment files narrowed, and the tenant keys kept in
/// each environment file.
pub struct Narrowed {
    pub files: EstateFiles,
    kept: BTreeMap<String, BTreeSet<String>>,
}

impl Narrowed {
    /// Did the cut keep exactly the entries it meant to: is every loaded environment's
    /// `spec.tenants` made of the keys kept in its file?
    pub fn holds(&self, inputs: &Inputs) -> bool {
        inputs.environments.values().all(|env| {
            let path = inputs.sources.path(env.source);
            let parsed: BTreeSet<&str> = match env.spec.get("tenants") {
                Some(Value::Object(m)) => m.keys().map(String::as_str).collect(),
                Some(Value::Null) | None => BTreeSet::new(),
                Some(_) => return false,
            };
            let kept: BTreeSet<&str> = self
                .kept
                .get(path)
                .map(|k| k.iter().map(String::as_str).collect())
                .unwrap_or_default();
            parsed == kept
        })
    }
}

/// The environment files of `files` with only the tenant entries that could name `filter`
/// (a team or a namespace); `None` when a file cannot be cut safely or no entry could name
/// it (the caller then reads the whole files, which also names every tenant on a miss).
pub fn narrow(files: &EstateFiles, filter: &str) -> Option<Narrowed> {
    let mut cuts = Vec::new();
    for (path, text) in &files.files {
        if path.starts_with("environments/") {
            cuts.push((path, text, cut(text)?));
        }
    }
    let keep: BTreeSet<&str> = cuts
        .iter()
        .flat_map(|(_, text, cut)| cut.entries.iter().map(move |e| (*text, e)))
        .filter(|(text, e)| {
            filter.contains(e.key.as_str()) || text[e.lines.clone()].contains(filter)
        })
        .map(|(_, e)| e.key.as_str())
        .collect();
    if keep.is_empty() {
        return None;
    }
    let mut narrowed = BTreeMap::new();
    let mut kept = BTreeMap::new();
    for (path, text, cut) in &cuts {
        let mut out = String::with_capacity(text.len() / 8);
        let mut from = 0;
        let mut own = BTreeSet::new();
        for entry in &cut.entries {
            if keep.contains(entry.key.as_str()) {
                own.insert(entry.key.clone());
                continue;
            }
            out.push_str(&text[from..entry.lines.start]);
            out.extend(std::iter::repeat_n(
                '\n',
                newlines(&text[entry.lines.clone()]),
            ));
            from = entry.lines.end;
        }
        out.push_str(&text[from..]);
        if own.is_empty() && !cut.entries.is_empty() {
            // Every entry blanked: the mapping is still one (`tenants:` alone is null).
            out.insert_str(cut.after_key, " {}");
        }
        narrowed.insert((*path).clone(), out);
        kept.insert((*path).clone(), own);
    }
    for (path, text) in &files.files {
        if !narrowed.contains_key(path) {
            narrowed.insert(path.clone(), text.clone());
        }
    }
    Some(Narrowed {
        files: EstateFiles { files: narrowed },
        kept,
    })
}

fn newlines(s: &str) -> usize {
    s.bytes().filter(|&b| b == b'\n').count()
}

/// An environment file's `spec.tenants` entries, each by its key and byte range of whole
/// lines (from its key's line to the next entry's, or the end of the mapping).
struct Cut {
    entries: Vec<Entry>,
    /// Where the `tenants:` line's colon ends.
    after_key: usize,
}

struct Entry {
    key: String,
    lines: std::ops::Range<usize>,
}

/// One line of a text: its byte range (without the line break), indentation and whether it
/// holds content (not blank, not a comment).
struct Line<'a> {
    start: usize,
    end: usize,
    indent: usize,
    rest: &'a str,
}

impl Line<'_> {
    fn is_content(&self) -> bool {
        !self.rest.is_empty() && !self.rest.starts_with('#')
    }
}

fn lines(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::with_capacity(text.len() / 32);
    let mut start = 0;
    for raw in text.split_inclusive('\n') {
        let body = raw.strip_suffix('\n').unwrap_or(raw);
        let trimmed = body.trim_start_matches(' ');
        out.push(Line {
            start,
            end: start + raw.len(),
            indent: body.len() - trimmed.len(),
            rest: trimmed.trim_end_matches(' '),
        });
        start += raw.len();
    }
    out
}

/// Cut `text` at its `spec.tenants` keys; a text without that block has no entries.
/// `None` when the text is not one this line-wise reading can vouch for.
fn cut(text: &str) -> Option<Cut> {
    if text.contains(['\t', '\r']) || has_anchor_or_alias(text) {
        return None;
    }
    let lines = lines(text);
    let none = Some(Cut {
        entries: Vec::new(),
        after_key: 0,
    });
    // `spec:` at the top level, alone on its line.
    let mut specs = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.indent == 0 && is_bare_key(l.rest, "spec"));
    let Some((spec, _)) = specs.next() else {
        return none;
    };
    if specs.next().is_some() {
        return None;
    }
    let block = |from: usize, parent: usize| -> &[Line<'_>] {
        let end = lines[from..]
            .iter()
            .position(|l| l.is_content() && l.indent <= parent)
            .map_or(lines.len(), |n| from + n);
        &lines[from..end]
    };
    let spec_block = block(spec + 1, 0);
    let Some(child) = spec_block.iter().find(|l| l.is_content()).map(|l| l.indent) else {
        return none;
    };
    let mut tenants = spec_block
        .iter()
        .enumerate()
        .filter(|(_, l)| l.indent == child && is_bare_key(l.rest, "tenants"));
    let Some((at, line)) = tenants.next() else {
        return none;
    };
    if tenants.next().is_some() {
        return None;
    }
    let after_key = line.start + line.indent + "tenants:".len();
    let first = spec + 1 + at + 1;
    let entries_block = block(first, child);
    let Some(indent) = entries_block
        .iter()
        .find(|l| l.is_content())
        .map(|l| l.indent)
    else {
        return none;
    };
    let mut entries: Vec<Entry> = Vec::new();
    for line in entries_block.iter().filter(|l| l.is_content()) {
        if line.indent < indent {
            return None;
        }
        if line.indent == indent {
            if let Some(last) = entries.last_mut() {
                last.lines.end = line.start;
            }
            entries.push(Entry {
                key: key_of(line.rest)?,
                lines: line.start..line.end,
            });
        }
    }
    // The last entry runs to the end of the block (its trailing comments included).
    if let (Some(last), Some(end)) = (entries.last_mut(), entries_block.last()) {
        last.lines.end = end.end;
    }
    // Each entry starts at its key's line; the lines before the first key (comments) stay.
    Some(Cut { entries, after_key })
}

/// Is `rest` the key `key` with nothing after its colon but a comment?
fn is_bare_key(rest: &str, key: &str) -> bool {
    rest.strip_prefix(key)
        .and_then(|r| r.strip_prefix(':'))
        .is_some_and(|r| r.is_empty() || is_comment(r))
}

/// Is `rest` (what follows a token) a comment: spaces, then `#`?
fn is_comment(rest: &str) -> bool {
    rest.starts_with(' ') && rest.trim_start_matches(' ').starts_with('#')
}

/// The key a block mapping entry's line starts with: plain, or single- or double-quoted
/// without escapes. `None` for anything else (complex keys, sequences, flow keys, escapes).
fn key_of(rest: &str) -> Option<String> {
    let (key, after) = match rest.as_bytes().first()? {
        b'"' => {
            let close = rest[1..].find('"')? + 1;
            let key = &rest[1..close];
            if key.contains('\\') {
                return None;
            }
            (key.to_owned(), &rest[close + 1..])
        }
        b'\'' => {
            let mut key = String::new();
            let mut i = 1;
            let b = rest.as_bytes();
            loop {
                match b.get(i)? {
                    b'\'' if b.get(i + 1) == Some(&b'\'') => {
                        key.push('\'');
                        i += 2;
                    }
                    b'\'' => break,
                    _ => {
                        let c = rest[i..].chars().next()?;
                        key.push(c);
                        i += c.len_utf8();
                    }
                }
            }
            (key, &rest[i + 1..])
        }
        b'-' | b'?' | b'[' | b'{' | b'!' | b'|' | b'>' | b'%' | b'@' | b'`' | b':' => return None,
        _ => {
            let colon = rest
                .match_indices(':')
                .map(|(i, _)| i)
                .find(|&i| matches!(rest.as_bytes().get(i + 1), None | Some(b' ')))?;
            let key = rest[..colon].trim_end_matches(' ');
            if key.contains(" #") {
                return None;
            }
            (key.to_owned(), &rest[colon..])
        }
    };
    let after = after.trim_start_matches(' ');
    after
        .strip_prefix(':')
        .is_some_and(|r| r.is_empty() || r.starts_with(' '))
        .then_some(key)
}

/// Does `text` hold what could be an anchor (`&a`) or an alias (`*a`)? An alias in a kept
/// entry may name an anchor in a blanked one, so such texts are not cut. Only token
/// starts count (after a space, a bracket, a comma or at a line's start); a false alarm
/// costs a whole parse, nothing else.
fn has_anchor_or_alias(text: &str) -> bool {
    let b = text.as_bytes();
    b.iter().enumerate().any(|(i, &c)| {
        (c == b'&' || c == b'*')
            && (i == 0 || matches!(b[i - 1], b' ' | b'\n' | b'[' | b'{' | b','))
            && b.get(i + 1).is_some_and(|n| !n.is_ascii_whitespace())
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use serde_json::Value;

    use super::{cut, narrow};
    use crate::source::{parse_single, EstateFiles};

    const PROD: &str = "\
apiVersion: gitops-render.dev/v1alpha1
kind: Environment
metadata: {name: prod}
spec:   # what runs here
  policyPack: platform@1.1.0
  tenants:   # by team
    # the payments teams
    backend:
      tier: large
      notes: |
        runs the ledger
# a comment at the left edge does not end the mapping
    'front''end':
      namespace: web-prod
    \"data\": {tier: small}
    ml:
      tier: medium

  argocd: {namespace: argocd}
";

    fn keys(text: &str) -> Vec<String> {
        cut(text)
            .expect("cut")
            .entries
            .into_iter()
            .map(|e| e.key)
            .collect()
    }

    fn files(texts: &[(&str, &str)]) -> EstateFiles {
        EstateFiles {
            files: texts
                .iter()
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .collect(),
        }
    }

    #[test]
    fn entries_are_cut_at_their_keys() {
        assert_eq!(keys(PROD), ["backend", "front'end", "data", "ml"]);
        let cut = cut(PROD).expect("cut");
        let ml = &cut.entries[3];
        // The last entry keeps its trailing blank line; the mapping ends before `argocd`.
        assert_eq!(&PROD[ml.lines.clone()], "    ml:\n      tier: medium\n\n");
        let backend = &cut.entries[0];
        assert!(PROD[backend.lines.clone()]
            .ends_with("# a comment at the left edge does not end the mapping\n"));
    }

    #[test]
    fn a_narrowed_file_keeps_its_lines_and_the_entries_that_could_name_the_tenant() {
        let all = files(&[("environments/prod.yaml", PROD)]);
        // By team, by an explicit namespace in the entry, and by a namespace the naming
        // rule makes of the team (the name holds the team's).
        for (filter, kept) in [
            ("ml", &["ml"][..]),
            ("web-prod", &["front'end"]),
            ("backend-prod", &["backend"]),
        ] {
            let narrowed = narrow(&all, filter).expect("narrowed");
            let text = &narrowed.files.files["environments/prod.yaml"];
            assert_eq!(text.lines().count(), PROD.lines().count(), "{text}");
            let full = parse_single(PROD).expect("parses");
            let value = parse_single(text).expect("parses");
            let tenants = value["spec"]["tenants"].as_object().expect("tenants");
            assert_eq!(tenants.keys().collect::<Vec<_>>(), kept, "{text}");
            for key in kept {
                assert_eq!(tenants[*key], full["spec"]["tenants"][*key]);
            }
            assert_eq!(value["spec"]["argocd"], full["spec"]["argocd"]);
            assert_eq!(
                narrowed.kept["environments/prod.yaml"]
                    .iter()
                    .collect::<Vec<_>>(),
                kept
            );
        }
        // Nothing could name it: no narrowing (the whole files name every tenant).
        assert!(narrow(&all, "nobody").is_none());
    }

    #[test]
    fn a_team_kept_in_one_file_is_kept_in_every_file() {
        let base = "kind: Environment\nspec:\n  tenants:\n    ml:\n      namespace: models\n    data:\n      tier: small\n";
        let prod = "kind: Environment\nspec:\n  extends: _base\n  tenants:\n    ml:\n      tier: large\n    data:\n      tier: large\n";
        let all = files(&[
            ("environments/_base.yaml", base),
            ("environments/prod.yaml", prod),
        ]);
        let narrowed = narrow(&all, "models").expect("narrowed");
        for path in ["environments/_base.yaml", "environments/prod.yaml"] {
            let value = parse_single(&narrowed.files.files[path]).expect("parses");
            assert_eq!(
                value["spec"]["tenants"]
                    .as_object()
                    .map(|m| m.keys().map(String::as_str).collect::<Vec<_>>()),
                Some(vec!["ml"]),
                "{path}"
            );
        }
        // A file none of whose entries is kept still has a mapping of tenants.
        let other = "kind: Environment\nspec:\n  tenants:\n    data:\n      tier: small\n";
        let all = files(&[
            ("environments/_base.yaml", other),
            ("environments/prod.yaml", prod),
        ]);
        let narrowed = narrow(&all, "ml").expect("narrowed");
        let text = &narrowed.files.files["environments/_base.yaml"];
        assert_eq!(text, "kind: Environment\nspec:\n  tenants: {}\n\n\n");
        assert_eq!(
            parse_single(text).expect("parses")["spec"]["tenants"],
            serde_json::json!({})
        );
    }

    #[test]
    fn texts_the_lines_cannot_vouch_for_are_not_cut() {
        let cases = [
            "spec:\n  tenants:\n    a: &x {tier: small}\n    b: *x\n",
            "spec:\n  tenants:\n    a:\n\ttier: small\n",
            "spec:\r\n  tenants:\r\n    a: {}\r\n",
            "spec:\n  tenants:\n    ? a\n    : {}\n",
            "spec:\n  tenants:\n    - a\n",
            "spec:\n  tenants:\n    \"a\\u0062\": {}\n",
            "spec:\n  tenants:\n      a: {}\n    b: {}\n",
            "spec:\n  tenants:\n    a: {}\n  tenants:\n    b: {}\n",
        ];
        for text in cases {
            assert!(cut(text).is_none(), "{text:?}");
        }
        // No block of tenants the lines recognise: nothing is cut (and a narrowed load of
        // such a file does not hold, see `Narrowed::holds`).
        for text in [
            "spec:\n  tenants: {a: {}}\n",
            "spec: {tenants: {a: {}}}\n",
            "kind: Environment\n",
        ] {
            assert!(cut(text).expect("read").entries.is_empty(), "{text:?}");
        }
    }

    /// One tenant entry written in one of the shapes people write them in.
    fn entry() -> impl Strategy<Value = String> {
        let key = prop_oneof![
            "[a-c]{1,2}".prop_map(|k| k),
            "[a-c]{1,2}".prop_map(|k| format!("'{k}'")),
            "[a-c]{1,2}".prop_map(|k| format!("\"{k}\"")),
        ];
        let body = prop_oneof![
            Just(" {tier: small}\n".to_owned()),
            Just(" {}\n".to_owned()),
            Just(" null\n".to_owned()),
            "[a-c]{1,2}".prop_map(|ns| format!("\n      namespace: {ns}\n      tier: large\n")),
            Just("\n      notes: |\n        line one\n\n        line two\n".to_owned()),
            // A flow mapping over two lines, the second at the entries' own indentation
            // (libyaml accepts it).
            Just(" {tier: small,\n    features: []}\n".to_owned()),
            Just("\n# a comment at the edge\n      tier: micro\n".to_owned()),
            Just(" [broken\n".to_owned()),
            Just("\n      owners: {developer: [\"group:x\"]}\n".to_owned()),
            // A comment after the key, a blank line after the entry.
            Just("   # owned by x\n      tier: small\n\n".to_owned()),
            Just(" {tier: small}  # prod only\n".to_owned()),
        ];
        (key, body).prop_map(|(k, b)| format!("    {k}:{b}"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// Whenever a narrowed text parses and holds exactly the keys kept, its kept entries
        /// and everything outside `tenants` are those of the whole text, and every entry
        /// that could name the tenant was kept.
        #[test]
        fn a_narrowed_file_that_holds_means_what_the_whole_file_means(
            entries in proptest::collection::vec(entry(), 1..7),
            filter in "[a-c]{1,3}",
        ) {
            let text = format!(
                "---\n# prod\nkind: Environment\nspec:\n  policyPack: p@1\n  tenants:  # teams\n{}  argocd: {{namespace: argocd}}\n",
                entries.concat()
            );
            // Another entry's syntax error is not this slice's (it still narrows and
            // renders): only texts that parse whole say what the kept entries mean.
            let Ok(full) = parse_single(&text) else { return Ok(()) };
            let all = files(&[("environments/prod.yaml", &text)]);
            let Some(narrowed) = narrow(&all, &filter) else { return Ok(()) };
            let Ok(value) = parse_single(&narrowed.files.files["environments/prod.yaml"]) else { return Ok(()) };
            let kept = &narrowed.kept["environments/prod.yaml"];
            let parsed: Vec<&String> = match value["spec"].get("tenants") {
                Some(Value::Object(m)) => m.keys().collect(),
                _ => Vec::new(),
            };
            if parsed != kept.iter().collect::<Vec<_>>() {
                return Ok(());
            }
            let mut outside = full["spec"].as_object().expect("spec").clone();
            let all_tenants = outside.remove("tenants").unwrap_or(Value::Null);
            let mut narrowed_outside = value["spec"].as_object().expect("spec").clone();
            narrowed_outside.remove("tenants");
            prop_assert_eq!(outside, narrowed_outside);
            let all_tenants: BTreeMap<String, Value> = all_tenants
                .as_object()
                .map(|m| m.clone().into_iter().collect())
                .unwrap_or_default();
            for key in kept {
                prop_assert_eq!(Some(&value["spec"]["tenants"][key]), all_tenants.get(key), "{}", text);
            }
            for (key, entry) in &all_tenants {
                let names = filter.contains(key.as_str())
                    || entry.get("namespace").and_then(Value::as_str) == Some(filter.as_str());
                prop_assert!(!names || kept.contains(key), "{} could name {}: {}", key, filter, text);
            }
        }
    }
}
