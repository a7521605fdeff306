//! YAML text → JSON values, with the limits untrusted input needs.
//!
//! Values are built by our own serde visitor rather than `serde_yaml::Value` so that one pass
//! rejects duplicate keys, non-finite numbers, nesting deeper than [`MAX_DEPTH`] and documents
//! larger than [`MAX_NODES`] (an alias bomb expands into many nodes; serde_yaml also stops
//! alias expansion on its own "repetition limit").

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use super::Pos;

/// Deepest nesting accepted in any document: inputs and manifests need far fewer levels.
pub const MAX_DEPTH: usize = 64;
/// Most nodes one document may expand to (after aliases).
pub const MAX_NODES: usize = 1_000_000;
/// Largest input file read.
pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;

/// A YAML syntax or limit error with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    pub pos: Pos,
    pub message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at line {} column {}",
            self.message, self.pos.line, self.pos.col
        )
    }
}

/// Parse every document of a YAML stream. Empty documents (`---` alone, comments only) are
/// skipped; the index of each returned value is its document index in the stream.
pub fn parse_documents(text: &str) -> Result<Vec<(usize, Value)>, YamlError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(YamlError {
            pos: Pos { line: 1, col: 1 },
            message: format!("file is larger than the {} MiB limit", MAX_FILE_BYTES >> 20),
        });
    }
    let mut docs = match super::subset::read(text) {
        Some(docs) => docs,
        None => parse_documents_libyaml(text)?,
    };
    if has_merge_key(text) {
        docs.iter_mut().for_each(|(_, d)| merge_keys(d));
    }
    Ok(docs)
}

/// The documents of a text that does not read as a whole, each read on its own: a syntax
/// error or a duplicate key stops only the document it is in. Documents are split at `---`
/// lines (what a document-start marker is at the left margin), keep their index in the
/// file, and errors their line in it. Empty documents are left out, as
/// [`parse_documents`] leaves them.
pub fn parse_documents_apart(text: &str) -> Vec<Result<(usize, Value), YamlError>> {
    let mut out = Vec::new();
    for (index, piece) in document_pieces(text).into_iter().enumerate() {
        match parse_documents(piece.text) {
            Ok(docs) => out.extend(docs.into_iter().map(|(_, v)| Ok((index, v)))),
            Err(mut e) => {
                e.pos.line += piece.line;
                out.push(Err(e));
            }
        }
    }
    out
}

/// One document's text in a file, and the number of lines before it.
pub(crate) struct Piece<'t> {
    pub text: &'t str,
    pub line: usize,
}

/// A text's documents, split at `---` lines, one [`Piece`] per document of the file (text
/// before the first marker is a document only when it holds more than comments).
pub(crate) fn document_pieces(text: &str) -> Vec<Piece<'_>> {
    let mut starts: Vec<(usize, usize)> = Vec::new(); // (byte, line index)
    let mut offset = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let bare = line.trim_end_matches(['\n', '\r']);
        let marker = bare == "---" || bare.starts_with("--- ") || bare.starts_with("---\t");
        if marker || n == 0 {
            starts.push((offset, n));
        }
        offset += line.len();
    }
    let mut out = Vec::new();
    for (i, &(start, line)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(text.len(), |p| p.0);
        let piece = &text[start..end];
        let content = piece
            .lines()
            .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
        if piece.starts_with("---") || content {
            out.push(Piece { text: piece, line });
        }
    }
    out
}

/// Does `text` hold a plain `<<` key (a quoted `"<<"` is an ordinary key)?
fn has_merge_key(text: &str) -> bool {
    // Almost no file has a `<`: a byte search (memchr) rejects them in one pass.
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(i) = text[from..].find('<').map(|i| i + from) {
        if bytes.get(i + 1) == Some(&b'<')
            && bytes.get(i + 2) == Some(&b':')
            && !matches!(i.checked_sub(1).map(|p| bytes[p]), Some(b'"' | b'\''))
        {
            return true;
        }
        from = i + 1;
    }
    false
}

/// Resolve YAML merge keys (`<<: *defaults`, `<<: [*a, *b]`) as Kubernetes' YAML reader
/// does: the merged mappings' entries are added where the mapping does not set them itself,
/// earlier mappings of a list winning over later ones. Inner merges are resolved first.
fn merge_keys(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.values_mut().for_each(merge_keys);
            let Some(merged) = map.remove("<<") else {
                return;
            };
            let sources = match merged {
                Value::Array(items) => items,
                one => vec![one],
            };
            for source in sources {
                if let Value::Object(entries) = source {
                    for (k, v) in entries {
                        map.entry(k).or_insert(v);
                    }
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(merge_keys),
        _ => {}
    }
}

/// [`parse_documents`] without the fast subset reader: serde_yaml reads every text. The
/// reference the subset reader is tested against; the parser of everything outside it.
pub fn parse_documents_libyaml(text: &str) -> Result<Vec<(usize, Value)>, YamlError> {
    check_depth(text)?;
    let mut out = Vec::new();
    for (i, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let mut budget = MAX_NODES;
        let value = ValueSeed {
            depth: 0,
            budget: &mut budget,
        }
        .deserialize(doc)
        .map_err(|e| locate_duplicate(text, convert(e)))?;
        if !value.is_null() {
            out.push((i, value));
        }
    }
    Ok(out)
}

/// Refuse nesting far deeper than [`MAX_DEPTH`] in one linear pass, before libyaml sees the
/// text: libyaml builds the whole event stream first and takes time quadratic in the depth
/// of flow collections (100,000 `[` in 200 KB took 37 s), so the depth limit of the value
/// visitor comes too late. The pass is a cautious over-estimate (block indentation levels,
/// `- ` markers on one line, and flow brackets outside quotes, comments and block scalars),
/// held to twice the real limit so that no valid document is refused here; the visitor
/// still applies the exact one.
fn check_depth(text: &str) -> Result<(), YamlError> {
    let limit = 2 * MAX_DEPTH;
    let too_deep = |line: usize, col: usize| YamlError {
        pos: Pos { line, col },
        message: format!("YAML nesting is deeper than {MAX_DEPTH} levels"),
    };
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    let mut quote: Option<u8> = None;
    // The indentation of the line that opened a block scalar: deeper lines are its text.
    let mut block_scalar: Option<usize> = None;
    for (n, line) in text.lines().enumerate() {
        let b = line.as_bytes();
        let indent = b.iter().take_while(|&&c| c == b' ').count();
        if let Some(parent) = block_scalar {
            if indent == b.len() || indent > parent {
                continue;
            }
            block_scalar = None;
        }
        let mut i = indent;
        let mut depth = indents.len();
        if quote.is_none() && flow == 0 {
            if i == b.len() || b[i] == b'#' {
                continue;
            }
            if b.starts_with(b"---") || b.starts_with(b"...") {
                indents.clear();
                continue;
            }
            while indents.last().is_some_and(|&top| top >= indent) {
                indents.pop();
            }
            indents.push(indent);
            depth = indents.len();
            while b.get(i) == Some(&b'-') && matches!(b.get(i + 1), None | Some(b' ')) {
                depth += 1;
                i += 2;
                while b.get(i) == Some(&b' ') {
                    i += 1;
                }
            }
            if depth > limit {
                return Err(too_deep(n + 1, i.min(b.len()) + 1));
            }
        }
        let mut prev = b' ';
        let mut content_end = b.len();
        while i < b.len() {
            let c = b[i];
            match quote {
                Some(b'"') if c == b'\\' => {
                    i += 2;
                    prev = b'a';
                    continue;
                }
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None => {
                    let starts =
                        matches!(prev, b' ' | b'\t' | b'[' | b'{' | b',' | b':') || i == indent;
                    match c {
                        b'#' if matches!(prev, b' ' | b'\t') || i == indent => {
                            content_end = i;
                            break;
                        }
                        b'"' | b'\'' if starts || (c == b'\'' && prev == b'\'') => quote = Some(c),
                        b'[' | b'{' if starts => {
                            flow += 1;
                            if depth + flow > limit {
                                return Err(too_deep(n + 1, i + 1));
                            }
                        }
                        b']' | b'}' if flow > 0 => flow -= 1,
                        _ => {}
                    }
                }
            }
            prev = c;
            i += 1;
        }
        if quote.is_none() && flow == 0 {
            let head = line[..content_end].trim_end();
            let indicator = head
                .rsplit([' ', '\t'])
                .next()
                .unwrap_or_default()
                .trim_end_matches(|c: char| c.is_ascii_digit() || c == '-' || c == '+');
            if (indicator == "|" || indicator == ">") && head.len() > indent {
                block_scalar = Some(indent);
            }
        }
    }
    Ok(())
}

/// Parse a file that must hold exactly one document.
pub fn parse_single(text: &str) -> Result<Value, YamlError> {
    let mut docs = parse_documents(text)?;
    match docs.len() {
        0 => Err(YamlError {
            pos: Pos { line: 1, col: 1 },
            message: "file is empty: expected one YAML document".to_owned(),
        }),
        1 => Ok(docs.remove(0).1),
        _ => Err(YamlError {
            pos: Pos { line: 1, col: 1 },
            message: format!("expected one YAML document, found {}", docs.len()),
        }),
    }
}

/// serde_yaml reports our own errors without a useful position; for duplicate keys the span
/// index knows exactly where the second key is.
fn locate_duplicate(text: &str, mut e: YamlError) -> YamlError {
    if e.message.contains("duplicate key") {
        if let Some((_, _, pos)) = super::SpanIndex::build(text).duplicates.first() {
            e.pos = *pos;
        }
    }
    e
}

fn convert(e: serde_yaml::Error) -> YamlError {
    let pos = e
        .location()
        .map(|l| Pos {
            line: l.line(),
            col: l.column(),
        })
        .unwrap_or(Pos { line: 1, col: 1 });
    let raw = e.to_string();
    let message = if raw.starts_with("repetition limit exceeded") {
        "YAML aliases expand too far (alias bomb?): refusing to expand them".to_owned()
    } else if raw.starts_with("recursion limit exceeded") {
        format!("YAML nesting is deeper than {MAX_DEPTH} levels")
    } else {
        // serde_yaml appends " at line L column C"; the position is reported separately.
        match raw.find(" at line ") {
            Some(i) => raw[..i].to_owned(),
            None => raw,
        }
    };
    YamlError { pos, message }
}

struct ValueSeed<'b> {
    depth: usize,
    budget: &'b mut usize,
}

impl ValueSeed<'_> {
    fn spend<E: serde::de::Error>(&mut self) -> Result<(), E> {
        if *self.budget == 0 {
            return Err(E::custom(format!(
                "document expands to more than {MAX_NODES} nodes (alias bomb?)"
            )));
        }
        *self.budget -= 1;
        Ok(())
    }

    fn child(&mut self) -> ValueSeed<'_> {
        ValueSeed {
            depth: self.depth + 1,
            budget: self.budget,
        }
    }
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom(format!("{v} is not a finite number")))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        // A tagged value (`!Foo x`): keep the value, drop the tag.
        d.deserialize_any(self)
    }
    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, _data: A) -> Result<Value, A::Error> {
        Err(A::Error::custom("YAML tags (`!name`) are not supported"))
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Value, A::Error> {
        if self.depth >= MAX_DEPTH {
            return Err(A::Error::custom(format!(
                "YAML nesting is deeper than {MAX_DEPTH} levels"
            )));
        }
        let mut out = Vec::new();
        loop {
            self.spend()?;
            match seq.next_element_seed(self.child())? {
                Some(v) => out.push(v),
                None => break,
            }
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Value, A::Error> {
        if self.depth >= MAX_DEPTH {
            return Err(A::Error::custom(format!(
                "YAML nesting is deeper than {MAX_DEPTH} levels"
            )));
        }
        let mut out = Map::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            self.spend()?;
            let value = map.next_value_seed(self.child())?;
            if out.contains_key(&key) {
                return Err(A::Error::custom(format!(
                    "duplicate key `{key}` in a mapping"
                )));
            }
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

/// Mapping keys become strings; scalars that YAML reads as numbers or booleans keep their
/// text form (as `kubectl` does when it turns YAML into JSON).
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a scalar mapping key")
    }
    fn visit_bool<E>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_i64<E>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_str<E>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    /// A null key (`~:`, `null:` or an empty `:`) is refused rather than read as the text
    /// `null`: an environment's `~:` under `tenants` would otherwise be a team named "null".
    fn visit_unit<E: serde::de::Error>(self) -> Result<String, E> {
        Err(E::custom(
            "a mapping key is null (`~`, `null` or empty); quote it if you mean the text",
        ))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _seq: A) -> Result<String, A::Error> {
        Err(A::Error::custom(
            "a mapping key must be a scalar, found a sequence",
        ))
    }
    fn visit_map<A: MapAccess<'de>>(self, _map: A) -> Result<String, A::Error> {
        Err(A::Error::custom(
            "a mapping key must be a scalar, found a mapping",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_refused_before_libyaml_sees_it() {
        for text in [
            format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000)),
            format!("a: {}\n", "{b: ".repeat(50_000)),
            format!("{}x\n", "- ".repeat(100_000)),
            (0..2_000)
                .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
                .collect::<String>(),
        ] {
            let e = parse_documents_libyaml(&text).expect_err("too deep");
            assert!(e.message.contains("deeper than"), "{}", e.message);
        }
    }

    #[test]
    fn null_keys_are_refused() {
        for text in ["tenants:\n  ~:\n    tier: small\n", "null: 1\n", "{~: 1}\n"] {
            let e = parse_documents(text).expect_err("null key");
            assert!(e.message.contains("mapping key is null"), "{}", e.message);
        }
        assert_eq!(parse_documents("\"~\": 1\n").expect("quoted")[0].1["~"], 1);
    }

    #[test]
    fn the_depth_pass_refuses_no_ordinary_yaml() {
        let text = "a: 'it''s [not' # [comment\nb: \"x \\\" [y\"\nc: |\n  {{ [[[[[[ }}\n  ]]]\nd: a[0]{1}\nurl: http://x#[\n".to_owned()
            + &"e: [1, [2, {f: [3]}]]\n".repeat(200);
        assert!(check_depth(&text).is_ok());
        let nested: String = (0..60)
            .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
            .collect();
        assert!(check_depth(&(nested + &"  ".repeat(60) + "v: 1\n")).is_ok());
    }

    #[test]
    fn parses_documents_and_skips_empty_ones() {
        let docs = parse_documents("a: 1\n---\n# only a comment\n---\nb: [x]\n").expect("parses");
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].1["a"], 1);
        assert_eq!(docs[1].0, 2);
    }

    #[test]
    fn rejects_duplicate_keys_with_position() {
        let err = parse_single("a: 1\nb: 2\na: 3\n").expect_err("duplicate");
        assert!(err.message.contains("duplicate key `a`"), "{err}");
        assert_eq!(err.pos.line, 3);
    }

    #[test]
    fn reports_syntax_errors_with_position() {
        let err = parse_single("a: [1, 2\nb: 3\n").expect_err("unclosed");
        assert!(err.pos.line >= 2, "{err}");
    }

    #[test]
    fn rejects_deep_nesting() {
        let text = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        let err = parse_single(&text).expect_err("deep");
        assert!(err.message.contains("deeper than 64"), "{err}");
    }

    #[test]
    fn rejects_alias_bombs_fast() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = format!("*a{}", i - 1);
            text.push_str(&format!(
                "a{i}: &a{i} [{}]\n",
                [prev.as_str(); 10].join(", ")
            ));
        }
        let err = parse_single(&text).expect_err("bomb");
        assert!(err.message.contains("alias"), "{err}");
    }
}
