//! Publishing a bundle: every file is written (and fsynced) into a staging
//! directory `OUT/.tmp-<cluster>-<date>-XXXXXX`, then, under the `--out`
//! lock, the directory is renamed into place, so a reader (or a query
//! engine scanning `cluster=*/date=*`, which skips dot names) sees the old
//! bundle or the new one, never half of either, and two runs of the same
//! cluster and date never interleave.
//!
//! The swap is two-phase: the old bundle is moved aside, the new one moved
//! in, and the old one deleted only when the history row is written too
//! ([`Swapped::commit`]); if the history write fails, [`Swapped::rollback`]
//! puts the old bundle back. A staging directory is removed on every error
//! path and on SIGINT/SIGTERM (see `interrupt`); only a run killed outright
//! (SIGKILL, power loss) leaves one, which runs after it sweep once it is
//! older than six hours.

use super::{hooks, interrupt};
use crate::direct_file::DirectFile;
use crate::error::Error;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

pub use super::hooks::{ABORT_HOOK, crash_point};

/// Staging debris older than this is removed at the start of a run (a
/// younger one may belong to a run still going).
const STALE_AFTER: Duration = Duration::from_secs(6 * 3600);

/// Prefix of staging directories (and of the old bundle moved aside).
const STAGING_PREFIX: &str = ".tmp-";

/// `OUT/cluster=<name>/date=<date>`.
pub fn bundle_dir(out: &Path, cluster: &str, date: &str) -> PathBuf {
    out.join(format!("cluster={cluster}"))
        .join(format!("date={date}"))
}

/// Removes staging directories and temp files that runs killed outright
/// left under `out` long enough ago (also the `OUT/.tmp/` of older
/// versions).
pub fn clear_stale(out: &Path) {
    let old = |entry: &std::fs::DirEntry| {
        entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > STALE_AFTER)
    };
    let Ok(entries) = std::fs::read_dir(out) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let debris = name.starts_with(STAGING_PREFIX)
            || (name.starts_with(".azcost-") && name.ends_with(".tmp"));
        if debris && old(&entry) {
            let _ = std::fs::remove_dir_all(entry.path())
                .or_else(|_| std::fs::remove_file(entry.path()));
        }
        if name == ".tmp" {
            for inner in std::fs::read_dir(entry.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                if old(&inner) {
                    let _ = std::fs::remove_dir_all(inner.path());
                }
            }
            let _ = std::fs::remove_dir(entry.path());
        }
    }
}

/// A bundle written to its staging directory, not yet in place. Dropping
/// it removes the staging directory.
pub struct Staged {
    dir: Option<PathBuf>,
    target: PathBuf,
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            // Not raced by the signal handler's own removal, which could
            // stop the process with this one half done.
            interrupt::writing(|| {
                let _ = std::fs::remove_dir_all(&dir);
                interrupt::unregister(&dir);
            });
        }
    }
}

/// A new, empty staging directory for `cluster` and `date`, for
/// [`Staged::write`] to fill. Dropping the [`Staged`] (on any error path)
/// removes it again.
pub fn begin(out: &Path, cluster: &str, date: &str) -> Result<Staged, Error> {
    let target = bundle_dir(out, cluster, date);
    let dir = interrupt::register(|| {
        let prefix = format!("{STAGING_PREFIX}{cluster}-{date}-");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix);
        // The bundle is renamed into place as it is: give it a directory's
        // ordinary mode, not tempfile's 0700, so whoever reads reports can.
        #[cfg(unix)]
        builder.permissions(crate::output::directory_permissions());
        let dir = builder.tempdir_in(out)?.keep();
        Ok((dir.clone(), dir))
    })
    .map_err(|e| {
        Error::io(
            format!("creating a staging directory in {}", out.display()),
            e,
        )
    })?;
    Ok(Staged {
        dir: Some(dir),
        target,
    })
}

impl Staged {
    /// Writes and fsyncs one bundle file into the staging directory. An
    /// error names the bundle file and the operating system's reason.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        self.put(name, |out| out.write_all(bytes))
    }

    /// [`Staged::write`] of what `render` writes, as it writes it, on a
    /// thread of its own while `render` makes the rest: the largest files
    /// (hundreds of MB at scale) are never whole in memory. A failed write
    /// (a full disk) is the error, not what an encoder that met it (polars'
    /// Parquet writer) made of it.
    pub fn write_with(
        &self,
        name: &str,
        render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<(), Error> {
        self.put(name, |out| crate::output::stream(out, render))
    }

    /// Creates the bundle file `name`, has `fill` write it through a
    /// [`DirectFile`], and fsyncs it.
    fn put(
        &self,
        name: &str,
        fill: impl FnOnce(&mut DirectFile) -> std::io::Result<()>,
    ) -> Result<(), Error> {
        let Some(dir) = &self.dir else {
            return Err(Error::Runtime(format!(
                "writing {}: the staging directory is gone",
                self.target.join(name).display()
            )));
        };
        let path = dir.join(name);
        let fail = |e| {
            Error::io(
                format!(
                    "writing {} (staged as {})",
                    self.target.join(name).display(),
                    path.display()
                ),
                e,
            )
        };
        interrupt::writing(|| {
            let mut out = DirectFile::new(std::fs::File::create(&path)?);
            fill(&mut out)?;
            out.finish()?.sync_all()
        })
        .map_err(fail)?;
        hooks::crash_point(name);
        hooks::pause(name)?;
        Ok(())
    }
}

/// A bundle moved into place, the old one (if any) kept aside until
/// [`Swapped::commit`] or restored by [`Swapped::rollback`].
pub struct Swapped {
    target: PathBuf,
    aside: Option<PathBuf>,
    /// A free hidden name under `--out`, where rollback moves the new
    /// bundle before deleting it (never visible as a `date=` directory).
    spare: PathBuf,
    /// `cluster=<name>` did not exist before: rollback removes it again.
    new_parent: Option<PathBuf>,
}

impl Staged {
    /// The bundle's final directory.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Moves the staged bundle into place. Call it holding the `--out`
    /// lock: the existence check and the renames must not interleave with
    /// another run's. Without `force` an existing bundle is an error.
    pub fn swap_in(mut self, force: bool) -> Result<Swapped, Error> {
        if self.target.exists() && !force {
            return Err(exists(&self.target));
        }
        let Some(dir) = self.dir.take() else {
            return Err(Error::Runtime("internal: bundle staged twice".into()));
        };
        // From here this function owns `dir` and removes it on every error.
        let discard = |e: Error| {
            let _ = std::fs::remove_dir_all(&dir);
            interrupt::unregister(&dir);
            e
        };
        let parent = self.target.parent().map(Path::to_path_buf);
        let mut new_parent = None;
        if let Some(parent) = &parent
            && !parent.exists()
        {
            std::fs::create_dir_all(parent)
                .map_err(|e| discard(Error::io(format!("creating {}", parent.display()), e)))?;
            new_parent = Some(parent.clone());
        }
        let aside = if self.target.exists() {
            // A rename onto a non-empty directory fails, and the old bundle
            // must survive until the new one and its history row are in.
            let mut name = dir.as_os_str().to_owned();
            name.push("-old");
            let aside = PathBuf::from(name);
            std::fs::rename(&self.target, &aside).map_err(|e| {
                discard(Error::io(
                    format!("moving aside {}", self.target.display()),
                    e,
                ))
            })?;
            Some(aside)
        } else {
            None
        };
        if let Err(e) = std::fs::rename(&dir, &self.target) {
            if let Some(aside) = &aside {
                let _ = std::fs::rename(aside, &self.target);
            }
            if let Some(p) = &new_parent {
                let _ = std::fs::remove_dir(p);
            }
            return Err(discard(Error::io(
                format!("moving {} into place", self.target.display()),
                e,
            )));
        }
        interrupt::unregister(&dir);
        crash_point("bundle");
        let mut spare = dir.into_os_string();
        spare.push("-new");
        Ok(Swapped {
            target: self.target.clone(),
            aside,
            spare: PathBuf::from(spare),
            new_parent,
        })
    }
}

impl Swapped {
    /// The bundle's directory.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Keeps the new bundle: the old one is deleted.
    pub fn commit(self) {
        if let Some(aside) = &self.aside {
            let _ = std::fs::remove_dir_all(aside);
        }
    }

    /// Puts the old bundle back (or removes the new one when there was
    /// none), for when the run cannot record it in the history.
    pub fn rollback(self) {
        if std::fs::rename(&self.target, &self.spare).is_ok() {
            let _ = std::fs::remove_dir_all(&self.spare);
        } else {
            let _ = std::fs::remove_dir_all(&self.target);
        }
        if let Some(aside) = &self.aside {
            let _ = std::fs::rename(aside, &self.target);
        }
        if let Some(p) = &self.new_parent {
            let _ = std::fs::remove_dir(p);
        }
    }
}

/// The error for a bundle that exists without `--force`.
pub fn exists(target: &Path) -> Error {
    Error::usage(format!(
        "{} exists: pass --force to replace it",
        target.display()
    ))
}
