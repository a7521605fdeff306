//! All printing goes through here: stdout is for data, stderr for people.
//!
//! Every write is checked. A reader that stops early (`gitops-render diff | head`) ends the
//! program quietly with status 141, as a shell reports a process killed by SIGPIPE, so that
//! `set -o pipefail` scripts never take a cut-off report for a complete one; any other write
//! error (a full disk, `>/dev/full`) is an error: a message on stderr and status 2.
//!
//! `--quiet` silences [`info`] (progress and summaries), never data or errors; `--color`
//! (and `NO_COLOR`) decide whether [`colored`] output is.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

/// Exit status after a write to a closed pipe: 128 + SIGPIPE, what a shell reports for a
/// process the signal killed.
pub const BROKEN_PIPE_EXIT: i32 = 141;

/// When output is coloured (`--color`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when the stream is a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    Always,
    Never,
}

static QUIET: AtomicBool = AtomicBool::new(false);
/// 0 auto, 1 always, 2 never.
static COLOR: AtomicU8 = AtomicU8::new(0);

/// Set `--quiet` and `--color` for the rest of the process.
pub fn configure(quiet: bool, color: ColorChoice) {
    QUIET.store(quiet, Ordering::Relaxed);
    COLOR.store(color as u8, Ordering::Relaxed);
}

/// The stream text goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Should text for `stream` be coloured? `--color always|never` decides; `auto` colours a
/// terminal unless `NO_COLOR` is set to anything non-empty (<https://no-color.org>).
pub fn colored(stream: Stream) -> bool {
    match COLOR.load(Ordering::Relaxed) {
        1 => true,
        2 => false,
        _ => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            !no_color
                && match stream {
                    Stream::Stdout => io::stdout().is_terminal(),
                    Stream::Stderr => io::stderr().is_terminal(),
                }
        }
    }
}

/// Write `text` (data) to stdout.
pub fn out(text: &str) {
    write_or_exit(Stream::Stdout, text);
}

/// Write `text` (an error, a warning, a finding) to stderr; the `error`/`warning` label that
/// starts a line is coloured when stderr is.
pub fn err(text: &str) {
    if colored(Stream::Stderr) {
        write_or_exit(Stream::Stderr, &label_colors(text));
    } else {
        write_or_exit(Stream::Stderr, text);
    }
}

/// Write `text` (progress, a summary) to stderr unless `--quiet`.
pub fn info(text: &str) {
    if !QUIET.load(Ordering::Relaxed) {
        err(text);
    }
}

/// The labels that start a diagnostic line, with their ANSI colours (red, yellow, cyan).
const LABELS: [(&str, u8); 3] = [("error", 31), ("warning", 33), ("note", 36)];

fn label_colors(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    for line in text.split_inclusive('\n') {
        let label = LABELS
            .into_iter()
            .find(|(l, _)| line.starts_with(l) && line[l.len()..].starts_with([':', '[']));
        match label {
            Some((l, colour)) => {
                out.push_str(&format!("\x1b[{colour}m{l}\x1b[0m"));
                out.push_str(&line[l.len()..]);
            }
            None => out.push_str(line),
        }
    }
    out
}

fn write_or_exit(stream: Stream, text: &str) {
    let written = match stream {
        Stream::Stdout => {
            let mut w = io::stdout().lock();
            w.write_all(text.as_bytes()).and_then(|()| w.flush())
        }
        Stream::Stderr => {
            let mut w = io::stderr().lock();
            w.write_all(text.as_bytes()).and_then(|()| w.flush())
        }
    };
    if let Err(e) = written {
        write_failed(stream, &e);
    }
}

/// Print a YAML stream on stdout, straight from its spool, in runs ([`crate::spool`]: the
/// kernel copies them when stdout is a file). A closed pipe ends the program quietly (141); a
/// failed write, or a spool that cannot be read back, is an error (exit 2) said on stderr
/// after whatever was printed.
pub fn out_stream(stream: &crate::cmp::Stream) -> super::Exit {
    let mut w = io::stdout().lock();
    match stream.write_to(&mut w).and_then(|()| w.flush()) {
        Ok(()) => super::Exit::Clean,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => write_failed(Stream::Stdout, &e),
        Err(e) => {
            drop(w);
            err(&format!(
                "error: cannot write to stdout (the rendered stream, from its temporary file): {e}\n"
            ));
            super::Exit::Error
        }
    }
}

/// A closed pipe ends the program quietly (141); any other failed write is an error (2).
fn write_failed(stream: Stream, e: &io::Error) -> ! {
    // A first render's staging folder is taken back, as on any early exit.
    crate::tree::io::abandon_in_progress();
    if e.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(BROKEN_PIPE_EXIT);
    }
    if stream == Stream::Stdout {
        let _ = writeln!(io::stderr(), "error: cannot write to stdout: {e}");
    }
    std::process::exit(2);
}
