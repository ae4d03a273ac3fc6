//! Publishing a bundle: every file is written into a staging directory,
//! then the directory is renamed into place, so a reader (or a query
//! engine scanning `cluster=*/date=*`) sees the old bundle or the new one,
//! never half of either. A run that dies leaves only staging debris under
//! `OUT/.tmp/`, which later runs clear away.

use crate::error::Error;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Staging debris older than this is removed at the start of a run.
const STALE_AFTER: Duration = Duration::from_secs(6 * 3600);

/// Test hook: `AZCOST_TEST_ABORT_AFTER=<file name>` aborts the process right
/// after that file is written, to prove a killed run changes nothing.
pub const ABORT_HOOK: &str = "AZCOST_TEST_ABORT_AFTER";

/// Aborts when the test hook names `what`.
pub fn crash_point(what: &str) {
    if std::env::var(ABORT_HOOK).is_ok_and(|v| v == what) {
        std::process::abort();
    }
}

/// `OUT/cluster=<name>/date=<date>`.
pub fn bundle_dir(out: &Path, cluster: &str, date: &str) -> PathBuf {
    out.join(format!("cluster={cluster}"))
        .join(format!("date={date}"))
}

/// `OUT/.tmp`: staging, ignored by Hive-style readers (leading dot).
fn staging_root(out: &Path) -> PathBuf {
    out.join(".tmp")
}

/// Removes staging directories left by runs that died long enough ago.
pub fn clear_stale(out: &Path) {
    let Ok(entries) = std::fs::read_dir(staging_root(out)) else {
        return;
    };
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > STALE_AFTER);
        if old {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Writes `files` as the bundle of `cluster` and `date`, replacing an
/// existing one only when `force` is set.
pub fn publish(
    out: &Path,
    cluster: &str,
    date: &str,
    files: &[(&str, Vec<u8>)],
    force: bool,
) -> Result<PathBuf, Error> {
    let target = bundle_dir(out, cluster, date);
    if target.exists() && !force {
        return Err(exists(&target));
    }
    let root = staging_root(out);
    std::fs::create_dir_all(&root)
        .map_err(|e| Error::io(format!("creating {}", root.display()), e))?;
    let staging = tempfile::Builder::new()
        .prefix(&format!("{cluster}-{date}-"))
        .tempdir_in(&root)
        .map_err(|e| {
            Error::io(
                format!("creating a staging directory in {}", root.display()),
                e,
            )
        })?;
    for (name, bytes) in files {
        let path = staging.path().join(name);
        let mut f = std::fs::File::create(&path)
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        f.write_all(bytes)
            .and_then(|_| f.sync_all())
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        crash_point(name);
    }
    let parent = target.parent().unwrap_or(out);
    std::fs::create_dir_all(parent)
        .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
    let staged = staging.keep();
    if target.exists() {
        // Move the old bundle aside first: a rename onto a non-empty
        // directory fails, and the old one must survive until the new one
        // is in place.
        let aside = root.join(format!(".old-{cluster}-{date}-{}", std::process::id()));
        std::fs::rename(&target, &aside)
            .map_err(|e| Error::io(format!("moving aside {}", target.display()), e))?;
        if let Err(e) = std::fs::rename(&staged, &target) {
            let _ = std::fs::rename(&aside, &target);
            return Err(Error::io(format!("replacing {}", target.display()), e));
        }
        let _ = std::fs::remove_dir_all(&aside);
    } else {
        std::fs::rename(&staged, &target)
            .map_err(|e| Error::io(format!("creating {}", target.display()), e))?;
    }
    crash_point("bundle");
    Ok(target)
}

/// The error for a bundle that exists without `--force`.
pub fn exists(target: &Path) -> Error {
    Error::usage(format!(
        "{} exists: pass --force to replace it",
        target.display()
    ))
}
