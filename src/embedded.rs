//! Files the binary carries, embedded at build time (`build.rs`): the default templates (an
//! estate's or a pack's `templates/` override them by name), the example estate this
//! repository renders (`init --example`) and the starter estate (`init`).
//!
//! Each list is `(path, text)`, sorted by path; paths are relative to the list's folder
//! (`templates/`, the repository root, `starter/`).

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// How diagnostics and `templates list` name a built-in template's file: not a path on disk,
/// so that nobody looks for it there (`templates show NAME` prints it).
pub const BUILTIN_PREFIX: &str = "<built-in>/templates/";

/// The built-in template `name` (`tenant/quota.yaml.j2`).
pub fn template(name: &str) -> Option<&'static str> {
    TEMPLATES
        .binary_search_by(|(n, _)| (*n).cmp(name))
        .ok()
        .map(|i| TEMPLATES[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_sorted_and_hold_the_repository_files() {
        for list in [TEMPLATES, EXAMPLE, STARTER] {
            assert!(list.windows(2).all(|w| w[0].0 < w[1].0));
        }
        let on_disk = std::fs::read_to_string("templates/tenant/quota.yaml.j2").expect("read");
        assert_eq!(template("tenant/quota.yaml.j2"), Some(on_disk.as_str()));
        assert!(EXAMPLE.iter().any(|(p, _)| *p == "environments/prod.yaml"));
        assert!(STARTER.iter().any(|(p, _)| *p == ".gitignore"));
    }
}
