//! The README's examples are run: every ```console block preceded by
//! `<!-- readme-test: SETUP -->` is executed line by line (`$ command`, continuation lines
//! `> …`) in a fresh folder, with the built binary first on PATH, and its output (stdout and
//! stderr, in order) must be the block's text. A line `...` in the expected text stands for
//! any number of lines. SETUP is `empty` (an empty folder) or `example` (a copy of this
//! repository's example estate with its rendered tree).
//!
//! `README_BLESS=1 cargo nextest run --test readme` rewrites the blocks with what the
//! commands print now (keeping `...` elisions where they still match); review the diff.

mod common;

use std::path::Path;
use std::process::Command;

use common::{repo_root, stderr, Estate};

struct Block {
    setup: String,
    /// Line index of the first line inside the fence.
    start: usize,
    /// Line index of the closing fence.
    end: usize,
    steps: Vec<(String, Vec<String>)>,
}

fn blocks(lines: &[&str]) -> Vec<Block> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(setup) = lines[i]
            .strip_prefix("<!-- readme-test: ")
            .and_then(|s| s.strip_suffix(" -->"))
        else {
            i += 1;
            continue;
        };
        assert_eq!(
            lines.get(i + 1),
            Some(&"```console"),
            "README line {}: a console block follows",
            i + 2
        );
        let start = i + 2;
        let mut end = start;
        while lines[end] != "```" {
            end += 1;
        }
        let mut steps: Vec<(String, Vec<String>)> = Vec::new();
        for line in &lines[start..end] {
            if let Some(cmd) = line.strip_prefix("$ ") {
                steps.push((cmd.to_owned(), Vec::new()));
            } else if let (Some(more), Some(last)) = (line.strip_prefix("> "), steps.last_mut()) {
                if last.1.is_empty() {
                    last.0.push('\n');
                    last.0.push_str(more);
                    continue;
                }
                last.1.push((*line).to_owned());
            } else if let Some(last) = steps.last_mut() {
                last.1.push((*line).to_owned());
            } else {
                panic!(
                    "README line {}: a console block starts with `$ `",
                    start + 1
                );
            }
        }
        out.push(Block {
            setup: setup.to_owned(),
            start,
            end,
            steps,
        });
        i = end + 1;
    }
    out
}

fn prepare(setup: &str) -> Estate {
    match setup {
        "empty" => Estate::empty(),
        "example" => {
            let e = Estate::example();
            let out = e.run(&["render", "--quiet"]);
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
            e
        }
        other => panic!("unknown readme-test setup `{other}`"),
    }
}

fn run(dir: &Path, cmd: &str) -> Vec<String> {
    let bin = assert_cmd::cargo::cargo_bin("gitops-render");
    let path = format!(
        "{}:{}",
        bin.parent().expect("bin dir").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("exec 2>&1\n{cmd}"))
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env("GITOPS_RENDER_TODAY", "2026-11-22")
        .env_remove("GITOPS_RENDER_MAX_MEMORY")
        .output()
        .expect("bash runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            // Temporary folders differ from run to run.
            l.replace(&dir.display().to_string(), "/work/estate")
        })
        .collect()
}

/// Does `actual` match `expected`, where an expected `...` line matches any lines?
fn matches(expected: &[String], actual: &[String]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first == "..." => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((first, rest)) => actual.first() == Some(first) && matches(rest, &actual[1..]),
    }
}

#[test]
fn readme_examples_print_what_the_readme_says() {
    let path = repo_root().join("README.md");
    let text = std::fs::read_to_string(&path).expect("README");
    let lines: Vec<&str> = text.lines().collect();
    let found = blocks(&lines);
    assert!(
        found.len() >= 5,
        "the README's examples are marked for this test"
    );
    let bless = std::env::var_os("README_BLESS").is_some();
    let mut blessed: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    let mut failures = Vec::new();
    // Later blocks first, so that rewriting one does not move the next.
    for block in found.iter().rev() {
        let estate = prepare(&block.setup);
        let mut body = Vec::new();
        for (cmd, expected) in &block.steps {
            let mut expected = expected.clone();
            while expected.last().is_some_and(String::is_empty) {
                expected.pop();
            }
            let actual = run(estate.path(), cmd);
            if !matches(&expected, &actual) {
                failures.push(format!(
                    "README line {}: `{}`\n--- expected\n{}\n--- actual\n{}",
                    block.start,
                    cmd.lines().next().unwrap_or_default(),
                    expected.join("\n"),
                    actual.join("\n")
                ));
            }
            let mut first = true;
            for line in cmd.lines() {
                body.push(if first {
                    format!("$ {line}")
                } else {
                    format!("> {line}")
                });
                first = false;
            }
            if matches(&expected, &actual) {
                body.extend(expected);
            } else {
                body.extend(actual);
            }
        }
        blessed.splice(block.start..block.end, body);
    }
    if bless {
        std::fs::write(&path, blessed.join("\n") + "\n").expect("write README");
        return;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
