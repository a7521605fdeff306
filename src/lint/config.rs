//! What changes lint's verdict: severity overrides and waivers from the pack
//! (`spec.lint`), the `gitops-render.dev/ignore` annotation on an object, and the
//! environment rules (allowed tiers) a pack sets.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::diagnostic::Severity;
use crate::source::Location;

use super::{Document, Finding, Rule};

/// Objects list rule ids here (comma separated) to silence them for that object.
pub const IGNORE_ANNOTATION: &str = "gitops-render.dev/ignore";

/// On a WorkflowTemplate: the relaxations its pack's `podSecurity` exception grants
/// (`allowPrivilegeEscalation, defaultCapabilities`), stamped by the render.
pub const EXCEPTION_ANNOTATION: &str = "gitops-render.dev/pod-security-exception";

/// The container rule a relaxation answers, so that finding is reported as a note.
pub fn relaxed_by(rule: &str) -> Option<&'static str> {
    match rule {
        "privilege-escalation" => Some("allowPrivilegeEscalation"),
        "capabilities-not-dropped" => Some("defaultCapabilities"),
        _ => None,
    }
}

/// A time-boxed exception: `rule` does not fire for objects matching `object` until `expires`.
#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    pub rule: String,
    /// `Kind namespace/name` with `*` wildcards, e.g. `WorkflowTemplate data-*/tiff-offsets-v1`.
    pub object: String,
    pub owner: String,
    pub reason: String,
    /// `YYYY-MM-DD`; the waiver stops applying after that day, and is then itself a finding.
    pub expires: String,
    /// Where the waiver is written, for the expired-waiver finding.
    #[serde(skip)]
    pub location: Option<Location>,
}

impl LintConfig {
    /// The settings the packs of a resolved plan give: each environment's allowed tiers and
    /// required workflows, and the union of the packs' severity overrides and waivers
    /// (on conflict, the stricter severity wins).
    pub fn from_plan(inputs: &crate::inputs::Inputs, plan: &crate::resolve::Plan) -> LintConfig {
        let mut cfg = LintConfig::new();
        cfg.tree_path = plan
            .environments
            .first()
            .map(|e| e.settings.repo.path.clone());
        for env in &plan.environments {
            let url = normalise_repo(&env.settings.repo.url);
            if !cfg.repo_urls.contains(&url) {
                cfg.repo_urls.push(url);
            }
            if let Some(rule) = env.spec.environments.get(&env.name) {
                if let Some(tiers) = &rule.allowed_tiers {
                    cfg.allowed_tiers.insert(env.name.clone(), tiers.clone());
                }
            }
            if let Some(wf) = &env.spec.workflows {
                cfg.required_workflows
                    .insert(env.name.clone(), wf.required.clone());
            }
            cfg.naming
                .insert(env.name.clone(), env.spec.naming.namespace.clone());
            if let Some(executor) = env
                .spec
                .workflows
                .as_ref()
                .and_then(|w| w.executor.as_ref())
            {
                cfg.executor
                    .get_or_insert_with(|| crate::model::Executor::container(Some(executor)));
            }
            let Some(lint) = &env.spec.lint else { continue };
            for (id, level) in &lint.rules {
                // `off` (the only other level the pack schema allows) turns it off.
                let sev = crate::settings::severity(level).ok().flatten();
                let stricter = match (cfg.overrides.get(id), sev) {
                    (None, s) => s,
                    (Some(Some(Severity::Error)), _) | (_, Some(Severity::Error)) => {
                        Some(Severity::Error)
                    }
                    (Some(a), None) => *a,
                    (Some(_), s) => s,
                };
                cfg.overrides.insert(id.clone(), stricter);
            }
            for (i, w) in lint.waivers.iter().enumerate() {
                if cfg
                    .waivers
                    .iter()
                    .any(|x| x.rule == w.rule && x.object == w.object && x.expires == w.expires)
                {
                    continue;
                }
                let mut w = w.clone();
                w.location = env
                    .pack_provenance
                    .file_pointer(&format!("/lint/waivers/{i}/expires"))
                    .map(|(src, ptr)| {
                        inputs
                            .sources
                            .locate(src, 0, &ptr, crate::source::Target::Value)
                    });
                cfg.waivers.push(w);
            }
        }
        cfg
    }
}

/// Lint settings for one run.
#[derive(Clone, Debug, Default)]
pub struct LintConfig {
    /// Rule id → severity, or `None` for "off".
    pub overrides: BTreeMap<String, Option<Severity>>,
    pub waivers: Vec<Waiver>,
    /// Environment → tiers allowed there.
    pub allowed_tiers: BTreeMap<String, Vec<String>>,
    /// Environment → required workflows.
    pub required_workflows: BTreeMap<String, Vec<String>>,
    /// Environment → namespace naming rule (`{team}-{environment}` when unknown).
    pub naming: BTreeMap<String, String>,
    /// Kubernetes version to check apiVersions against (`1.34`).
    pub kube_version: Option<(u32, u32)>,
    /// Report unknown kinds as errors instead of warnings.
    pub strict_kinds: bool,
    /// Today as `YYYY-MM-DD`, for waiver expiry.
    pub today: String,
    /// Where the tree sits in its repository (the environments' `repo.path`), so generator
    /// paths such as `infra/kubernetes/gitops/argocd/prod/tenants/*` resolve against it.
    pub tree_path: Option<String>,
    /// Argo's executor container (`{resources: …}`) as the pack declares the controller runs
    /// it; `None` when unknown: the `wait` and `init` containers then get the LimitRange
    /// defaults.
    pub executor: Option<serde_json::Value>,
    /// Globs of linted paths not read (`lint.exclude`, `--exclude`).
    pub exclude: Vec<String>,
    /// Kinds not checked (`Kind` or `apiVersion/Kind`).
    pub skip_kinds: Vec<String>,
    /// Kinds refused wherever they appear (`Kind` or `apiVersion/Kind`).
    pub reject_kinds: Vec<String>,
    /// URLs of the repository being linted (the config's `repo.url`, the estate's, the git
    /// remote), normalised ([`same_repo`]); empty when unknown.
    pub repo_urls: Vec<String>,
    /// Schemas of custom resources given to this run (`--crd`, `--schema-dir`) and found
    /// among the linted files (CRDs in the tree).
    pub custom: Vec<std::sync::Arc<crate::schema::custom::Custom>>,
}

/// Does an entry of `skipKinds`/`rejectKinds` (`Kind` or `apiVersion/Kind`) name this kind?
pub fn names_kind(entry: &str, api_version: &str, kind: &str) -> bool {
    match entry.rsplit_once('/') {
        Some((av, k)) => k == kind && av == api_version,
        None => entry == kind,
    }
}

/// A repository URL as Argo CD compares them: no scheme, no user, no `.git`, no trailing
/// slash, `git@host:org/repo` read as `host/org/repo`, lower case.
pub fn normalise_repo(url: &str) -> String {
    let mut u = url.trim().to_ascii_lowercase();
    for scheme in ["https://", "http://", "ssh://", "git://", "file://"] {
        if let Some(rest) = u.strip_prefix(scheme) {
            u = rest.to_owned();
        }
    }
    if let Some((_, rest)) = u.split_once('@') {
        u = rest.to_owned();
    }
    if !u.starts_with('/') {
        if let Some((host, path)) = u.split_once(':') {
            if !path.starts_with(|c: char| c.is_ascii_digit()) {
                u = format!("{host}/{path}");
            }
        }
    }
    let u = u.trim_end_matches('/');
    u.strip_suffix(".git").unwrap_or(u).to_owned()
}

impl LintConfig {
    /// Is `url` the repository being linted? `None` when this run does not know which
    /// repository that is.
    pub fn same_repo(&self, url: &str) -> Option<bool> {
        if self.repo_urls.is_empty() {
            return None;
        }
        let u = normalise_repo(url);
        Some(self.repo_urls.contains(&u))
    }

    /// The strict validator for `apiVersion`/`kind`: built in, or given to this run.
    pub fn validator(&self, api_version: &str, kind: &str) -> Option<&jsonschema::Validator> {
        crate::schema::objects::validator(api_version, kind).or_else(|| {
            self.custom
                .iter()
                .find_map(|c| c.validator(api_version, kind))
        })
    }

    /// Is a schema known for `apiVersion`/`kind` (built in, or given to this run)? Nothing is
    /// compiled to answer.
    pub fn has_schema(&self, api_version: &str, kind: &str) -> bool {
        crate::schema::objects::has_schema(api_version, kind)
            || self
                .custom
                .iter()
                .any(|c| c.validator(api_version, kind).is_some())
    }

    /// Does `value` validate against the schema of `apiVersion`/`kind`? `None` when none is
    /// known. Built-in CRD schemas may answer from a schema cut to the value's fields
    /// ([`crate::schema::objects::is_valid`]), which gives the same verdict.
    pub fn is_valid(
        &self,
        api_version: &str,
        kind: &str,
        value: &serde_json::Value,
    ) -> Option<bool> {
        crate::schema::objects::is_valid(api_version, kind, value).or_else(|| {
            self.custom
                .iter()
                .find_map(|c| c.validator(api_version, kind))
                .map(|v| v.is_valid(value))
        })
    }

    /// Is this kind skipped (`skipKinds`)?
    pub fn skips(&self, api_version: &str, kind: &str) -> bool {
        self.skip_kinds
            .iter()
            .any(|e| names_kind(e, api_version, kind))
    }

    /// A config with today's date (overridable with `GITOPS_RENDER_TODAY` for reproducible runs).
    pub fn new() -> LintConfig {
        LintConfig {
            today: std::env::var("GITOPS_RENDER_TODAY").unwrap_or_else(|_| today()),
            ..LintConfig::default()
        }
    }

    /// The severity of `rule` in this run, `None` when it is turned off.
    pub fn severity(&self, rule: &Rule) -> Option<Severity> {
        if rule.id == "no-schema" && self.strict_kinds {
            return Some(Severity::Error);
        }
        match self.overrides.get(rule.id) {
            Some(s) => *s,
            None => Some(rule.severity),
        }
    }

    /// Is `rule` silenced for `doc` by its annotation or a live waiver?
    pub fn suppressed(&self, rule: &str, doc: &Document) -> bool {
        if doc
            .annotation(IGNORE_ANNOTATION)
            .is_some_and(|list| list.split(',').any(|r| r.trim() == rule))
        {
            return true;
        }
        let object = doc.display();
        self.waivers.iter().any(|w| {
            w.rule == rule
                && w.expires.as_str() >= self.today.as_str()
                && glob_match(&w.object, &object)
        })
    }

    /// Expired waivers are findings: an exception that outlived its date must be renewed or fixed.
    pub fn expired_waivers(&self) -> Vec<Finding> {
        self.waivers
            .iter()
            .filter(|w| w.expires.as_str() < self.today.as_str())
            .map(|w| Finding {
                rule: "waiver-expired",
                severity: Severity::Error,
                message: format!(
                    "the waiver of `{}` for {} (owner {}) expired on {}",
                    w.rule, w.object, w.owner, w.expires
                ),
                location: w
                    .location
                    .clone()
                    .unwrap_or_else(|| Location::file_only("<config>")),
                object: None,
                help: Some(format!(
                    "fix the findings and remove the waiver, or agree a new date with {}",
                    w.owner
                )),
            })
            .collect()
    }
}

/// `*` matches any run of characters.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

/// Today's date (UTC) as `YYYY-MM-DD`, from the system clock.
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date((secs / 86_400) as i64)
}

/// Is `s` a calendar date written `YYYY-MM-DD` (waiver expiries compare as text, so any
/// other spelling would compare wrongly)?
pub fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10
        || b[4] != b'-'
        || b[7] != b'-'
        || !digits(0..4)
        || !digits(5..7)
        || !digits(8..10)
    {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(0);
    let (y, m, d) = (num(0..4), num(5..7), num(8..10));
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// Days since 1970-01-01 → `YYYY-MM-DD` (proleptic Gregorian calendar).
pub fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        for ok in ["2026-11-22", "2024-02-29", "1999-12-31"] {
            assert!(is_iso_date(ok), "{ok}");
        }
        for bad in [
            "garbage",
            "2026-13-01",
            "2025-02-29",
            "2026-1-01",
            "2026-11-22x",
            "２０２６-11-22",
        ] {
            assert!(!is_iso_date(bad), "{bad}");
        }
    }

    #[test]
    fn dates_and_globs() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(20_779), "2026-11-22");
        assert!(glob_match(
            "WorkflowTemplate data-*/tiff-*",
            "WorkflowTemplate data-dev/tiff-offsets-v1"
        ));
        assert!(!glob_match("Role *-prod/viewer", "Role data-dev/viewer"));
    }
}
