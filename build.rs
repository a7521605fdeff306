//! Convert the vendored Argo CRDs (`schemas/crds/*.yaml`, unchanged upstream files) to JSON at
//! build time. Lint compiles a CRD's schema the first time it meets that kind; reading 2.7 MB
//! of YAML took ~60 ms of every `cmp generate`, reading the same document as JSON takes a
//! fraction of that. The YAML stays the source of truth (a unit test checks both agree).

use std::path::PathBuf;
use std::{env, fs};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-changed=schemas/crds");
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
        let name = path.file_name().expect("a file name").to_string_lossy();
        fs::write(
            out.join(format!("{name}.json")),
            serde_json::to_string(&doc).expect("JSON"),
        )
        .expect("OUT_DIR is writable");
    }
}
