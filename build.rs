//! Make the vendored Argo CRDs (`schemas/crds/*.yaml`, unchanged upstream files) strict JSON
//! Schemas at build time, with the same code lint uses at run time (`src/schema/crd.rs`).
//! Lint compiles a kind's schema the first time it meets that kind: reading the 1.2 MB
//! WorkflowTemplate CRD and making it strict took most of a `cmp generate`; the strict schema
//! (no descriptions) is a fraction of that to read. The YAML stays the source of truth (a
//! unit test checks that each built schema is what the run-time conversion of the YAML gives).
//!
//! It also embeds the default templates, the example estate and the starter estate
//! (`embed_files`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

#[allow(dead_code)]
#[path = "src/schema/crd.rs"]
mod crd;
#[allow(dead_code)]
#[path = "src/schema/cut.rs"]
mod cut;
#[allow(dead_code)]
#[path = "src/schema/split.rs"]
mod split;
#[path = "src/schema/workflow_parts.rs"]
mod workflow_parts;

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    embed_files(&out);
    println!("cargo:rerun-if-changed=schemas/crds");
    println!("cargo:rerun-if-changed=src/schema/crd.rs");
    println!("cargo:rerun-if-changed=src/schema/cut.rs");
    println!("cargo:rerun-if-changed=src/schema/split.rs");
    let mut names: Vec<_> = fs::read_dir("schemas/crds")
        .expect("schemas/crds is readable")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    names.sort();
    for path in names {
        println!("cargo:rerun-if-changed={}", path.display());
        let text = fs::read_to_string(&path).expect("a CRD file is UTF-8");
        let doc: serde_json::Value = serde_yaml::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()));
        // The first served version: the one objects of the vendored CRDs are checked against.
        let schema = crd::from_crd(&doc)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("{} serves no version with a schema", path.display()))
            .schema;
        let name = path.file_name().expect("a file name").to_string_lossy();
        if name == workflow_parts::WORKFLOW_CRD {
            for part in workflow_parts::PARTS {
                let at = schema
                    .pointer(part.pointer)
                    .unwrap_or_else(|| panic!("{name} has no {} at {}", part.name, part.pointer));
                fs::write(
                    out.join(format!("workflow.{}.strict.json", part.name)),
                    serde_json::to_string(at).expect("JSON"),
                )
                .expect("OUT_DIR is writable");
            }
        }
        fs::write(
            out.join(format!("{name}.strict.json")),
            serde_json::to_string(&schema).expect("JSON"),
        )
        .expect("OUT_DIR is writable");
        // Its nodes, for cuts (src/schema/split.rs); none when it cannot be cut.
        let nodes = if cut::can_cut(&schema) {
            split::split(&schema)
        } else {
            String::new()
        };
        fs::write(out.join(format!("{name}.nodes")), nodes).expect("OUT_DIR is writable");
    }
}

/// Files the binary carries (`src/embedded.rs`): the default templates, the example estate
/// (`init --example`) and the starter estate (`init`), as `(path, text)` lists sorted by path.
fn embed_files(out: &Path) {
    let lists: [(&str, &str, &[&str]); 3] = [
        ("TEMPLATES", "templates", &[""]),
        (
            "EXAMPLE",
            "",
            &["environments", "policy-packs", "workflows"],
        ),
        ("STARTER", "starter", &[""]),
    ];
    let mut code = String::new();
    for (name, base, tops) in lists {
        let mut files = Vec::new();
        for top in tops {
            let dir = Path::new(base).join(top);
            println!("cargo:rerun-if-changed={}", dir.display());
            walk(&dir, &mut files);
        }
        // Sorted as strings (not as paths), so that `embedded::template` can search them.
        let mut entries: Vec<(String, String)> = files
            .iter()
            .map(|path| {
                let slash = |p: &Path| p.to_string_lossy().replace('\\', "/");
                let rel = slash(path.strip_prefix(base).expect("under its base"));
                (rel, slash(path))
            })
            .collect();
        entries.sort();
        writeln!(code, "pub const {name}: &[(&str, &str)] = &[").expect("a String");
        for (rel, path) in entries {
            writeln!(
                code,
                "    ({rel:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/\", {path:?}))),"
            )
            .expect("a String");
        }
        code.push_str("];\n");
    }
    fs::write(out.join("embedded.rs"), code).expect("OUT_DIR is writable");
}

/// Every file under `dir`, recursively (dot-files included: the starter's `.gitignore`).
fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            walk(&path, files);
        } else {
            files.push(path);
        }
    }
}
