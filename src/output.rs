//! Writing results: to stdout, or to a file atomically (a temp file in the
//! same directory, then a rename), so a reader or a crash never sees half a
//! report.

use crate::direct_file::DirectFile;
use crate::error::Error;
use std::io::Write;
use std::path::Path;

/// Writes `contents` to `path` through a temp file and a rename.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), Error> {
    prepare_atomic(path, contents)?.commit()
}

/// A file written (and fsynced) under a temp name beside its final path,
/// waiting for [`Prepared::commit`]; dropped, the temp file is removed.
/// Splitting the write from the rename lets a caller write every file of a
/// change first, where a full disk fails, and then rename them all.
pub struct Prepared {
    tmp: tempfile::NamedTempFile,
    path: std::path::PathBuf,
}

impl Prepared {
    /// Renames the temp file onto the final path.
    pub fn commit(self) -> Result<(), Error> {
        let path = self.path;
        self.tmp
            .persist(&path)
            .map_err(|e| Error::io(format!("writing {}", path.display()), e.error))?;
        Ok(())
    }
}

/// Writes `contents` to a temp file in `path`'s directory; see [`Prepared`].
pub fn prepare_atomic(path: &Path, contents: &[u8]) -> Result<Prepared, Error> {
    let fail = |e| Error::io(format!("writing {}", path.display()), e);
    let mut tmp = temp_beside(path)?;
    tmp.write_all(contents).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    Ok(Prepared {
        tmp,
        path: path.to_path_buf(),
    })
}

/// Writes to `path` atomically, or to stdout when there is none.
pub fn emit(path: Option<&Path>, contents: &str) -> Result<(), Error> {
    match path {
        Some(p) => write_atomic(p, contents.as_bytes()),
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(contents.as_bytes()).and_then(|_| out.flush()) {
                // A closed pipe (`azcost audit | head`) is the reader's choice.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.map_err(|e| Error::io("writing to standard output", e)),
            }
        }
    }
}

/// How much of a streamed output is handed to its writing thread at once.
const CHUNK: usize = 1 << 20;

/// [`emit`] of what `render` writes, written out on a thread of its own
/// while `render` still makes the rest. Why: at 2M partitions the JSON
/// audit is about 90 MB, and copying it into the page cache took as long
/// as making it (0.27 s against 0.17 s); the two now overlap, and the
/// document is never whole in memory. A file is still written atomically
/// (nothing at `path` unless every byte was written); standard output
/// gets the bytes as they come.
pub fn emit_streamed(
    path: Option<&Path>,
    render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    match path {
        Some(p) => {
            let fail = |e| Error::io(format!("writing {}", p.display()), e);
            let tmp = temp_beside(p)?;
            let mut out = DirectFile::new(tmp.as_file().try_clone().map_err(fail)?);
            stream(&mut out, render).map_err(fail)?;
            out.finish().and_then(|f| f.sync_all()).map_err(fail)?;
            Prepared {
                tmp,
                path: p.to_path_buf(),
            }
            .commit()
        }
        None => match stream(std::io::stdout(), render) {
            // A closed pipe (`azcost audit | head`) is the reader's choice.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other.map_err(|e| Error::io("writing to standard output", e)),
        },
    }
}

/// Runs `render` into chunks that a second thread writes to `dest`, in
/// order; emptied chunks come back to be filled again. A failed write
/// (a full disk, a closed pipe) stops `render` at its next chunk and is
/// the error returned.
pub(crate) fn stream<W: Write + Send>(
    mut dest: W,
    render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(2);
    let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || {
            for mut chunk in full_rx {
                dest.write_all(&chunk)?;
                chunk.clear();
                // The filler may be done and gone: then the chunk is freed.
                let _ = empty_tx.send(chunk);
            }
            dest.flush()
        });
        let mut chunks = Chunks {
            full: full_tx,
            empty: empty_rx,
            buf: Vec::with_capacity(CHUNK),
        };
        let made = render(&mut chunks).and_then(|()| chunks.send());
        // Closing the channel ends the writer's loop.
        drop(chunks);
        // A panic in the thread is a bug; re-raise it where it happened.
        let written = writer
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        // When the writer failed, that is why `render` stopped.
        written.and(made)
    })
}

/// The filling side of [`stream`].
struct Chunks {
    full: std::sync::mpsc::SyncSender<Vec<u8>>,
    empty: std::sync::mpsc::Receiver<Vec<u8>>,
    buf: Vec<u8>,
}

impl Chunks {
    /// Hands the chunk filled so far (if any) to the writer.
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let next = self
            .empty
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
        let full = std::mem::replace(&mut self.buf, next);
        self.full.send(full).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "the output's writing thread stopped",
            )
        })
    }
}

impl Write for Chunks {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        // Sent before it would outgrow its capacity, so a chunk only
        // reallocates for a single write larger than a chunk.
        if self.buf.len() + data.len() > CHUNK {
            self.send()?;
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    /// Nothing: [`stream`] sends the last chunk when `render` is done, and
    /// a serializer flushing as it goes must not cut chunks short.
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A temp file in `path`'s directory (so the final rename stays on one
/// filesystem), to be renamed onto `path` when whole. A missing directory
/// is bad input (exit 2), named with the flag it came from.
pub fn temp_beside(path: &Path) -> Result<tempfile::NamedTempFile, Error> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(Error::usage(format!(
            "--output {}: the directory {} does not exist",
            path.display(),
            dir.display()
        )));
    }
    temp_file_builder()
        .tempfile_in(dir)
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

/// How every file azcost writes is first created: a hidden temp file beside
/// its target, with the mode an ordinary file gets (0666 less the umask).
/// tempfile's default is 0600, which after the rename left reports and CSV
/// exports unreadable to the group that shares them.
pub fn temp_file_builder() -> tempfile::Builder<'static, 'static> {
    let mut b = tempfile::Builder::new();
    b.prefix(".azcost-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(std::fs::Permissions::from_mode(0o666));
    }
    b
}

/// The mode a directory azcost creates gets: 0777 less the umask, as
/// `mkdir` would give (tempfile's default for a staging directory is 0700).
#[cfg(unix)]
pub fn directory_permissions() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(0o777)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A destination that takes `room` bytes, then fails as a full disk.
    struct Full {
        took: Vec<u8>,
        room: usize,
    }

    impl Write for Full {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            if self.took.len() + data.len() > self.room {
                return Err(std::io::Error::from_raw_os_error(28));
            }
            self.took.extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Pieces of every size, across chunk boundaries, in order.
    fn pieces() -> Vec<Vec<u8>> {
        (0..4000usize)
            .map(|i| vec![(i % 251) as u8; (i * 37) % 3001 + (i % 7) * 400])
            .collect()
    }

    #[test]
    fn streamed_bytes_arrive_whole_and_in_order() {
        let pieces = pieces();
        let mut dest = Vec::new();
        stream(&mut dest, |out| {
            pieces.iter().try_for_each(|p| out.write_all(p))?;
            // A serializer's flush must not cut a chunk short or lose bytes.
            out.flush()
        })
        .unwrap();
        assert!(dest.len() > 4 * CHUNK);
        assert!(dest == pieces.concat());
    }

    #[test]
    fn a_failed_write_stops_the_render_and_is_the_error() {
        let pieces = pieces();
        let mut written = 0usize;
        let mut dest = Full {
            took: Vec::new(),
            room: 2 * CHUNK,
        };
        let err = stream(&mut dest, |out| {
            for p in &pieces {
                out.write_all(p)?;
                written += p.len();
            }
            Ok(())
        })
        .unwrap_err();
        assert_eq!(err.raw_os_error(), Some(28), "{err}");
        // Stopped within the chunks in flight, not after making everything.
        assert!(written < 8 * CHUNK, "{written}");
        assert!(written < pieces.concat().len());
        assert!(dest.took.len() <= 2 * CHUNK);
    }

    #[test]
    fn the_writes_own_error_wins_over_what_an_encoder_made_of_it() {
        let mut dest = Full {
            took: Vec::new(),
            room: CHUNK,
        };
        let err = stream(&mut dest, |out| {
            // An encoder that passes on only the text of what it met.
            pieces()
                .iter()
                .try_for_each(|p| out.write_all(p))
                .map_err(|e| std::io::Error::other(e.to_string()))
        })
        .unwrap_err();
        assert_eq!(err.raw_os_error(), Some(28), "{err}");
    }
}
