//! Make the vendored Argo CRDs (`schemas/crds/*.yaml`, unchanged upstream files) strict JSON
//! Schemas at build time, with the same code lint uses at run time (`src/schema/crd.rs`).
//! Lint compiles a kind's schema the first time it meets that kind: reading the 1.2 MB
//! WorkflowTemplate CRD and making it strict took most of a `cmp generate`; the strict schema
//! (no descriptions) is a fraction of that to read. The YAML stays the source of truth (a
//! unit test checks that each built schema is what the run-time conversion of the YAML gives).

use std::path::PathBuf;
use std::{env, fs};

#[allow(dead_code)]
#[path = "src/schema/crd.rs"]
mod crd;

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-changed=schemas/crds");
    println!("cargo:rerun-if-changed=src/schema/crd.rs");
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
        fs::write(
            out.join(format!("{name}.strict.json")),
            serde_json::to_string(&schema).expect("JSON"),
        )
        .expect("OUT_DIR is writable");
    }
}
