//! Writing results: to stdout, or to a file atomically (a temp file in the
//! same directory, then a rename), so a reader or a crash never sees half a
//! report.

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
