//! All printing goes through here: stdout is for data, stderr for people. A closed pipe
//! (`gitops-render ... | head`) ends the program quietly instead of panicking.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{self, Write};

/// Write `text` to stdout.
pub fn out(text: &str) {
    write_or_exit(&mut io::stdout().lock(), text);
}

/// Write `text` to stderr.
pub fn err(text: &str) {
    write_or_exit(&mut io::stderr().lock(), text);
}

fn write_or_exit(w: &mut dyn Write, text: &str) {
    if let Err(e) = w.write_all(text.as_bytes()).and_then(|()| w.flush()) {
        if e.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
    }
}
