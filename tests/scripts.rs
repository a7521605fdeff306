//! The scripts the catalog's WorkflowTemplates run, executed here against real inputs: the
//! `tiff-offsets` step is pure Python, so the rendered source runs with this machine's
//! `python3` on TIFF files built byte by byte (little- and big-endian, strips stored inline
//! and out of line, several image directories), and must print the offsets a TIFF reader
//! finds, refuse a wrong checksum, and refuse what is not a (classic) TIFF.

use std::path::Path;
use std::process::Command;

mod common;

use serde_json::Value;

/// The rendered `source` of the `tiff-offsets` script, its paths moved under `dir`.
fn tiff_offsets_source(dir: &Path) -> String {
    let wf = common::dev_workflow("data-dev", "tiff-offsets");
    let source = wf["spec"]["templates"][0]["script"]["source"]
        .as_str()
        .expect("script source");
    // The pod's paths (/work/input.tiff in, /work/out/offsets.json out) under `dir`.
    source.replace("/work/", &format!("{}/", dir.display()))
}

/// A classic TIFF: `ifds` image directories, each with `strips` strip offsets (LONG), the
/// offsets stored inline when there is one and out of line otherwise.
fn tiff(big_endian: bool, ifds: &[Vec<u32>]) -> Vec<u8> {
    let u16b = |v: u16| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u32b = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut out: Vec<u8> = if big_endian {
        b"MM".to_vec()
    } else {
        b"II".to_vec()
    };
    out.extend(u16b(42));
    out.extend(u32b(8));
    for (i, strips) in ifds.iter().enumerate() {
        let start = out.len() as u32;
        // One entry (StripOffsets, 273), then the next IFD's offset, then any array.
        let array_at = start + 2 + 12 + 4;
        let next = if i + 1 < ifds.len() {
            array_at
                + if strips.len() > 1 {
                    4 * strips.len() as u32
                } else {
                    0
                }
        } else {
            0
        };
        out.extend(u16b(1));
        out.extend(u16b(273));
        out.extend(u16b(4));
        out.extend(u32b(strips.len() as u32));
        if strips.len() == 1 {
            out.extend(u32b(strips[0]));
        } else {
            out.extend(u32b(array_at));
        }
        out.extend(u32b(next));
        if strips.len() > 1 {
            for s in strips {
                out.extend(u32b(*s));
            }
        }
    }
    out
}

fn sha256_hex(bytes: &[u8], dir: &Path) -> String {
    let path = dir.join("hash-me");
    std::fs::write(&path, bytes).expect("write");
    let out = Command::new("python3")
        .args([
            "-c",
            "import hashlib,sys;print(hashlib.sha256(open(sys.argv[1],'rb').read()).hexdigest())",
        ])
        .arg(&path)
        .output()
        .expect("python3 runs");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Run the script on `input` with `EXPECTED_SHA256=expected`: exit status, stdout+stderr,
/// and the JSON it wrote.
fn run(input: &[u8], expected: &str) -> (bool, String, Option<Value>) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("input.tiff"), input).expect("input");
    let out = Command::new("python3")
        .arg("-c")
        .arg(tiff_offsets_source(dir.path()))
        .env("EXPECTED_SHA256", expected)
        .output()
        .expect("python3 runs");
    let json = std::fs::read_to_string(dir.path().join("out/offsets.json"))
        .ok()
        .map(|t| serde_json::from_str(&t).expect("the output is JSON"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text, json)
}

#[test]
fn tiff_offsets_reads_every_directory_and_strip() {
    for big_endian in [false, true] {
        let input = tiff(big_endian, &[vec![4096], vec![8192, 16384, 24576]]);
        let dir = tempfile::tempdir().expect("tempdir");
        let digest = sha256_hex(&input, dir.path());
        let (ok, text, json) = run(&input, &digest.to_uppercase());
        assert!(ok, "{text}");
        assert!(
            text.contains(&format!("2 image directories, sha256 {digest}")),
            "{text}"
        );
        let json = json.expect("offsets.json written");
        assert_eq!(json["sha256"], digest.as_str());
        assert_eq!(json["size"], input.len());
        let ifds = json["ifds"].as_array().expect("ifds");
        assert_eq!(ifds.len(), 2);
        assert_eq!(ifds[0]["offset"], 8);
        assert_eq!(ifds[0]["strips"], serde_json::json!([4096]));
        assert_eq!(ifds[1]["strips"], serde_json::json!([8192, 16384, 24576]));
    }
}

#[test]
fn tiff_offsets_refuses_a_wrong_checksum_and_what_is_not_a_tiff() {
    let input = tiff(false, &[vec![4096]]);
    let (ok, text, json) = run(&input, &"0".repeat(64));
    assert!(!ok && text.contains("checksum mismatch"), "{text}");
    assert!(json.is_none(), "nothing written on a mismatch");
    let (ok, text, _) = run(b"GIF89a....", "");
    assert!(!ok && text.contains("not a TIFF"), "{text}");
    let mut bigtiff = input.clone();
    bigtiff[2] = 43;
    let (ok, text, _) = run(&bigtiff, "");
    assert!(!ok && text.contains("BigTIFF"), "{text}");
    // No checksum given: the check is skipped.
    let (ok, text, _) = run(&input, "");
    assert!(ok, "{text}");
}
