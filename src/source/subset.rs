//! A fast reader for the YAML that manifests are really written in: block mappings and
//! sequences, one-line plain and quoted scalars, one-line flow collections, literal blocks
//! and comments.
//!
//! Every template's output and every file lint reads is parsed, and serde_yaml (through
//! libyaml's character-at-a-time scanner) reads ~50 MB/s per core: at 10,000 tenants that
//! was half the time of a render. This reader works a line at a time and is several times
//! faster on the same text.
//!
//! It is deliberately not a YAML parser. It answers `None` for anything outside the subset
//! (anchors, tags, multi-line plain or quoted scalars, folded blocks, complex keys,
//! directives, tabs, unusual escapes, numbers in radix or infinity spellings, duplicate
//! keys, …) and for anything it is not certain libyaml would accept. The caller then parses
//! the text with serde_yaml, which gives the same value or the error with its position, so
//! the subset never changes what a file means and never reports an error itself. The
//! differential tests (`tests/subset_props.rs`) hold it to that: on every text it accepts,
//! its value equals serde_yaml's.

use serde_json::{Map, Number, Value};

use super::yaml::{MAX_DEPTH, MAX_NODES};

/// The documents of `text` with their index in the stream (empty documents skipped), or
/// `None` when the text is outside the subset.
pub fn read(text: &str) -> Option<Vec<(usize, Value)>> {
    if !plain_characters(text.as_bytes()) {
        return None;
    }
    Reader {
        text,
        b: text.as_bytes(),
        pos: 0,
        virt: None,
        ahead: None,
        depth: 0,
        nodes: 0,
    }
    .stream()
}

/// Characters libyaml rejects or reads as line breaks or separators we do not handle: C0
/// controls other than `\n` (tabs and `\r` included), DEL, C1 controls (NEL is a line break
/// to YAML 1.1), U+2028/U+2029, byte order marks and the non-characters U+FFFE/U+FFFF.
fn plain_characters(b: &[u8]) -> bool {
    // The common case, printable ASCII and line breaks, 32 bytes at a time without a branch
    // per byte (the compiler vectorises the fold); only other texts are looked at closely.
    let ascii = |c: u8| (0x20..0x7f).contains(&c) || c == b'\n';
    let chunks = b.chunks_exact(32);
    let rest = chunks.remainder();
    if chunks
        .into_iter()
        .all(|ch| ch.iter().fold(true, |ok, &c| ok & ascii(c)))
        && rest.iter().all(|&c| ascii(c))
    {
        return true;
    }
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c < 0x80 {
            if (c < 0x20 && c != b'\n') || c == 0x7f {
                return false;
            }
            i += 1;
            continue;
        }
        match c {
            // U+0080..U+009F
            0xc2 if b.get(i + 1).is_some_and(|&n| n < 0xa0) => return false,
            // U+2028, U+2029
            0xe2 if b.get(i + 1) == Some(&0x80) && matches!(b.get(i + 2), Some(0xa8 | 0xa9)) => {
                return false
            }
            // U+FEFF, U+FFFE, U+FFFF
            0xef if matches!(
                (b.get(i + 1), b.get(i + 2)),
                (Some(0xbb), Some(0xbf)) | (Some(0xbf), Some(0xbe | 0xbf))
            ) =>
            {
                return false
            }
            _ => {}
        }
        i += 1;
    }
    true
}

/// One line as the block parser sees it: where its content starts (after the indentation)
/// and at which column.
#[derive(Clone, Copy)]
struct Line {
    indent: usize,
    start: usize,
    end: usize,
    next: usize,
    /// `---` at column 0: the start of a document.
    doc_start: bool,
}

struct Reader<'a> {
    text: &'a str,
    b: &'a [u8],
    /// Start of the next physical line.
    pos: usize,
    /// The rest of a line after `- `, read as a line of its own at that column.
    virt: Option<Line>,
    /// The line [`Reader::peek`] last found, and the `pos` it was found from: each line is
    /// peeked at several times (by the collection it ends, then the one it starts), and is
    /// scanned once.
    ahead: Option<(usize, Line)>,
    depth: usize,
    nodes: usize,
}

/// Longest key libyaml accepts on one line ("simple key" limit, with a margin).
const MAX_KEY: usize = 1000;

impl Reader<'_> {
    fn stream(mut self) -> Option<Vec<(usize, Value)>> {
        let mut docs = Vec::new();
        let mut index = 0;
        let mut first = true;
        loop {
            let line = self.peek()?;
            let Some(line) = line else { break };
            if line.doc_start {
                self.consume(line);
            } else if !first {
                // Content after a document that did not end it: a syntax error, or `...`.
                return None;
            }
            let value = self.block(0)?;
            if !value.is_null() {
                docs.push((index, value));
            }
            index += 1;
            first = false;
        }
        Some(docs)
    }

    /// The next line that is not blank or a comment (`Some(None)` at the end of the text);
    /// `None` for a line the subset does not read (a `...` document end, a directive, or a
    /// `---` followed by content).
    fn peek(&mut self) -> Option<Option<Line>> {
        if let Some(v) = self.virt {
            return Some(Some(v));
        }
        if let Some((pos, line)) = self.ahead {
            if pos == self.pos {
                return Some(Some(line));
            }
        }
        let b = self.b;
        while self.pos < b.len() {
            let start = self.pos;
            let end = memchr(b'\n', &b[start..]).map_or(b.len(), |i| start + i);
            let next = if end < b.len() { end + 1 } else { end };
            let mut i = start;
            while i < end && b[i] == b' ' {
                i += 1;
            }
            if i == end || b[i] == b'#' {
                self.pos = next;
                continue;
            }
            let mut doc_start = false;
            if i == start {
                let marker = |m: &[u8]| {
                    b[start..end].starts_with(m) && (end - start == 3 || b[start + 3] == b' ')
                };
                if marker(b"...") || b[start] == b'%' {
                    return None;
                }
                if marker(b"---") {
                    if !blank_or_comment(b, start + 3, end) {
                        return None;
                    }
                    doc_start = true;
                }
            }
            let line = Line {
                indent: i - start,
                start: i,
                end,
                next,
                doc_start,
            };
            self.ahead = Some((start, line));
            return Some(Some(line));
        }
        Some(None)
    }

    fn consume(&mut self, line: Line) {
        self.virt = None;
        self.pos = line.next;
    }

    fn count(&mut self) -> Option<()> {
        self.nodes += 1;
        (self.nodes < MAX_NODES / 2).then_some(())
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth < MAX_DEPTH - 4).then_some(())
    }

    /// A block node whose lines are indented at least `min` (null when there is none).
    fn block(&mut self, min: usize) -> Option<Value> {
        match self.peek()? {
            Some(l) if !l.doc_start && l.indent >= min => {
                if is_entry(self.b, &l) {
                    self.seq(l.indent)
                } else {
                    self.map(l.indent)
                }
            }
            _ => Some(Value::Null),
        }
    }

    fn seq(&mut self, n: usize) -> Option<Value> {
        self.enter()?;
        let mut items = Vec::new();
        while let Some(l) = self.peek()? {
            if l.doc_start || l.indent < n {
                break;
            }
            if l.indent > n {
                return None;
            }
            if !is_entry(self.b, &l) {
                break;
            }
            self.count()?;
            let c = skip_spaces(self.b, l.start + 1, l.end);
            if blank_or_comment(self.b, c, l.end) {
                self.consume(l);
                items.push(self.block(n + 1)?);
            } else {
                let item = Line {
                    indent: n + (c - l.start),
                    start: c,
                    ..l
                };
                items.push(self.item(item, n)?);
            }
        }
        self.depth -= 1;
        Some(Value::Array(items))
    }

    /// The content of a `- ` entry, read as a line at its own column.
    fn item(&mut self, l: Line, owner: usize) -> Option<Value> {
        if is_entry(self.b, &l) {
            self.virt = Some(l);
            return self.seq(l.indent);
        }
        match key(self.text, &l)? {
            Some(_) => {
                self.virt = Some(l);
                self.map(l.indent)
            }
            None => self.inline(l, l.start, owner),
        }
    }

    fn map(&mut self, n: usize) -> Option<Value> {
        self.enter()?;
        let mut map = Map::new();
        while let Some(l) = self.peek()? {
            if l.doc_start || l.indent < n || (l.indent == n && is_entry(self.b, &l)) {
                break;
            }
            if l.indent > n {
                return None;
            }
            let (k, after) = key(self.text, &l)??;
            self.count()?;
            let value = if blank_or_comment(self.b, after, l.end) {
                self.consume(l);
                match self.peek()? {
                    // A sequence may sit at its key's own indentation.
                    Some(next) if next.indent == n && is_entry(self.b, &next) => self.seq(n)?,
                    _ => self.block(n + 1)?,
                }
            } else {
                self.inline(l, after, n)?
            };
            if map.insert(k, value).is_some() {
                return None;
            }
        }
        self.depth -= 1;
        Some(Value::Object(map))
    }

    /// A value written on the line of its key or entry, from `p`. `owner` is the
    /// indentation of that key or entry: no later line may be indented past it.
    fn inline(&mut self, l: Line, p: usize, owner: usize) -> Option<Value> {
        let b = self.b;
        let p = skip_spaces(b, p, l.end);
        let (value, end) = match b[p] {
            b'|' => return self.literal(l, p, owner),
            b'"' | b'\'' | b'[' | b'{' => {
                self.enter()?;
                let r = flow_node(self.text, p, l.end, self.depth)?;
                self.depth -= 1;
                r
            }
            _ => {
                let end = block_plain_end(b, p, l.end)?;
                (plain(&self.text[p..end])?, end)
            }
        };
        if !rest_is_comment(b, end, l.end) {
            return None;
        }
        self.consume(l);
        self.continues_past(owner)?;
        Some(value)
    }

    /// `None` when the next line is indented past `owner`: a continuation line of a
    /// multi-line scalar, or an error, either way not ours.
    fn continues_past(&mut self, owner: usize) -> Option<()> {
        match self.peek()? {
            Some(next) if !next.doc_start && next.indent > owner => None,
            _ => Some(()),
        }
    }

    /// A literal block scalar (`|`, `|-`, `|+`) starting at `p` on line `l`.
    fn literal(&mut self, l: Line, p: usize, owner: usize) -> Option<Value> {
        let b = self.b;
        let mut q = p + 1;
        let chomp = match b.get(q) {
            Some(b'-') => {
                q += 1;
                Chomp::Strip
            }
            Some(b'+') => {
                q += 1;
                Chomp::Keep
            }
            _ => Chomp::Clip,
        };
        if q < l.end && b[q] != b' ' || !blank_or_comment(b, q, l.end) {
            return None;
        }
        self.consume(l);
        let mut out = String::new();
        let mut indent: Option<usize> = None;
        // Blank lines since the last content line (or the header).
        let mut breaks = 0;
        // Leading blank lines may not be wider than the first content line's indentation.
        let mut widest_leading = 0;
        let mut ended_by_break = true;
        while self.pos < b.len() {
            let start = self.pos;
            let end = memchr(b'\n', &b[start..]).map_or(b.len(), |i| start + i);
            let sp = skip_spaces(b, start, end) - start;
            if start + sp == end {
                match indent {
                    Some(ind) if sp > ind => return None,
                    None => widest_leading = widest_leading.max(sp),
                    _ => {}
                }
                breaks += 1;
            } else {
                let ind = match indent {
                    Some(ind) => ind,
                    None if sp <= owner || sp < widest_leading => return None,
                    None => sp,
                };
                if sp < ind {
                    break;
                }
                if indent.is_some() {
                    out.push('\n');
                }
                indent = Some(ind);
                (0..breaks).for_each(|_| out.push('\n'));
                breaks = 0;
                out.push_str(&self.text[start + ind..end]);
                ended_by_break = end < b.len();
            }
            self.pos = if end < b.len() { end + 1 } else { end };
        }
        if indent.is_none() || !ended_by_break {
            return None;
        }
        match chomp {
            Chomp::Strip => {}
            Chomp::Clip => out.push('\n'),
            Chomp::Keep => (0..=breaks).for_each(|_| out.push('\n')),
        }
        self.continues_past(owner)?;
        Some(Value::String(out))
    }
}

enum Chomp {
    Strip,
    Clip,
    Keep,
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    memchr::memchr(needle, hay)
}

fn skip_spaces(b: &[u8], mut p: usize, end: usize) -> usize {
    while p < end && b[p] == b' ' {
        p += 1;
    }
    p
}

fn blank_or_comment(b: &[u8], p: usize, end: usize) -> bool {
    let q = skip_spaces(b, p, end);
    q == end || (b[q] == b'#' && (q > p || b.get(p.wrapping_sub(1)) == Some(&b' ')))
}

/// After a value: nothing, or spaces and a comment.
fn rest_is_comment(b: &[u8], p: usize, end: usize) -> bool {
    let q = skip_spaces(b, p, end);
    q == end || (q > p && b[q] == b'#')
}

/// `-` followed by a space or the end of the line.
fn is_entry(b: &[u8], l: &Line) -> bool {
    b[l.start] == b'-' && (l.start + 1 == l.end || b[l.start + 1] == b' ')
}

/// The key of a `key: …` line and where its value starts; `Some(None)` when the line is
/// not a key (a scalar entry); `None` when it is outside the subset.
fn key(text: &str, l: &Line) -> Option<Option<(String, usize)>> {
    let b = text.as_bytes();
    let (k, colon) = match b[l.start] {
        b'"' | b'\'' => {
            let (k, q) = quoted(text, l.start, l.end)?;
            let q = skip_spaces(b, q, l.end);
            if q == l.end || b[q] != b':' {
                return Some(None);
            }
            (k, q)
        }
        b'[' | b'{' => return Some(None),
        _ => {
            let mut i = l.start;
            let colon = loop {
                if i == l.end || (b[i] == b'#' && b[i - 1] == b' ') {
                    return Some(None);
                }
                if b[i] == b':' && (i + 1 == l.end || b[i + 1] == b' ') {
                    break i;
                }
                i += 1;
            };
            if !plain_start(b, l.start, l.end) {
                return None;
            }
            let raw = text[l.start..colon].trim_end_matches(' ');
            match plain(raw)? {
                Value::String(s) => (s, colon),
                _ => return None,
            }
        }
    };
    if colon - l.start > MAX_KEY || !(colon + 1 == l.end || b[colon + 1] == b' ') {
        return None;
    }
    Some(Some((k, colon + 1)))
}

/// Can a plain scalar start at `p`? Indicators and reserved characters cannot; `-`, `?` and
/// `:` can when a character other than a space or flow indicator follows.
fn plain_start(b: &[u8], p: usize, end: usize) -> bool {
    match b[p] {
        b'[' | b']' | b'{' | b'}' | b',' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
        | b'"' | b'%' | b'@' | b'`' => false,
        b'-' | b'?' | b':' => {
            p + 1 < end && !matches!(b[p + 1], b' ' | b',' | b'[' | b']' | b'{' | b'}')
        }
        _ => true,
    }
}

/// The end of a plain scalar in block context starting at `p` (trailing spaces and any
/// comment excluded), or `None` if it holds `: ` or ends with `:` (a key, or an error).
fn block_plain_end(b: &[u8], p: usize, end: usize) -> Option<usize> {
    if !plain_start(b, p, end) {
        return None;
    }
    let mut i = p;
    let mut stop = end;
    while i < end {
        match b[i] {
            b'#' if b[i - 1] == b' ' => {
                stop = i;
                break;
            }
            b':' if i + 1 == end || b[i + 1] == b' ' => return None,
            _ => {}
        }
        i += 1;
    }
    while stop > p && b[stop - 1] == b' ' {
        stop -= 1;
    }
    Some(stop)
}

/// A quoted scalar on one line, from its opening quote at `p`; the string and the index
/// after its closing quote.
fn quoted(text: &str, p: usize, end: usize) -> Option<(String, usize)> {
    let b = text.as_bytes();
    let mut out = String::new();
    let mut run = p + 1;
    let mut i = p + 1;
    if b[p] == b'\'' {
        while i < end {
            if b[i] == b'\'' {
                out.push_str(&text[run..i]);
                if b.get(i + 1) == Some(&b'\'') && i + 1 < end {
                    out.push('\'');
                    i += 2;
                    run = i;
                    continue;
                }
                return Some((out, i + 1));
            }
            i += 1;
        }
        return None;
    }
    while i < end {
        match b[i] {
            b'"' => {
                out.push_str(&text[run..i]);
                return Some((out, i + 1));
            }
            b'\\' => {
                out.push_str(&text[run..i]);
                let e = *b.get(i + 1).filter(|_| i + 1 < end)?;
                i += 2;
                let simple = match e {
                    b'0' => Some('\0'),
                    b'a' => Some('\x07'),
                    b'b' => Some('\x08'),
                    b't' => Some('\t'),
                    b'n' => Some('\n'),
                    b'v' => Some('\x0b'),
                    b'f' => Some('\x0c'),
                    b'r' => Some('\r'),
                    b'e' => Some('\x1b'),
                    b' ' => Some(' '),
                    b'"' => Some('"'),
                    b'/' => Some('/'),
                    b'\\' => Some('\\'),
                    _ => None,
                };
                let c = match (simple, e) {
                    (Some(c), _) => c,
                    (None, b'x' | b'u' | b'U') => {
                        let len = match e {
                            b'x' => 2,
                            b'u' => 4,
                            _ => 8,
                        };
                        let hex = text.get(i..i + len).filter(|_| i + len <= end)?;
                        if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                            return None;
                        }
                        i += len;
                        char::from_u32(u32::from_str_radix(hex, 16).ok()?)?
                    }
                    _ => return None,
                };
                out.push(c);
                run = i;
            }
            _ => i += 1,
        }
    }
    None
}

/// A flow node (quoted scalar, `[…]` or `{…}`, or a plain scalar inside a flow collection)
/// on one line from `p`; the value and the index after it.
fn flow_node(text: &str, p: usize, end: usize, depth: usize) -> Option<(Value, usize)> {
    let b = text.as_bytes();
    if p >= end {
        return None;
    }
    match b[p] {
        b'"' | b'\'' => quoted(text, p, end).map(|(s, q)| (Value::String(s), q)),
        b'[' | b'{' if depth >= MAX_DEPTH - 4 => None,
        b'[' => {
            let mut items = Vec::new();
            let mut q = match flow_open(b, p, end, b']') {
                Step::Next(q) => q,
                Step::Closed(after) => return Some((Value::Array(items), after)),
            };
            loop {
                let (v, r) = flow_node(text, q, end, depth + 1)?;
                items.push(v);
                match flow_step(b, r, end, b']')? {
                    Step::Next(n) => q = n,
                    Step::Closed(after) => return Some((Value::Array(items), after)),
                }
            }
        }
        b'{' => {
            let mut map = Map::new();
            let mut q = match flow_open(b, p, end, b'}') {
                Step::Next(q) => q,
                Step::Closed(after) => return Some((Value::Object(map), after)),
            };
            loop {
                let quoted_key = q < end && matches!(b[q], b'"' | b'\'');
                let (k, r) = match *b.get(q).filter(|_| q < end)? {
                    b'"' | b'\'' => quoted(text, q, end)?,
                    _ => match flow_node(text, q, end, depth + 1)? {
                        (Value::String(s), r) => (s, r),
                        _ => return None,
                    },
                };
                if r - q > MAX_KEY {
                    return None;
                }
                q = skip_spaces(b, r, end);
                // JSON style (`{"k":1}`) needs no space after a quoted key.
                if q + 1 >= end || b[q] != b':' || !(quoted_key || b[q + 1] == b' ') {
                    return None;
                }
                q = skip_spaces(b, q + 1, end);
                if q >= end || matches!(b[q], b',' | b'}') {
                    return None;
                }
                let (v, r) = flow_node(text, q, end, depth + 1)?;
                if map.insert(k, v).is_some() {
                    return None;
                }
                match flow_step(b, r, end, b'}')? {
                    Step::Next(n) => q = n,
                    Step::Closed(after) => return Some((Value::Object(map), after)),
                }
            }
        }
        _ => {
            // libyaml reads `:x` and `?x` as indicators inside flow collections.
            if !plain_start(b, p, end) || matches!(b[p], b':' | b'?') {
                return None;
            }
            let mut i = p;
            while i < end && !matches!(b[i], b',' | b']' | b'}') {
                match b[i] {
                    b':' if i + 1 < end && b[i + 1] == b' ' => break,
                    // `https://…`: a colon inside a flow scalar is part of it.
                    b':' if i + 1 < end
                        && !matches!(b[i + 1], b',' | b'[' | b']' | b'{' | b'}') =>
                    {
                        i += 1
                    }
                    b':' | b'[' | b'{' => return None,
                    b'#' if b[i - 1] == b' ' => return None,
                    _ => i += 1,
                }
            }
            let raw = text[p..i].trim_end_matches(' ');
            if raw.is_empty() {
                return None;
            }
            Some((plain(raw)?, i))
        }
    }
}

/// Where the flow collection opened at `p` starts: its first entry, or its closer when it
/// is empty (`[]`, `{}`).
fn flow_open(b: &[u8], p: usize, end: usize, close: u8) -> Step {
    let q = skip_spaces(b, p + 1, end);
    if q < end && b[q] == close {
        Step::Closed(q + 1)
    } else {
        Step::Next(q)
    }
}

/// Where a flow collection goes next.
enum Step {
    /// An entry starts here.
    Next(usize),
    /// The closer: the collection ends before this index.
    Closed(usize),
}

/// After an entry that ended at `r`: a comma and the next entry, or the closer `close`;
/// `None` for anything else (a trailing comma, a collection not closed on its line, stray
/// text).
fn flow_step(b: &[u8], r: usize, end: usize, close: u8) -> Option<Step> {
    let q = skip_spaces(b, r, end);
    match *b.get(q).filter(|_| q < end)? {
        b',' => {
            let next = skip_spaces(b, q + 1, end);
            (next < end && b[next] != close).then_some(Step::Next(next))
        }
        c if c == close => Some(Step::Closed(q + 1)),
        _ => None,
    }
}

/// What a plain scalar means, as serde_yaml resolves it (null, boolean, integer, float,
/// else string); `None` for the spellings left to serde_yaml (radix and `+` prefixes, YAML's
/// infinities and NaN, integers beyond 64 bits).
fn plain(s: &str) -> Option<Value> {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    let first = s.as_bytes()[0];
    if !(first.is_ascii_digit() || first == b'-' || first == b'.') {
        // `+` starts a number in YAML; the rarer spellings are serde_yaml's to read.
        return (first != b'+').then(|| Value::String(s.to_owned()));
    }
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    if ["0x", "0o", "0b"].iter().any(|p| unsigned.starts_with(p))
        || matches!(
            unsigned,
            ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN"
        )
    {
        return None;
    }
    if !unsigned.is_empty() && unsigned.bytes().all(|c| c.is_ascii_digit()) {
        // YAML 1.2: a leading zero makes digits a string.
        if unsigned.len() > 1 && unsigned.starts_with('0') {
            return Some(Value::String(s.to_owned()));
        }
        return if s.starts_with('-') {
            s.parse::<i64>().ok().map(Value::from)
        } else {
            s.parse::<u64>().ok().map(Value::from)
        };
    }
    match s.parse::<f64>() {
        Ok(f) if f.is_finite() => Number::from_f64(f).map(Value::Number),
        _ => Some(Value::String(s.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(text: &str) -> Value {
        let mut docs = read(text).unwrap_or_else(|| panic!("declined: {text:?}"));
        assert_eq!(docs.len(), 1, "{text:?}");
        docs.remove(0).1
    }

    #[test]
    fn reads_the_shapes_manifests_use() {
        let text = "\
# Generated by gitops-render from x; do not edit.
apiVersion: v1
kind: ConfigMap
metadata:
  name: a # trailing comment
  labels:
    app.kubernetes.io/name: \"web\"
    quoted: 'it''s'
spec:
  ports:
  - {protocol: UDP, port: 53}
  - name: http
    port: 8080
  types: [Ingress, Egress]
  empty: {}
  none:
  script: |-
    set -e

    echo \"x: y\"
  nested:
    - - a
      - b
    -
      c: 1.5
  url: https://example.com/a#b
";
        assert_eq!(
            one(text),
            json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "a", "labels": {"app.kubernetes.io/name": "web", "quoted": "it's"}},
                "spec": {
                    "ports": [{"protocol": "UDP", "port": 53}, {"name": "http", "port": 8080}],
                    "types": ["Ingress", "Egress"],
                    "empty": {},
                    "none": null,
                    "script": "set -e\n\necho \"x: y\"",
                    "nested": [["a", "b"], {"c": 1.5}],
                    "url": "https://example.com/a#b"
                }
            })
        );
    }

    #[test]
    fn counts_documents_like_serde_yaml() {
        let docs = read("a: 1\n---\n# only a comment\n---\nb: [x]\n").expect("subset");
        assert_eq!(docs.iter().map(|d| d.0).collect::<Vec<_>>(), [0, 2]);
        let docs = read("# head\n---\na: 1\n").expect("subset");
        assert_eq!(docs[0].0, 0);
    }

    #[test]
    fn resolves_plain_scalars_as_serde_yaml_does() {
        for (text, want) in [
            ("1", json!(1)),
            ("-3", json!(-3)),
            ("012", json!("012")),
            ("1e3", json!(1000.0)),
            ("true", json!(true)),
            ("yes", json!("yes")),
            ("~", json!(null)),
            ("500m", json!("500m")),
            ("1.10", json!(1.1)),
            ("inf", json!("inf")),
        ] {
            assert_eq!(plain(text), Some(want), "{text}");
        }
        for text in [
            "0x1f",
            "+1",
            ".inf",
            "-.inf",
            ".nan",
            "99999999999999999999",
        ] {
            assert_eq!(plain(text), None, "{text}");
        }
    }

    #[test]
    fn declines_what_it_does_not_read() {
        for text in [
            "a: &x 1\nb: *x\n",
            "a: !tag x\n",
            "a: multi\n  line\n",
            "a: >\n  folded\n",
            "a: 1\na: 2\n",
            "? complex\n: key\n",
            "%YAML 1.2\n---\na: 1\n",
            "a: 1\n...\n",
            "a:\tb\n",
            "a: \"\\N\"\n",
            "a: [1,\n  2]\n",
            "a: b: c\n",
            "- a\nb: 1\n",
            "a: 1\n  b: 2\n",
            "\u{feff}a: 1\n",
            "a: \"x\u{2028}y\"\n",
            "a: |\n  no final break",
            "plain scalar document\n",
        ] {
            assert_eq!(read(text), None, "{text:?}");
        }
    }
}
