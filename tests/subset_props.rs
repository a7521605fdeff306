//! The fast subset reader against serde_yaml: on every text it accepts, it must give exactly
//! serde_yaml's documents (values and stream indices), and it must never accept a text
//! serde_yaml rejects. Texts are generated as YAML in the shapes manifests use, written with
//! varied styles (flow and block, quoting, comments, blank lines, literal blocks, compact and
//! indented sequences), then mutated with the characters YAML treats specially, so both the
//! happy path and the edges of the subset are exercised.

mod common;

use std::collections::BTreeMap;

use gitops_render::manifest::to_canonical_yaml;
use gitops_render::source::{parse_documents_libyaml, read_subset};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{Map, Value};

/// Inline values as a template or a person writes them, including spellings the subset
/// declines and spellings that are errors.
fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => prop::sample::select(vec![
            "web", "a b", "1", "-3", "0", "-0", "012", "1.5", "1e3", ".5", "1.", "0x1F", "+1",
            ".inf", "-.inf", ".nan", "inf", "~", "null", "NULL", "true", "True", "yes", "off",
            "500m", "4Gi", "v1.2.3", "2026-11-22", "1:30", "https://x.y/z#f", "a:b", "a: b",
            "a #c", "a#c", "-x", "- x", "-", "?x", ":x", "x:", "'it''s'", "''", "'a\"b'",
            "\"\"", "\"a\\tb\"", "\"\\u00e9\\x41\\/\\\\\"", "\"\\N\"", "\"\\ud800\"",
            "\"\\U0001F600\"", "\"a\\\"b\"", "\"unclosed", "'unclosed", "[a, b]", "[]", "{}",
            "[ a , \"b\" ]", "{a: 1, b: [x, y]}", "{\"k\":1}", "{'k':true}", "[https://x, a:b]",
            "[a, ]", "[a,,b]", "[", "{a}", "{a: }", "[a: b]", "[[1], {x: y}]", "&a x", "*a",
            "!t x", "!!str 1", ">", "%x", "@x", "`x", "a  # c", "é", "\u{85}", "\u{2028}",
            "x\u{feff}", "\u{0}",
        ])
        .prop_map(str::to_owned),
        10 => "[a-z0-9][a-z0-9.:/#_-]{0,7}",
        10 => "[a-z]{1,8}",
        4 => "\"[a-z :#]{0,6}\"",
    ]
}

/// Mapping keys, from the ordinary to the ones the subset leaves to serde_yaml.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        14 => "[a-z][a-z0-9./_-]{0,6}",
        1 => prop::sample::select(vec![
            "name", "a b", "\"q\"", "'q'", "\"a:b\"", "1", "true", "null", "~", "-k", "? k",
            "k:x", "k #c", "<<", "app.kubernetes.io/name", "\"\"",
        ])
        .prop_map(str::to_owned),
    ]
}

#[derive(Clone, Debug)]
enum Node {
    Inline(String),
    Literal {
        header: String,
        lines: Vec<String>,
    },
    Map(Vec<(String, Node)>),
    /// `same_indent`: items at their key's indentation (`key:\n- a`), as kubectl writes.
    Seq {
        items: Vec<Node>,
        same_indent: bool,
    },
}

fn literal() -> impl Strategy<Value = Node> {
    (
        prop::sample::select(vec!["|", "|", "|-", "|-", "|+", "|2", ">", "| # c"]),
        prop::collection::vec(
            prop::sample::select(vec![
                "echo hi",
                "echo hi",
                "set -e",
                "",
                "  indented",
                "# not a comment",
                "a: b",
                "   ",
                "x",
            ]),
            1..5,
        ),
    )
        .prop_map(|(h, lines)| Node::Literal {
            header: h.to_owned(),
            lines: lines.into_iter().map(str::to_owned).collect(),
        })
}

fn node() -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![8 => scalar().prop_map(Node::Inline), 1 => literal()];
    leaf.prop_recursive(4, 40, 4, |inner| {
        prop_oneof![
            prop::collection::vec((key(), inner.clone()), 1..4).prop_map(Node::Map),
            (prop::collection::vec(inner, 1..4), any::<bool>())
                .prop_map(|(items, same_indent)| Node::Seq { items, same_indent }),
        ]
    })
}

fn pad(n: usize) -> String {
    " ".repeat(n)
}

/// Write `node` as the value after `key:` or `-` (the cursor is right after the indicator).
fn write_value(out: &mut String, node: &Node, indent: usize, in_map: bool) {
    match node {
        Node::Inline(t) => {
            out.push(' ');
            out.push_str(t);
            out.push('\n');
        }
        Node::Literal { header, lines } => {
            out.push(' ');
            out.push_str(header);
            out.push('\n');
            for l in lines {
                if !l.is_empty() {
                    out.push_str(&pad(indent + 2));
                    out.push_str(l);
                }
                out.push('\n');
            }
        }
        Node::Map(_) | Node::Seq { .. } => {
            out.push('\n');
            let child = match node {
                Node::Seq {
                    same_indent: true, ..
                } if in_map => indent,
                _ => indent + 2,
            };
            write_block(out, node, child);
        }
    }
}

fn write_block(out: &mut String, node: &Node, indent: usize) {
    match node {
        Node::Map(entries) => {
            for (k, v) in entries {
                out.push_str(&pad(indent));
                out.push_str(k);
                out.push(':');
                write_value(out, v, indent, true);
            }
        }
        Node::Seq { items, .. } => {
            for item in items {
                match item {
                    // Compact: the first line of the nested block continues the `- ` line.
                    Node::Map(_) | Node::Seq { .. } => {
                        let mut nested = String::new();
                        write_block(&mut nested, item, indent + 2);
                        out.push_str(&pad(indent));
                        out.push_str("- ");
                        out.push_str(&nested[indent + 2..]);
                    }
                    _ => {
                        out.push_str(&pad(indent));
                        out.push('-');
                        write_value(out, item, indent, false);
                    }
                }
            }
        }
        other => {
            out.push_str(&pad(indent));
            write_value(out, other, indent, false);
        }
    }
}

/// Characters that change what YAML means when dropped into a text.
const SPECIAL: &[char] = &[
    ' ', ':', '#', '-', '\'', '"', '\t', '\n', '[', ']', '{', '}', ',', '|', '&', '*', '!', '?',
    '\\', 'x', '\r',
];

#[derive(Clone, Debug)]
enum Edit {
    Insert(prop::sample::Index, char),
    Delete(prop::sample::Index),
    CommentLine(prop::sample::Index, usize),
    BlankLine(prop::sample::Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<prop::sample::Index>(), prop::sample::select(SPECIAL))
            .prop_map(|(i, c)| Edit::Insert(i, c)),
        any::<prop::sample::Index>().prop_map(Edit::Delete),
        (any::<prop::sample::Index>(), 0usize..6).prop_map(|(i, n)| Edit::CommentLine(i, n)),
        any::<prop::sample::Index>().prop_map(Edit::BlankLine),
    ]
}

fn apply(text: &str, e: &Edit) -> String {
    let chars: Vec<char> = text.chars().collect();
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    match e {
        Edit::Insert(i, c) => {
            let at = i.index(chars.len() + 1);
            chars[..at]
                .iter()
                .chain(std::iter::once(c))
                .chain(&chars[at..])
                .collect()
        }
        Edit::Delete(i) if !chars.is_empty() => {
            let at = i.index(chars.len());
            chars[..at].iter().chain(&chars[at + 1..]).collect()
        }
        Edit::CommentLine(i, _) | Edit::BlankLine(i) if !lines.is_empty() => {
            let at = i.index(lines.len() + 1);
            let extra = match e {
                Edit::CommentLine(_, n) => format!("{}# note\n", pad(*n)),
                _ => "\n".to_owned(),
            };
            lines[..at]
                .iter()
                .copied()
                .chain(std::iter::once(extra.as_str()))
                .chain(lines[at..].iter().copied())
                .collect()
        }
        _ => text.to_owned(),
    }
}

/// A stream of one to three documents, with optional `---` markers, then a few edits.
fn stream() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(
            prop_oneof![
                3 => prop::collection::vec((key(), node()), 1..5).prop_map(Node::Map),
                1 => (prop::collection::vec(node(), 1..4), Just(false))
                    .prop_map(|(items, same_indent)| Node::Seq { items, same_indent }),
            ],
            1..4,
        ),
        any::<bool>(),
        prop_oneof![
            2 => Just(Vec::new()),
            1 => prop::collection::vec(edit(), 1..3),
        ],
    )
        .prop_map(|(docs, leading_marker, edits)| {
            let mut text = String::new();
            for (i, d) in docs.iter().enumerate() {
                if i > 0 || leading_marker {
                    text.push_str("---\n");
                }
                write_block(&mut text, d, 0);
            }
            edits.iter().fold(text, |t, e| apply(&t, e))
        })
}

fn check(text: &str) -> Result<(), TestCaseError> {
    if let Some(fast) = read_subset(text) {
        let reference = parse_documents_libyaml(text);
        prop_assert_eq!(Ok(fast), reference, "text:\n{}", text);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn what_the_subset_reads_serde_yaml_reads_the_same(text in stream()) {
        check(&text)?;
    }

    #[test]
    fn canonical_yaml_reads_the_same_through_the_subset(v in canonical_value()) {
        let text = to_canonical_yaml(&v);
        check(&text)?;
    }
}

/// Canonical output of plain values: the subset must read all of it (it is every rendered
/// file), not just agree when it does.
fn canonical_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1.0e6f64..1.0e6).prop_map(Value::from),
        scalar().prop_map(Value::String),
        "[a-z]{1,6}(\n[a-z ]{0,6}){1,3}\n?".prop_map(Value::String),
    ];
    let value = leaf.prop_recursive(4, 40, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z][a-z./-]{0,5}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    });
    prop::collection::btree_map("[a-z][a-z./-]{0,5}", value, 1..5)
        .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>()))
}

/// The generator must reach the subset often, or the differential test proves little.
#[test]
fn the_generated_texts_mostly_fall_inside_the_subset() {
    let mut runner = TestRunner::deterministic();
    let strategy = stream();
    let total = 2000;
    let accepted = (0..total)
        .filter(|_| {
            let text = strategy.new_tree(&mut runner).expect("generates").current();
            read_subset(&text).is_some()
        })
        .count();
    assert!(
        accepted * 5 > total,
        "only {accepted} of {total} generated texts were inside the subset"
    );
    assert!(
        accepted < total,
        "every generated text was inside the subset: the edits are not reaching its edges"
    );
}

/// Every rendered file of the example estate is inside the subset and reads as serde_yaml
/// reads it (this is where the reader's speed matters; a decline here is a silent slowdown).
#[test]
fn every_file_of_the_example_render_is_read_by_the_subset() {
    let estate = common::Estate::example();
    let out = estate.run(&["render", "--no-lint"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let tree: BTreeMap<String, Vec<u8>> = estate.tree();
    assert!(tree.len() > 100, "{} files", tree.len());
    for (path, bytes) in &tree {
        let text = std::str::from_utf8(bytes).expect("utf-8");
        let fast = read_subset(text).unwrap_or_else(|| panic!("{path} is outside the subset"));
        assert_eq!(Ok(fast), parse_documents_libyaml(text), "{path}");
    }
}

/// Every YAML file in the repository (inputs, fixtures, vendored CRDs, hand-written broken
/// files): where the subset reads one, it reads it as serde_yaml does.
#[test]
fn every_yaml_file_in_the_repository_reads_the_same() {
    let root = common::repo_root();
    let mut read = 0;
    for entry in walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_entry(|e| !matches!(e.file_name().to_str(), Some("target" | ".git")))
    {
        let entry = entry.expect("walk");
        let path = entry.path();
        if !matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        if let Some(fast) = read_subset(&text) {
            assert_eq!(
                Ok(fast),
                parse_documents_libyaml(&text),
                "{}",
                path.display()
            );
            read += 1;
        }
    }
    assert!(read > 100, "only {read} files were inside the subset");
}
