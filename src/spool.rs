//! Where a YAML stream waits until it may be printed. The plugin and `render --stdout` print
//! nothing unless the whole selection rendered and linted clean, so the stream is complete
//! before its first byte goes out; holding it in memory made a whole environment's
//! generation grow with the estate (282 MB of YAML at N = 10,000, several times that in
//! allocations). Files go to an unlinked temporary file as they are rendered, and only their
//! places stay in memory; where no temporary file can be made (a read-only file system), one
//! buffer in memory holds them instead.
//!
//! Each file goes in after the `---` line that separates it from the one before it in the
//! stream, and a unit's files go in one after another ([`Spool::put_all`]). The stream, in
//! tree order, is then a few runs of the spool (a run per tenant rather than a read and a
//! write per file), each copied from the temporary file to stdout by `std::io::copy`. To a
//! file or `/dev/null` the kernel copies it (`copy_file_range`, `sendfile`): printing 282 MB
//! at N = 10,000 no longer reads them into this process and writes them out again, on one
//! core at the end of the run. To a pipe (the Argo CD plugin), std copies through a buffer
//! of its own: one run, not one file, at a time.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::{Mutex, PoisonError};

/// Bytes gathered before one write to the temporary file, and read back at once. One
/// `write` per file (200,000 of ~1.4 KB for an environment at N = 10,000) cost a tenth of the
/// stream's CPU in system calls, made under the spool's lock, and as many `seek` + `read`
/// pairs to print it.
const BLOCK: usize = 1 << 20;

/// The bytes of the files spooled so far.
#[derive(Debug)]
pub struct Spool(Mutex<Store>);

#[derive(Debug)]
enum Store {
    Disk(Disk),
    Memory(Vec<u8>),
}

/// An unlinked temporary file (gone with the process, whatever ends it), with the bytes not
/// yet written to it.
#[derive(Debug)]
struct Disk {
    file: File,
    /// Bytes in the file.
    written: u64,
    /// Bytes after `written`, not in the file yet.
    pending: Vec<u8>,
}

impl Disk {
    fn len(&self) -> u64 {
        self.written + self.pending.len() as u64
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.pending.len() + bytes.len() > BLOCK {
            self.flush()?;
        }
        if bytes.len() >= BLOCK {
            self.file.write_all(bytes)?;
            self.written += bytes.len() as u64;
        } else {
            self.pending.extend_from_slice(bytes);
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.write_all(&self.pending)?;
        self.written += self.pending.len() as u64;
        self.pending.clear();
        Ok(())
    }
}

/// What a stream prints between two files; the spool holds it before every file.
const SEPARATOR: &[u8] = b"---\n";

/// Where one file's bytes are in a [`Spool`] (after its separator).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    offset: u64,
    len: usize,
}

impl Spool {
    /// A spool on disk (an unlinked file in the temporary folder), else in memory.
    pub fn new() -> Spool {
        match tempfile::tempfile() {
            Ok(file) => Spool(Mutex::new(Store::Disk(Disk {
                file,
                written: 0,
                pending: Vec::with_capacity(BLOCK),
            }))),
            Err(_) => Spool::in_memory(),
        }
    }

    /// A spool in memory, for small streams (one tenant's files).
    pub fn in_memory() -> Spool {
        Spool(Mutex::new(Store::Memory(Vec::new())))
    }

    /// Append `bytes`; safe from many threads (each file is appended whole).
    pub fn put(&self, bytes: &[u8]) -> io::Result<Piece> {
        self.put_all(std::iter::once(bytes))
            .pop()
            .unwrap_or_else(|| Err(io::ErrorKind::InvalidInput.into()))
    }

    /// Append files one after another (no other thread's between them), each after its
    /// separator: a unit's files, so that a stream prints them as one run.
    pub fn put_all<'b>(&self, files: impl Iterator<Item = &'b [u8]>) -> Vec<io::Result<Piece>> {
        let mut store = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        files
            .map(|bytes| match &mut *store {
                Store::Disk(disk) => {
                    disk.put(SEPARATOR)?;
                    let piece = Piece {
                        offset: disk.len(),
                        len: bytes.len(),
                    };
                    disk.put(bytes)?;
                    Ok(piece)
                }
                Store::Memory(buffer) => {
                    buffer.extend_from_slice(SEPARATOR);
                    let piece = Piece {
                        offset: buffer.len() as u64,
                        len: bytes.len(),
                    };
                    buffer.extend_from_slice(bytes);
                    Ok(piece)
                }
            })
            .collect()
    }

    /// Write the files at `pieces`, in order, with a separator between two, to `out`: each
    /// run of pieces that follow one another in the spool (with their separators) at once,
    /// from disk by the kernel when `out` is a file or `/dev/null` (see the module docs).
    pub fn write_runs<W: Write>(&self, pieces: &[Piece], out: &mut W) -> io::Result<()> {
        let mut store = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Store::Disk(disk) = &mut *store {
            disk.flush()?;
        }
        let sep = SEPARATOR.len() as u64;
        // [start, end) of the run being gathered; the first file goes out without the
        // separator before it, every other one with its own.
        let mut run: Option<(u64, u64)> = None;
        for (k, piece) in pieces.iter().enumerate() {
            let start = if k == 0 {
                piece.offset
            } else {
                piece.offset - sep
            };
            let end = piece.offset + piece.len as u64;
            run = match run {
                Some((from, to)) if to == start => Some((from, end)),
                Some(done) => {
                    copy_run(&mut store, done, out)?;
                    Some((start, end))
                }
                None => Some((start, end)),
            };
        }
        if let Some(done) = run {
            copy_run(&mut store, done, out)?;
        }
        if let Store::Disk(disk) = &mut *store {
            // Appends continue at the end.
            disk.file.seek(SeekFrom::End(0))?;
        }
        Ok(())
    }

    /// Hand the bytes of each of `pieces`, in order, to `each`. From disk, a block at a time:
    /// pieces that follow one another in the file (a tenant's files, in the order they were
    /// put) come from one read, and a jump back costs one read of the piece.
    pub fn read_each(&self, pieces: &[Piece], mut each: impl FnMut(&[u8])) -> io::Result<()> {
        let mut store = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match &mut *store {
            Store::Disk(disk) => {
                disk.flush()?;
                let mut block = Vec::new();
                let mut block_at = 0u64;
                for piece in pieces {
                    let start = piece.offset;
                    let end = start + piece.len as u64;
                    if start < block_at || end > block_at + block.len() as u64 {
                        // Read ahead only going forward. A jump back (to the other thread's
                        // tenants of a batch, in tree order) reads that piece alone, so pieces
                        // asked for in reverse cost a read each, not a block each.
                        let ahead = if start >= block_at { BLOCK } else { 0 };
                        let len = (piece.len.max(ahead) as u64).min(disk.written - start);
                        block.resize(len as usize, 0);
                        disk.file.seek(SeekFrom::Start(start))?;
                        disk.file.read_exact(&mut block)?;
                        block_at = start;
                    }
                    let from = (start - block_at) as usize;
                    each(&block[from..from + piece.len]);
                }
                // Appends continue at the end.
                disk.file.seek(SeekFrom::End(0))?;
            }
            Store::Memory(bytes) => {
                for piece in pieces {
                    let start = piece.offset as usize;
                    each(&bytes[start..start + piece.len]);
                }
            }
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

/// Bytes `[start, end)` of the spool to `out`.
fn copy_run<W: Write>(store: &mut Store, (start, end): (u64, u64), out: &mut W) -> io::Result<()> {
    match store {
        Store::Disk(disk) => {
            disk.file.seek(SeekFrom::Start(start))?;
            let copied = io::copy(&mut (&disk.file).take(end - start), out)?;
            if copied == end - start {
                Ok(())
            } else {
                Err(io::ErrorKind::UnexpectedEof.into())
            }
        }
        Store::Memory(bytes) => out.write_all(&bytes[start as usize..end as usize]),
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

    /// A stream of pieces, in any order, is their bytes with a separator between two,
    /// whether the pieces follow one another in the spool (one run) or not, from disk
    /// (written to a file, which the kernel copies to, and to memory) and from memory.
    #[test]
    fn a_stream_is_its_pieces_joined_by_separators_in_any_order() {
        let files: Vec<Vec<u8>> = [
            &b"a: 1\n"[..],
            b"",
            b"b: 2\n",
            &[b'c'; BLOCK + 17],
            b"d: 4\n",
            b"e: 5\n",
        ]
        .iter()
        .map(|f| f.to_vec())
        .collect();
        for spool in [Spool::new(), Spool::in_memory()] {
            // Two units, their files put one after another, then one file alone.
            let mut pieces: Vec<Piece> = spool
                .put_all(files[..3].iter().map(Vec::as_slice))
                .into_iter()
                .chain(spool.put_all(files[3..5].iter().map(Vec::as_slice)))
                .collect::<io::Result<_>>()
                .expect("put");
            pieces.push(spool.put(&files[5]).expect("put"));
            for order in [
                vec![0, 1, 2, 3, 4, 5],
                vec![5, 4, 3, 2, 1, 0],
                vec![1, 2, 4, 0],
                vec![3],
                vec![2, 3, 4, 0, 1],
                vec![],
            ] {
                let want: Vec<u8> = order
                    .iter()
                    .map(|&i| files[i].as_slice())
                    .collect::<Vec<_>>()
                    .join(&b"---\n"[..]);
                let chosen: Vec<Piece> = order.iter().map(|&i| pieces[i]).collect();
                let mut got = Vec::new();
                spool.write_runs(&chosen, &mut got).expect("written");
                assert_eq!(got, want, "{order:?}");
                let mut file = tempfile::tempfile().expect("a file");
                spool.write_runs(&chosen, &mut file).expect("written");
                let mut back = Vec::new();
                file.seek(SeekFrom::Start(0)).expect("seek");
                file.read_to_end(&mut back).expect("read");
                assert_eq!(back, want, "{order:?}");
                // A put after a stream lands after everything before it.
                let after = spool.put(b"after").expect("put");
                assert_eq!(spool.read(after).expect("read"), b"after");
            }
        }
    }

    /// Pieces on both sides of a block's end, larger than a block, and read out of order or
    /// after more puts, come back whole: what is pending is read, a block is refilled when a
    /// piece leaves it.
    #[test]
    fn pieces_across_blocks_come_back_whole() {
        let spool = Spool::new();
        let body =
            |i: usize, len: usize| -> Vec<u8> { (0..len).map(|j| (i * 31 + j) as u8).collect() };
        let sizes = [7, BLOCK - 3, 10, 2 * BLOCK + 5, 0, 300_000, BLOCK, 1];
        let mut put = Vec::new();
        for (i, len) in sizes.iter().enumerate() {
            put.push((spool.put(&body(i, *len)).expect("put"), body(i, *len)));
        }
        for order in [
            (0..sizes.len()).collect::<Vec<_>>(),
            (0..sizes.len()).rev().collect(),
            vec![3, 0, 5, 1, 7, 2, 6, 4],
        ] {
            let pieces: Vec<Piece> = order.iter().map(|&i| put[i].0).collect();
            let mut got = Vec::new();
            spool
                .read_each(&pieces, |bytes| got.push(bytes.to_vec()))
                .expect("read");
            let want: Vec<Vec<u8>> = order.iter().map(|&i| put[i].1.clone()).collect();
            assert_eq!(got, want);
            // A put after a read lands after everything before it.
            let extra = spool.put(b"after").expect("put");
            assert_eq!(spool.read(extra).expect("read"), b"after");
        }
    }
}
