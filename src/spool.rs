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
//! write per file), each copied from the temporary file to stdout by the kernel: on Linux by
//! `sendfile`, to a pipe (the Argo CD plugin's stdout), a file or `/dev/null` alike;
//! elsewhere by `std::io::copy`. Printing 282 MB at N = 10,000 no longer reads them into
//! this process and writes them out again, on one core at the end of the run.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
#[cfg(target_os = "linux")]
use std::os::fd::AsFd;
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

    /// Write the files at `pieces`, in order, with a separator between two, to `out`
    /// (stdout): each run of pieces that follow one another in the spool (with their
    /// separators) at once. On Linux each run from disk goes by `sendfile` to `out`'s
    /// descriptor, which Linux does for a pipe too (the Argo CD plugin's stdout), where
    /// std's copy reads into a buffer of its own and writes that; where it cannot (a
    /// terminal, a file opened to append), and elsewhere, by `std::io::copy` to `out`.
    pub fn write_runs_to<W: Out>(&self, pieces: &[Piece], out: &mut W) -> io::Result<()> {
        // Bytes in `out`'s own buffer go first; its descriptor is held apart from it.
        out.flush()?;
        #[cfg(target_os = "linux")]
        let fd = Some(out.as_fd().try_clone_to_owned()?);
        #[cfg(not(target_os = "linux"))]
        let fd = None;
        self.write_runs_with(pieces, out, fd)
    }

    /// The runs by `std::io::copy` alone, to any writer: what a build without `sendfile`,
    /// or a descriptor that refuses it, takes.
    #[cfg(test)]
    fn write_runs<W: Write>(&self, pieces: &[Piece], out: &mut W) -> io::Result<()> {
        self.write_runs_with(pieces, out, None)
    }

    fn write_runs_with<W: Write>(
        &self,
        pieces: &[Piece],
        out: &mut W,
        mut fd: Option<Fd>,
    ) -> io::Result<()> {
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
                    copy_run(&mut store, done, out, &mut fd)?;
                    Some((start, end))
                }
                None => Some((start, end)),
            };
        }
        if let Some(done) = run {
            copy_run(&mut store, done, out, &mut fd)?;
        }
        if let Store::Disk(disk) = &mut *store {
            // Appends continue at the end.
            disk.file.seek(SeekFrom::End(0))?;
        }
        Ok(())
    }

    /// The bytes of one piece (a file's text again, to place a finding in it).
    pub fn read(&self, piece: Piece) -> io::Result<Vec<u8>> {
        let mut store = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match &mut *store {
            Store::Disk(disk) => {
                disk.flush()?;
                let mut out = vec![0; piece.len];
                disk.file.seek(SeekFrom::Start(piece.offset))?;
                disk.file.read_exact(&mut out)?;
                // Appends continue at the end.
                disk.file.seek(SeekFrom::End(0))?;
                Ok(out)
            }
            Store::Memory(bytes) => {
                let start = piece.offset as usize;
                Ok(bytes[start..start + piece.len].to_vec())
            }
        }
    }
}

/// What a stream is written to by [`Spool::write_runs_to`]: on Linux, a writer with a file
/// descriptor (stdout), for `sendfile`.
#[cfg(target_os = "linux")]
pub trait Out: Write + AsFd {}
#[cfg(target_os = "linux")]
impl<T: Write + AsFd> Out for T {}
/// What a stream is written to by [`Spool::write_runs_to`].
#[cfg(not(target_os = "linux"))]
pub trait Out: Write {}
#[cfg(not(target_os = "linux"))]
impl<T: Write> Out for T {}

/// The descriptor runs are sent to, apart from the writer (none where there is no
/// `sendfile`).
#[cfg(target_os = "linux")]
type Fd = std::os::fd::OwnedFd;
#[cfg(not(target_os = "linux"))]
type Fd = std::convert::Infallible;

/// Bytes `[start, end)` of the spool to `out`, by `sendfile` to `fd` while it takes them
/// (`fd` is let go of when it cannot, and the rest goes through `out`).
fn copy_run<W: Write>(
    store: &mut Store,
    (start, end): (u64, u64),
    out: &mut W,
    fd: &mut Option<Fd>,
) -> io::Result<()> {
    match store {
        Store::Disk(disk) => {
            let at = send(disk, (start, end), fd)?;
            if at == end {
                return Ok(());
            }
            disk.file.seek(SeekFrom::Start(at))?;
            let copied = io::copy(&mut (&disk.file).take(end - at), out)?;
            if copied == end - at {
                Ok(())
            } else {
                Err(io::ErrorKind::UnexpectedEof.into())
            }
        }
        Store::Memory(bytes) => out.write_all(&bytes[start as usize..end as usize]),
    }
}

/// Send `[start, end)` of the spool to `fd`; where the rest of it starts (`end` when all
/// went).
#[cfg(target_os = "linux")]
fn send(disk: &Disk, (start, end): (u64, u64), fd: &mut Option<Fd>) -> io::Result<u64> {
    use rustix::io::Errno;
    let mut at = start;
    let Some(to) = fd.as_ref() else {
        return Ok(at);
    };
    while at < end {
        // At most 1 GiB a call, below what Linux moves in one.
        let count = (end - at).min(1 << 30) as usize;
        match rustix::fs::sendfile(to, &disk.file, Some(&mut at), count) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(_) => {}
            Err(e) if e == Errno::INVAL || e == Errno::NOSYS => {
                *fd = None;
                break;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(at)
}

#[cfg(not(target_os = "linux"))]
fn send(_: &Disk, (start, _): (u64, u64), _: &mut Option<Fd>) -> io::Result<u64> {
    Ok(start)
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
            let out: Vec<u8> = [d, a, b, c]
                .iter()
                .flat_map(|&p| spool.read(p).expect("read"))
                .collect();
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
                // To a file, and to a descriptor as stdout is written: a file, and a pipe
                // read meanwhile.
                let in_file = |write: &dyn Fn(&mut File) -> io::Result<()>| {
                    let mut file = tempfile::tempfile().expect("a file");
                    write(&mut file).expect("written");
                    let mut back = Vec::new();
                    file.seek(SeekFrom::Start(0)).expect("seek");
                    file.read_to_end(&mut back).expect("read");
                    back
                };
                let to_file = in_file(&|f| spool.write_runs(&chosen, f));
                assert_eq!(to_file, want, "{order:?}");
                let to_fd = in_file(&|f| spool.write_runs_to(&chosen, f));
                assert_eq!(to_fd, want, "{order:?}");
                let (mut reader, mut writer) = io::pipe().expect("a pipe");
                let read = std::thread::spawn(move || {
                    let mut back = Vec::new();
                    reader.read_to_end(&mut back).map(|_| back)
                });
                spool.write_runs_to(&chosen, &mut writer).expect("written");
                drop(writer);
                let back = read.join().expect("reader").expect("read");
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
            let got: Vec<Vec<u8>> = pieces
                .iter()
                .map(|&p| spool.read(p).expect("read"))
                .collect();
            let want: Vec<Vec<u8>> = order.iter().map(|&i| put[i].1.clone()).collect();
            assert_eq!(got, want);
            // A put after a read lands after everything before it.
            let extra = spool.put(b"after").expect("put");
            assert_eq!(spool.read(extra).expect("read"), b"after");
        }
    }
}
