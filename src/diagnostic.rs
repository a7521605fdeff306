//! Diagnostics: every user-facing problem as data (stable code, message, location, help),
//! collected across a stage so one run reports every input problem.

use std::fmt::{self, Write as _};

use crate::source::Location;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
    /// Reported, never failing: a deliberate, declared exception lint makes visible (a
    /// workflow's Pod Security exception), which no waiver should be needed for.
    Note,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        })
    }
}

/// One problem found in the inputs, templates or output directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable kebab-case code, e.g. `unknown-key`.
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub location: Option<Location>,
    pub notes: Vec<String>,
    /// How many more times the same problem occurs at the same place (one template rendered
    /// for many tenants), see [`Diagnostics::collapse_repeats`].
    pub repeats: usize,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            location: None,
            notes: Vec::new(),
            repeats: 0,
            help: None,
        }
    }

    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// The diagnostic as a person reads it: a first line `error: <what> at <file>:<line>:<col>`,
    /// then the source line with a caret under the offending token, notes, help and code.
    ///
    /// Everything that can come from an input (message, path, excerpt, notes) is escaped
    /// ([`escape`]) and the excerpt is cut to [`EXCERPT_CHARS`] around the column: an input
    /// can neither start a line of its own (a `::workflow-command` in a CI log) nor send
    /// terminal escapes, and a one-line 200 KB file is not echoed whole.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = write!(out, "{}: {}", self.severity, escape(&self.message));
        if let Some(loc) = &self.location {
            let _ = write!(out, " at {}", escape(&loc.to_string()));
        }
        out.push('\n');
        if let Some(loc) = &self.location {
            if let Some(text) = &loc.line_text {
                let (text, col) = excerpt(text, loc.col);
                let gutter = loc.line.to_string().len();
                let pad = " ".repeat(gutter);
                let width = token_width(&text, col);
                let _ = writeln!(out, "{pad} |");
                let _ = writeln!(out, "{} | {}", loc.line, text.trim_end());
                let lead: String = text
                    .chars()
                    .take(col.saturating_sub(1))
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                let _ = writeln!(out, "{pad} | {lead}{}", "^".repeat(width));
            }
        }
        let pad = self
            .location
            .as_ref()
            .map_or(0, |l| l.line.to_string().len());
        for note in &self.notes {
            let _ = writeln!(out, "{} = note: {}", " ".repeat(pad), escape(note));
        }
        if self.repeats > 0 {
            let _ = writeln!(
                out,
                "{} = note: the same problem occurs {} more time{} elsewhere in the plan",
                " ".repeat(pad),
                self.repeats,
                if self.repeats == 1 { "" } else { "s" }
            );
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "{} = help: {}", " ".repeat(pad), escape(help));
        }
        let _ = writeln!(out, "{} = code: {}", " ".repeat(pad), self.code);
        out
    }
}

/// Characters of a source line shown around the column in an excerpt.
pub const EXCERPT_CHARS: usize = 160;

/// `s` with every control character (newline, NUL, ESC, …) and every bidirectional
/// override written as an escape (`\n`, `\u{1b}`), so text from an input stays on its line
/// and cannot drive a terminal. Tabs stay.
pub fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !s.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if unsafe_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// At most [`EXCERPT_CHARS`] of `line` around 1-based `col` (escaped), with `…` where cut,
/// and the column within the excerpt.
fn excerpt(line: &str, col: usize) -> (String, usize) {
    let chars: Vec<char> = line.chars().collect();
    let at = col.saturating_sub(1).min(chars.len());
    let start = at.saturating_sub(EXCERPT_CHARS / 2);
    let end = (start + EXCERPT_CHARS).min(chars.len());
    let mut shown = String::new();
    let mut col = at - start + 1;
    if start > 0 {
        shown.push('…');
        col += 1;
    }
    let body: String = chars[start..end].iter().collect();
    let escaped = escape(&body);
    // Escapes before the column widen it.
    let before: String = chars[start..at].iter().collect();
    col += escape(&before).chars().count() - before.chars().count();
    shown.push_str(&escaped);
    if end < chars.len() {
        shown.push('…');
    }
    (shown, col)
}

/// Width of the token starting at 1-based `col`, for the caret line.
fn token_width(line: &str, col: usize) -> usize {
    let rest: String = line.chars().skip(col.saturating_sub(1)).collect();
    let mut chars = rest.chars();
    let width = match chars.next() {
        Some(q @ ('"' | '\'')) => 2 + rest[1..].find(q).unwrap_or(rest.len().saturating_sub(2)),
        Some(_) => rest
            .find(|c: char| c.is_whitespace() || matches!(c, ':' | ',' | ']' | '}' | '#'))
            .unwrap_or(rest.len()),
        None => 1,
    };
    width.max(1)
}

/// A stage's collected problems. Sorted by location so output is deterministic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    /// Sort by file, line, column, then message; drop exact duplicates.
    pub fn sorted(mut self) -> Self {
        self.0.sort_by(|a, b| {
            let key = |d: &Diagnostic| {
                d.location
                    .as_ref()
                    .map(|l| (l.file.clone(), l.line, l.col))
                    .unwrap_or_default()
            };
            key(a).cmp(&key(b)).then_with(|| a.message.cmp(&b.message))
        });
        self.0.dedup();
        self
    }

    /// `Ok(value)` when no problem was collected, else the problems.
    pub fn into_result<T>(self, value: T) -> Result<T, Diagnostics> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self.sorted())
        }
    }

    /// Fold problems reported at the same place with the same code (a template bug hit by
    /// every tenant) into the first one, with a note saying how often it recurred.
    pub fn collapse_repeats(self) -> Self {
        let mut out: Vec<Diagnostic> = Vec::new();
        for d in self.0 {
            let same = |o: &Diagnostic| {
                o.code == d.code && o.location.is_some() && o.location == d.location
            };
            // Collapsing is repeatable: the collapsed diagnostics of several renders (one
            // per environment) add up.
            match out.iter_mut().find(|o| same(o)) {
                Some(o) => o.repeats += 1 + d.repeats,
                None => out.push(d),
            }
        }
        Diagnostics(out)
    }

    /// Every diagnostic, then the count of errors.
    pub fn render(&self) -> String {
        self.render_ending("")
    }

    /// [`Diagnostics::render`] for a command that writes: the count says nothing was.
    pub fn render_nothing_written(&self) -> String {
        self.render_ending("; nothing was written")
    }

    fn render_ending(&self, ending: &str) -> String {
        let mut out = String::new();
        for d in &self.0 {
            out.push_str(&d.render());
            out.push('\n');
        }
        let errors = self
            .0
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        if errors > 0 {
            let _ = writeln!(
                out,
                "{errors} error{} found{ending}",
                if errors == 1 { "" } else { "s" }
            );
        }
        out
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl std::error::Error for Diagnostics {}

/// Split per-item results into the values and every item's problems, so a stage reports
/// all failing items at once.
pub fn partition<T>(
    results: impl IntoIterator<Item = Result<T, Diagnostics>>,
) -> (Vec<T>, Diagnostics) {
    let results = results.into_iter();
    // Room for all of them at once: results are mostly successes, and a list grown by
    // doubling (a batch's rendered units) leaves up to half unused.
    let mut ok = Vec::with_capacity(results.size_hint().0);
    let mut diags = Diagnostics::new();
    for r in results {
        match r {
            Ok(v) => ok.push(v),
            Err(d) => diags.extend(d),
        }
    }
    (ok, diags)
}

/// The closest candidate to `word`, if one is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_location_snippet_and_help() {
        let d = Diagnostic::error("unknown-key", "unknown key `tierr`")
            .at(Location {
                file: "environments/prod.yaml".into(),
                line: 12,
                col: 7,
                line_text: Some("      tierr: medium".into()),
            })
            .help("did you mean `tier`?");
        let text = d.render();
        assert_eq!(
            text,
            "error: unknown key `tierr` at environments/prod.yaml:12:7\n   |\n12 |       tierr: medium\n   |       ^^^^^\n   = help: did you mean `tier`?\n   = code: unknown-key\n"
        );
    }

    #[test]
    fn input_text_cannot_start_a_line_or_drive_a_terminal() {
        let d = Diagnostic::error("x", "team `a\n::add-mask::secret\u{1b}[31m\0`")
            .at(Location {
                file: "environments/a\nb.yaml".into(),
                line: 1,
                col: 3,
                line_text: Some("a:\u{1b}]0;pwn\u{7}\u{202e}".into()),
            })
            .note("note\r\n::error::x")
            .help("help\n::warning::y");
        let text = d.render();
        assert!(
            text.lines().all(|l| !l.starts_with("::")),
            "an input started a line:\n{text}"
        );
        assert!(!text.contains('\u{1b}') && !text.contains('\0') && !text.contains('\r'));
        assert!(!text.contains('\u{202e}'));
        assert!(
            text.contains("team `a\\n::add-mask::secret\\u{1b}[31m\\u{0}`"),
            "{text}"
        );
        assert!(text.contains("environments/a\\nb.yaml:1:3"), "{text}");
    }

    #[test]
    fn excerpts_are_cut_around_the_column() {
        let line = format!("{}key: value{}", "[".repeat(100_000), "]".repeat(100_000));
        let d = Diagnostic::error("x", "deep").at(Location {
            file: "f.yaml".into(),
            line: 1,
            col: 100_001,
            line_text: Some(line),
        });
        let text = d.render();
        assert!(text.len() < 1_000, "{} bytes", text.len());
        let lines: Vec<&str> = text.lines().collect();
        // The caret still points at `key`.
        let caret = lines[3].chars().position(|c| c == '^').expect("caret");
        let under: String = lines[2].chars().skip(caret).take(3).collect();
        assert_eq!(under, "key", "{text}");
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("tierr", ["tier", "features"]), Some("tier"));
        assert_eq!(did_you_mean("zzz", ["tier", "features"]), None);
    }
}
