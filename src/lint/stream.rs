//! Lint of files on disk in bounded memory. Holding every parsed object of a large tree
//! costs ~12 KB per object (9 GB at N = 10,000), so files are read in chunks: each chunk
//! is parsed, judged by the file-scoped rules while its values and text are at hand, then
//! pruned to what the corpus rules read ([`super::prune`]) and its text dropped. The corpus
//! rules run last over every pruned document, and the files they report on are read again
//! for positions. Findings are the same as [`super::lint`]'s over the whole corpus.

use std::collections::BTreeSet;

use rayon::prelude::*;

use crate::source::SourceId;

use super::corpus::{list_paths, Corpus, Origin};
use super::registry::Scope;
use super::{judge, locate, prune::prune, sorted, Finding, LintConfig};

/// Files per chunk: large enough that running the rules on a chunk costs little over
/// running them on its documents, small enough that a chunk per worker is a few MB.
pub const CHUNK_FILES: usize = 512;

/// What a lint found, and how many objects it checked.
#[derive(Debug)]
pub struct Linted {
    pub findings: Vec<Finding>,
    pub checked: usize,
}

/// Lint files and directories (see [`list_paths`]) `chunk_files` files at a time.
pub fn lint_paths(
    paths: &[String],
    config: &LintConfig,
    chunk_files: usize,
) -> Result<Linted, String> {
    let listing = list_paths(paths)?;
    let chunks: Vec<(Vec<Finding>, Corpus)> = listing
        .inputs
        .par_chunks(chunk_files.max(1))
        .map(|inputs| {
            let mut chunk = Corpus::read_inputs(inputs, listing.root_name.clone())?;
            let mut findings = locate(
                &chunk,
                judge(&chunk, config, |r| matches!(r.scope, Scope::File)),
            );
            findings.append(&mut chunk.read_findings);
            chunk.docs.iter_mut().for_each(prune);
            // One source per input, in order; text read once (stdin) cannot be read again.
            for (i, input) in inputs.iter().enumerate() {
                if matches!(input.origin, Origin::File(_)) {
                    chunk.sources.forget_text(SourceId::nth(i));
                }
            }
            Ok((findings, chunk))
        })
        .collect::<Result<_, String>>()?;
    let mut relations = Corpus {
        root_name: listing.root_name.clone(),
        ..Corpus::default()
    };
    relations
        .docs
        .reserve_exact(chunks.iter().map(|(_, c)| c.docs.len()).sum());
    let mut findings = Vec::new();
    for (found, chunk) in chunks {
        findings.extend(found);
        relations.append(chunk);
    }
    let judged = judge(&relations, config, |r| matches!(r.scope, Scope::Corpus(_)));
    // Positions need the text of the files reported on; the files are read again. One that
    // has gone since reports at its first line.
    let reported: BTreeSet<usize> = judged
        .iter()
        .map(|j| relations.docs[j.hit.doc].file.index())
        .collect();
    let texts: Vec<(usize, String)> = reported
        .into_par_iter()
        .filter(|&i| matches!(listing.inputs[i].origin, Origin::File(_)))
        .filter_map(|i| Some((i, listing.inputs[i].read().ok()?)))
        .collect();
    for (i, text) in texts {
        relations.sources.restore_text(SourceId::nth(i), text);
    }
    findings.extend(locate(&relations, judged));
    findings.extend(config.expired_waivers());
    Ok(Linted {
        findings: sorted(findings),
        checked: relations.docs.len(),
    })
}
