//! ApplicationSet git generators point at paths that exist.

use std::ops::Bound::{Included, Unbounded};

use globset::GlobBuilder;

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "appset-path-missing",
    family: Family::Argo,
    severity: Severity::Error,
    summary: "An ApplicationSet git generator path matches no directory or file in the linted tree.",
    doc: "## What it does\nExpands ApplicationSet generators offline — git `directories` and `files`, nested in `matrix` and `merge` — against the linted tree (paths are taken relative to the repository, so `gitops/prod/tenants/*` matches `prod/tenants/*` when `gitops/` is linted) and reports patterns that match nothing. Only generators over the linted repository are judged: their `repoURL` is compared (scheme, user, `.git` and case aside) with `repo.url` of `.gitops-render.yaml`, the estate's environments and the Git remotes of the linted folder; when none of these is known, every generator is judged.\n\n## Why is this bad?\nA generator that matches nothing generates no Applications: the environment silently deploys nothing, or prunes what it had.\n\n## Example\n```yaml\ngenerators:\n- git:\n    directories:\n    - path: gitops/prod/tenant/*   # tenants/\n```",
    scope: Scope::Corpus(&[("ApplicationSet", "/spec/generators")]),
    check,
};

/// One git generator path: the pointer to it, the pattern, whether it is an `exclude`, and
/// whether it matches files (else directories).
pub struct GenPath {
    pub pointer: String,
    pub pattern: String,
    pub exclude: bool,
    pub files: bool,
    /// The generator's `repoURL`.
    pub repo: String,
}

/// Every git generator path of an ApplicationSet, through matrix and merge generators.
pub fn generator_paths(gens: &Value, ptr: &str, out: &mut Vec<GenPath>) {
    for (g, gen) in gens.as_array().into_iter().flatten().enumerate() {
        let gptr = format!("{ptr}/{g}");
        if let Some(git) = gen.get("git") {
            for (key, files) in [("directories", false), ("files", true)] {
                for (p, entry) in git[key].as_array().into_iter().flatten().enumerate() {
                    if let Some(pattern) = entry["path"].as_str() {
                        out.push(GenPath {
                            pointer: format!("{gptr}/git/{key}/{p}/path"),
                            pattern: pattern.to_owned(),
                            exclude: entry["exclude"] == true,
                            files,
                            repo: git["repoURL"].as_str().unwrap_or_default().to_owned(),
                        });
                    }
                }
            }
        }
        for nested in ["matrix", "merge"] {
            if let Some(inner) = gen.get(nested).and_then(|m| m.get("generators")) {
                generator_paths(inner, &format!("{gptr}/{nested}/generators"), out);
            }
        }
    }
}

/// The linted paths (directories or files) a repository path pattern matches.
pub fn matches(c: &Corpus, pattern: &str, files: bool) -> Vec<String> {
    // `root/p` matches the pattern exactly when `p` matches what follows the pattern's
    // `root/`: no path is rebuilt per candidate.
    let below_root = c
        .root_name
        .as_ref()
        .and_then(|root| pattern.strip_prefix(&format!("{root}/")));
    let Some(whole) = Glob::new(pattern) else {
        return Vec::new();
    };
    let globs: Vec<Glob> = std::iter::once(whole)
        .chain(below_root.and_then(Glob::new))
        .collect();
    let mut out: Vec<String> = Vec::new();
    for glob in &globs {
        if files {
            out.extend(
                (0..c.docs.len())
                    .map(|i| c.path(i))
                    .filter(|p| glob.is_match(p))
                    .map(str::to_owned),
            );
        } else {
            // Only the folders that start with the glob's literal part can match, and the
            // folders are sorted: at N = 10,000 a generator over `prod/tenants/*` tries
            // that folder's 10,000 tenants, not the 80,000 folders of four environments.
            out.extend(
                c.dirs
                    .range::<str, _>((Included(glob.literal), Unbounded))
                    .take_while(|d| d.starts_with(glob.literal))
                    .filter(|d| glob.is_match(d))
                    .cloned(),
            );
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A compiled path pattern and the literal text every path it matches starts with.
struct Glob<'p> {
    literal: &'p str,
    matcher: globset::GlobMatcher,
}

impl<'p> Glob<'p> {
    /// `None` for a pattern that is not a glob (it matches nothing).
    fn new(pattern: &'p str) -> Option<Glob<'p>> {
        let matcher = GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .ok()?
            .compile_matcher();
        // Up to the first character with a meaning in globset's syntax (`\` escapes).
        let literal = &pattern[..pattern
            .find(['*', '?', '[', '{', '\\'])
            .unwrap_or(pattern.len())];
        Some(Glob { literal, matcher })
    }

    fn is_match(&self, path: &str) -> bool {
        path.starts_with(self.literal) && self.matcher.is_match(path)
    }
}

fn check(c: &Corpus, config: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.of_kind(&["ApplicationSet"]) {
        let mut paths = Vec::new();
        generator_paths(
            &d.value["spec"]["generators"],
            "/spec/generators",
            &mut paths,
        );
        // A generator over another repository cannot be judged from these files; when the
        // run does not know which repository it lints, every generator is judged.
        let here = |p: &&GenPath| config.same_repo(&p.repo) != Some(false);
        for p in paths.iter().filter(|p| !p.exclude).filter(here) {
            if matches(c, &p.pattern, p.files).is_empty() {
                out.push(Hit::new(
                    i,
                    p.pointer.clone(),
                    format!(
                        "{}: generator path `{}` matches nothing in the tree",
                        d.display(),
                        p.pattern
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Every folder either matcher of the pattern (`root/` taken off or not) accepts: the
    /// scan over all folders that `matches` narrows to the glob's literal part.
    fn scanned(c: &Corpus, pattern: &str) -> Vec<String> {
        let compile = |p: &str| {
            GlobBuilder::new(p)
                .literal_separator(true)
                .build()
                .ok()
                .map(|g| g.compile_matcher())
        };
        let Some(whole) = compile(pattern) else {
            return Vec::new();
        };
        let below = pattern.strip_prefix("gitops/").and_then(compile);
        c.dirs
            .iter()
            .filter(|d| whole.is_match(d) || below.as_ref().is_some_and(|m| m.is_match(d)))
            .cloned()
            .collect()
    }

    fn segment() -> impl Strategy<Value = String> {
        prop::sample::select(vec!["a", "ab", "b", "prod", "x.y", "gitops", "a-b"])
            .prop_map(str::to_owned)
    }

    fn pattern_segment() -> impl Strategy<Value = String> {
        prop_oneof![
            segment(),
            prop::sample::select(vec![
                "*", "**", "a*", "*b", "?", "a?", "[ab]", "[!a]*", "{a,prod}", "{ab,x.*}", "\\*",
                "a\\?b", "[", "{a,"
            ])
            .prop_map(str::to_owned),
        ]
    }

    proptest! {
        /// Narrowing to the folders that start with the pattern's literal part finds
        /// exactly what trying every folder finds: globs, classes, alternations, escapes,
        /// `**`, and patterns globset refuses.
        #[test]
        fn matching_folders_from_the_literal_part_finds_what_a_full_scan_finds(
            dirs in prop::collection::vec(prop::collection::vec(segment(), 1..4), 0..40),
            pattern in prop::collection::vec(pattern_segment(), 1..4),
            rooted in any::<bool>(),
        ) {
            let c = Corpus {
                dirs: dirs.iter().map(|d| d.join("/")).collect(),
                root_name: Some("gitops".into()),
                ..Corpus::default()
            };
            let pattern = format!("{}{}", if rooted { "gitops/" } else { "" }, pattern.join("/"));
            prop_assert_eq!(matches(&c, &pattern, false), scanned(&c, &pattern));
        }
    }

    #[test]
    fn a_generator_over_tenants_matches_each_tenant_folder_and_nothing_else() {
        let c = Corpus {
            dirs: [
                "prod/tenants/team-a",
                "prod/tenants/team-b",
                "prod/tenants/team-b/extra",
                "prod/tenants-old/team-c",
                "prod/workflows/team-a",
                "dev/tenants/team-a",
            ]
            .map(str::to_owned)
            .into(),
            root_name: Some("gitops".into()),
            ..Corpus::default()
        };
        for pattern in ["prod/tenants/*", "gitops/prod/tenants/*"] {
            assert_eq!(
                matches(&c, pattern, false),
                ["prod/tenants/team-a", "prod/tenants/team-b"],
                "{pattern}"
            );
        }
        assert_eq!(
            matches(&c, "*/tenants/team-a", false),
            ["dev/tenants/team-a", "prod/tenants/team-a"]
        );
        assert!(matches(&c, "prod/tenants/[", false).is_empty());
    }
}
