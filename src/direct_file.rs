//! Large files written past the page cache (`O_DIRECT`), where the
//! filesystem allows it.
//!
//! Why: a report bundle at 2M partitions is about 750 MB, written once and
//! fsynced, and read later by someone else. Written the ordinary way, every
//! byte is first copied into the page cache: on the 2-core test VM that
//! copy (into freshly allocated page-cache memory) was a sixth of the
//! report job's CPU time, and the pages then push out whatever else the
//! host keeps cached. Written directly, the disk takes the bytes from
//! this process's own buffer; the fsync that follows still makes the file
//! durable (and writes its metadata).
//!
//! A filesystem that refuses direct writes (at the `fcntl`, or at a write
//! with any error) gets ordinary buffered writes from then on, through the
//! same buffer: correctness never depends on `O_DIRECT`, only the cost
//! does. Some filesystems (btrfs, tmpfs since Linux 6.6) accept the flag
//! and may write through their cache anyway; that is their choice.

use std::fs::File;
use std::io::Write;

/// Direct writes must start at, and be a whole number of, blocks of the
/// device's logical block size, from a buffer aligned to it: 4096 covers
/// 512-byte and 4K-sector devices alike.
const BLOCK: usize = 4096;

/// How much is written to the disk at once: large enough that one write at
/// a time keeps a disk busy.
const WINDOW: usize = 1 << 20;

/// A file being written from its start, through a block-aligned buffer of
/// `WINDOW` (1 MiB) bytes that goes to the disk whole. [`DirectFile::finish`]
/// writes the last, partial block (buffered) and hands the file back to be
/// fsynced; dropping a `DirectFile` unfinished loses what is buffered, as
/// an error path wants. `flush` writes nothing: a window goes out when
/// full, and an encoder flushing as it goes must not cut one short.
pub struct DirectFile {
    file: File,
    direct: bool,
    /// `WINDOW + BLOCK` bytes, of which `window_start..window_start +
    /// WINDOW` is aligned.
    buf: Vec<u8>,
    window_start: usize,
    filled: usize,
}

impl DirectFile {
    /// Takes over `file`, empty and open for writing, and turns on direct
    /// writes where the filesystem allows them.
    pub fn new(file: File) -> DirectFile {
        let buf = vec![0u8; WINDOW + BLOCK];
        // `align_offset` may decline to answer; then writes stay buffered.
        let window_start = buf.as_ptr().align_offset(BLOCK);
        let direct = window_start < BLOCK && set_direct(&file, true).is_ok();
        DirectFile {
            file,
            direct,
            buf,
            window_start,
            filled: 0,
        }
    }

    /// Writes what is left and returns the file, for the caller to fsync.
    pub fn finish(mut self) -> std::io::Result<File> {
        let whole_blocks = self.filled / BLOCK * BLOCK;
        let tail = self.filled - whole_blocks;
        self.write_out(0, whole_blocks)?;
        // A partial block cannot be written directly, and the file goes
        // back an ordinary one either way.
        if self.direct {
            set_direct(&self.file, false)?;
            self.direct = false;
        }
        self.write_out(whole_blocks, tail)?;
        Ok(self.file)
    }

    /// Writes `len` bytes of the window from `from`. A direct write that
    /// fails (a filesystem refuses it with `EINVAL`, or with another
    /// answer such as `EOPNOTSUPP`) wrote nothing: it is tried again
    /// buffered, and writes stay buffered for good; only a buffered
    /// write's error is the error (a full disk fails both ways).
    fn write_out(&mut self, from: usize, len: usize) -> std::io::Result<()> {
        let start = self.window_start + from;
        let mut done = 0;
        while done < len {
            match self.file.write(&self.buf[start + done..start + len]) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) if self.direct => {
                    set_direct(&self.file, false)?;
                    self.direct = false;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

impl Write for DirectFile {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.filled == WINDOW {
            self.write_out(0, WINDOW)?;
            self.filled = 0;
        }
        let n = data.len().min(WINDOW - self.filled);
        let at = self.window_start + self.filled;
        self.buf[at..at + n].copy_from_slice(&data[..n]);
        self.filled += n;
        Ok(n)
    }

    /// Nothing; see [`DirectFile`].
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Turns direct writes on or off for `file` (`fcntl(F_SETFL)`).
#[cfg(target_os = "linux")]
fn set_direct(file: &File, on: bool) -> std::io::Result<()> {
    use rustix::fs::{OFlags, fcntl_getfl, fcntl_setfl};
    let flags = fcntl_getfl(file)?;
    let flags = if on {
        flags | OFlags::DIRECT
    } else {
        flags - OFlags::DIRECT
    };
    Ok(fcntl_setfl(file, flags)?)
}

/// Elsewhere there is no `O_DIRECT`: writes stay buffered.
#[cfg(not(target_os = "linux"))]
fn set_direct(_file: &File, on: bool) -> std::io::Result<()> {
    if on {
        Err(std::io::ErrorKind::Unsupported.into())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pieces of many sizes, across window and block boundaries.
    fn bytes(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 4099) as u8).collect()
    }

    fn written(len: usize, piece: usize) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data = bytes(len);
        let mut out = DirectFile::new(File::create(&path).unwrap());
        for p in data.chunks(piece) {
            out.write_all(p).unwrap();
            out.flush().unwrap();
        }
        out.finish().unwrap().sync_all().unwrap();
        let back = std::fs::read(&path).unwrap();
        assert!(back == data, "{len} bytes in pieces of {piece}");
        back
    }

    #[test]
    fn every_length_comes_back_whole() {
        for len in [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, WINDOW, WINDOW + 1] {
            written(len, 1000);
        }
        written(3 * WINDOW + 5 * BLOCK + 17, 333_333);
        written(2 * WINDOW + 3, 2 * WINDOW + 3);
    }

    #[test]
    fn a_refused_direct_write_falls_back_and_loses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let mut file = File::create(&path).unwrap();
        // 100 bytes in: a direct write at offset 100 is refused (EINVAL).
        file.write_all(&[9; 100]).unwrap();
        let mut out = DirectFile::new(file);
        let was_direct = out.direct;
        let data = bytes(2 * WINDOW + 10);
        out.write_all(&data).unwrap();
        out.write_all(&[1; WINDOW]).unwrap();
        // ext4 and XFS refuse the misaligned write (EINVAL), btrfs and
        // tmpfs take it; either way every byte must land, as checked below.
        match (was_direct, out.direct) {
            (true, false) => eprintln!("the refused direct write fell back to buffered"),
            (true, true) => eprintln!("this filesystem took a misaligned direct write"),
            (false, _) => eprintln!("no direct writes here: the buffered path was tested"),
        }
        out.finish().unwrap();
        let back = std::fs::read(&path).unwrap();
        assert!(back == [&[9; 100][..], &data, &[1; WINDOW]].concat());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_file_comes_back_with_direct_writes_off() {
        let dir = tempfile::tempdir().unwrap();
        // With a partial tail, a whole number of blocks, and nothing.
        for len in [WINDOW + BLOCK + 1, 2 * BLOCK, 0] {
            let mut out = DirectFile::new(File::create(dir.path().join("f")).unwrap());
            out.write_all(&bytes(len)).unwrap();
            let file = out.finish().unwrap();
            let flags = rustix::fs::fcntl_getfl(&file).unwrap();
            assert!(!flags.contains(rustix::fs::OFlags::DIRECT), "{len} bytes");
        }
    }
}
