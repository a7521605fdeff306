//! Where a YAML stream waits until it may be printed. The plugin and `render --stdout` print
//! nothing unless the whole selection rendered and linted clean, so the stream is complete
//! before its first byte goes out; holding it in memory made a whole environment's
//! generation grow with the estate (282 MB of YAML at N = 10,000, several times that in
//! allocations). Files go to an unlinked temporary file as they are rendered, and only their
//! places stay in memory; where no temporary file can be made (a read-only file system), one
//! buffer in memory holds them instead.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::{Mutex, PoisonError};

/// The bytes of the files spooled so far.
#[derive(Debug)]
pub struct Spool(Mutex<Store>);

#[derive(Debug)]
enum Store {
    /// An unlinked temporary file (gone with the process, whatever ends it) and its length.
    Disk(File, u64),
    Memory(Vec<u8>),
}

/// Where one file's bytes are in a [`Spool`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    offset: u64,
    len: usize,
}

impl Spool {
    /// A spool on disk (an unlinked file in the temporary folder), else in memory.
    pub fn new() -> Spool {
        match tempfile::tempfile() {
            Ok(file) => Spool(Mutex::new(Store::Disk(file, 0))),
            Err(_) => Spool::in_memory(),
        }
    }

    /// A spool in memory, for small streams (one tenant's files).
    pub fn in_memory() -> Spool {
        Spool(Mutex::new(Store::Memory(Vec::new())))
    }

    /// Append `bytes`; safe from many threads (each file is appended whole).
    pub fn put(&self, bytes: &[u8]) -> io::Result<Piece> {
        let mut store = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match &mut *store {
            Store::Disk(file, len) => {
                file.write_all(bytes)?;
                let piece = Piece {
                    offset: *len,
                    len: bytes.len(),
                };
                *len += bytes.len() as u64;
                Ok(piece)
            }
            Store::Memory(buffer) => {
                let piece = Piece {
                    offset: buffer.len() as u64,
                    len: bytes.len(),
                };
                buffer.extend_from_slice(bytes);
                Ok(piece)
            }
        }
    }

    /// Hand the bytes of each of `pieces`, in order, to `each` (one buffer reused).
    pub fn read_each(&self, pieces: &[Piece], mut each: impl FnMut(&[u8])) -> io::Result<()> {
        let mut store = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let mut buffer = Vec::new();
        for piece in pieces {
            match &mut *store {
                Store::Disk(file, _) => {
                    buffer.resize(piece.len, 0);
                    file.seek(SeekFrom::Start(piece.offset))?;
                    file.read_exact(&mut buffer)?;
                    each(&buffer);
                }
                Store::Memory(bytes) => {
                    let start = piece.offset as usize;
                    each(&bytes[start..start + piece.len]);
                }
            }
        }
        // Appends continue at the end.
        if let Store::Disk(file, _) = &mut *store {
            file.seek(SeekFrom::End(0))?;
        }
        Ok(())
    }

    /// The bytes of one piece.
    pub fn read(&self, piece: Piece) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        self.read_each(&[piece], |b| out.extend_from_slice(b))?;
        Ok(out)
    }
}

impl Default for Spool {
    fn default() -> Spool {
        Spool::new()
    }
}

/// A spool that could not be written or read back: the error of the command that needed it.
pub fn failed(e: &io::Error) -> crate::diagnostic::Diagnostic {
    crate::diagnostic::Diagnostic::error(
        "spool-failed",
        format!("cannot keep the rendered stream in a temporary file: {e}"),
    )
    .help("set TMPDIR to a writable folder with room for the stream")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_come_back_in_any_order_from_disk_and_memory() {
        for spool in [Spool::new(), Spool::in_memory()] {
            let a = spool.put(b"first\n").expect("put");
            let b = spool.put(b"").expect("put");
            let c = spool.put(b"third\n---\n").expect("put");
            assert_eq!(spool.read(c).expect("read"), b"third\n---\n");
            // Appending after a read continues at the end.
            let d = spool.put(b"fourth\n").expect("put");
            let mut out = Vec::new();
            spool
                .read_each(&[d, a, b, c], |bytes| out.extend_from_slice(bytes))
                .expect("read");
            assert_eq!(out, b"fourth\nfirst\nthird\n---\n");
        }
    }
}
