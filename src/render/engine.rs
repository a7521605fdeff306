//! The template engine: the only module that names minijinja.
//!
//! One engine per pack version: the project's `templates/` with the pack's own `templates/`
//! laid over them (same name ⇒ the pack's wins). Templates are added from memory, so an
//! `include` or `import` can only reach those files: no file system, no environment
//! variables, no network. Undefined values are errors, execution is bounded by fuel, and
//! output by size. What a template produced is kept per template and the values it read
//! ([`super::memo`]).

use std::collections::BTreeMap;

use minijinja::{AutoEscape, Environment, UndefinedBehavior};

use crate::diagnostic::Diagnostic;
use crate::inputs::TemplateFile;
use crate::source::Location;

use super::fitted::Fitted;
use super::memo::Memo;

/// Instructions one template render may execute before it is stopped.
pub const FUEL: u64 = 5_000_000;
/// Largest output one template render may produce.
pub const MAX_OUTPUT_BYTES: usize = 4 * 1024 * 1024;

/// Compiled templates of one pack version.
pub struct Engine {
    env: Environment<'static>,
    /// Template name → the file it was read from, for error locations.
    files: BTreeMap<String, TemplateFile>,
    pub(super) memo: Memo,
    /// WorkflowTemplates fitted to a tier, shared by the tenants of that tier.
    pub(super) fitted: Fitted,
    /// The documents of outputs, by their text.
    pub(super) pieces: super::pieces::Pieces,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("templates", &self.files.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Engine {
    /// Compile `layers` in order (later layers override earlier ones by name). Every syntax
    /// error is reported.
    pub fn new(layers: &[&[TemplateFile]]) -> Result<Engine, Vec<Diagnostic>> {
        let mut files = BTreeMap::new();
        for layer in layers {
            for t in layer.iter() {
                files.insert(t.name.clone(), t.clone());
            }
        }
        let mut env = Environment::new();
        // SemiStrict: printing, iterating or reading into an undefined value is an error, but
        // `{% if pack.spec.limitRange.max %}` may test a documented-optional key.
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        env.set_auto_escape_callback(|_| AutoEscape::None);
        env.set_keep_trailing_newline(true);
        env.set_fuel(Some(FUEL));
        env.set_recursion_limit(64);
        env.add_filter("tojson", tojson);
        env.add_function("argo", argo);
        let mut errors = Vec::new();
        for t in files.values() {
            if let Err(e) = env.add_template_owned(t.name.clone(), t.text.clone()) {
                errors.push(template_diagnostic(&files, &e, None));
            }
        }
        if errors.is_empty() {
            let memo = Memo::new(
                &env,
                files.iter().map(|(n, t)| (n.as_str(), t.text.as_str())),
            );
            Ok(Engine {
                env,
                files,
                memo,
                fitted: Fitted::default(),
                pieces: Default::default(),
            })
        } else {
            Err(errors)
        }
    }

    /// Names of templates under `prefix` (e.g. `tenant/`) that render on their own: files whose
    /// name has a component starting with `_` are partials for `include`/`import`.
    pub fn templates_under(&self, prefix: &str) -> Vec<String> {
        self.files
            .keys()
            .filter(|n| n.starts_with(prefix) && !n.split('/').any(|c| c.starts_with('_')))
            .cloned()
            .collect()
    }

    /// The `(group, kind)` pairs the templates under `prefixes` write as literal top-level
    /// `apiVersion:` / `kind:` lines: the kinds they can render, whatever each tenant's
    /// settings select. A kind computed by an expression is not seen (lint's
    /// `appproject-admission` reports it if the project then refuses it). It depends on the
    /// templates alone, so it is the same for every tenant subset of a render.
    pub fn declared_kinds(
        &self,
        prefixes: &[&str],
    ) -> std::collections::BTreeSet<(String, String)> {
        let mut out = std::collections::BTreeSet::new();
        let literal = |line: &str, key: &str| -> Option<String> {
            let v = line.strip_prefix(key)?.trim();
            let v = v
                .split(" #")
                .next()
                .unwrap_or(v)
                .trim()
                .trim_matches(['"', '\'']);
            (!v.is_empty() && !v.contains(['{', '%'])).then(|| v.to_owned())
        };
        for (name, file) in &self.files {
            if !prefixes.iter().any(|p| name.starts_with(p)) {
                continue;
            }
            let mut api_version: Option<String> = None;
            for line in file.text.lines() {
                if line.starts_with("---") {
                    api_version = None;
                } else if let Some(v) = literal(line, "apiVersion:") {
                    api_version = Some(v);
                } else if let (Some(kind), Some(av)) = (literal(line, "kind:"), &api_version) {
                    let group = av.rsplit_once('/').map_or("", |(g, _)| g);
                    out.insert((group.to_owned(), kind));
                }
            }
        }
        out
    }

    pub fn has(&self, name: &str) -> bool {
        self.files.contains_key(name)
    }

    /// Render template `name`; `what` names the plan entry for error messages.
    pub fn render(
        &self,
        name: &str,
        ctx: &minijinja::Value,
        what: &str,
    ) -> Result<String, Diagnostic> {
        let tmpl = self
            .env
            .get_template(name)
            .map_err(|e| template_diagnostic(&self.files, &e, Some(what)))?;
        // Written into a bounded buffer: the limit stops the render as it is crossed, not
        // after a 100 MB output was built.
        let mut out = Bounded::default();
        match tmpl.render_captured_to(ctx, &mut out) {
            Ok(_) => {}
            Err(_) if out.over => {
                return Err(Diagnostic::error(
                    "template-output-too-large",
                    format!(
                        "template `{name}` produced more than {} MiB while rendering {what}",
                        MAX_OUTPUT_BYTES >> 20
                    ),
                )
                .at(self.location(name, 1, 1)))
            }
            Err(e) => return Err(template_diagnostic(&self.files, &e, Some(what))),
        }
        String::from_utf8(out.buf).map_err(|_| {
            Diagnostic::error(
                "template-error",
                format!("template `{name}` produced text that is not UTF-8 while rendering {what}"),
            )
            .at(self.location(name, 1, 1))
        })
    }

    /// The location of a line in a template, for errors found after rendering.
    pub fn location(&self, name: &str, line: usize, col: usize) -> Location {
        match self.files.get(name) {
            Some(t) => location_in(t, line, col),
            None => Location::file_only(name),
        }
    }
}

/// A buffer that refuses to grow past [`MAX_OUTPUT_BYTES`], remembering that it did (so the
/// caller can tell the limit from another write error).
#[derive(Default)]
struct Bounded {
    buf: Vec<u8>,
    over: bool,
}

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + buf.len() > MAX_OUTPUT_BYTES {
            self.over = true;
            return Err(std::io::Error::other("template output limit"));
        }
        self.buf.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn location_in(t: &TemplateFile, line: usize, col: usize) -> Location {
    Location {
        file: t.path.clone(),
        line,
        col,
        line_text: t
            .text
            .lines()
            .nth(line.saturating_sub(1))
            .map(str::to_owned),
    }
}

/// `tojson` that refuses undefined values. Strict mode alone lets an undefined value reach a
/// filter, and the built-in `tojson` would print it as `null`: a typo in a template must be
/// an error, not a silently empty field. `tojson(2)` pretty-prints (for JSON inside a
/// ConfigMap value).
fn tojson(
    value: minijinja::Value,
    indent: Option<usize>,
) -> Result<minijinja::Value, minijinja::Error> {
    if value.is_undefined() {
        return Err(minijinja::Error::new(
            minijinja::ErrorKind::UndefinedError,
            "`tojson` was given an undefined value",
        ));
    }
    let out = match indent {
        Some(_) => serde_json::to_string_pretty(&value).map(minijinja::Value::from),
        None => super::frozen::json(&value),
    };
    out.map_err(|e| {
        minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!("cannot serialize to JSON: {e}"),
        )
    })
}

/// `argo("inputs.parameters.repo")` → `{{inputs.parameters.repo}}`: Argo Workflows and
/// ApplicationSet Go templates use the same braces as Jinja, so templates spell them this way.
fn argo(expr: &str) -> String {
    format!("{{{{{expr}}}}}")
}

fn template_diagnostic(
    files: &BTreeMap<String, TemplateFile>,
    e: &minijinja::Error,
    what: Option<&str>,
) -> Diagnostic {
    use minijinja::ErrorKind;
    let code = match e.kind() {
        ErrorKind::SyntaxError => "template-syntax",
        ErrorKind::UndefinedError => "template-undefined",
        ErrorKind::OutOfFuel => "template-out-of-fuel",
        _ => "template-error",
    };
    let name = e.name().unwrap_or("<unknown>");
    let mut message = format!("template `{name}`: {}", e.kind());
    if let Some(detail) = e.detail() {
        message.push_str(": ");
        message.push_str(detail);
    }
    if let Some(w) = what {
        message.push_str(&format!(" (rendering {w})"));
    }
    let mut d = Diagnostic::error(code, message);
    if let Some(t) = files.get(name) {
        let line = e.line().unwrap_or(1);
        let col = e
            .range()
            .and_then(|r| {
                let start = t.text.get(..r.start)?;
                Some(start.len() - start.rfind('\n').map_or(0, |i| i + 1) + 1)
            })
            .unwrap_or(1);
        d = d.at(location_in(t, line, col));
    }
    match e.kind() {
        ErrorKind::OutOfFuel => d.help(format!(
            "templates may run at most {FUEL} instructions; look for a loop that never ends"
        )),
        ErrorKind::UndefinedError => {
            d.help("every value a template uses must exist; test optional ones with `is defined`")
        }
        _ => d,
    }
}
