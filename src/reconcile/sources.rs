//! `--cur PATH...` → the CUR files to read: files as given, directories
//! walked recursively, globs expanded. Only `.parquet`, `.csv` and
//! `.csv.gz` files are taken from directories and globs (a CUR export
//! folder also holds manifests and metadata); a file named directly is
//! read whatever its name, so a bad one is reported, not skipped.

use crate::error::Error;
use std::path::{Path, PathBuf};

/// What a CUR file is stored as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Apache Parquet (CUR 2.0 Data Exports, or the legacy CUR's Parquet).
    Parquet,
    /// CSV, plain or gzip-compressed (the legacy CUR's `.csv.gz`).
    Csv,
}

/// Parquet unless the name ends in `.csv` or `.csv.gz` (or `.gz`).
pub fn kind_of(path: &Path) -> FileKind {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.ends_with(".csv") || name.ends_with(".csv.gz") || name.ends_with(".gz") {
        FileKind::Csv
    } else {
        FileKind::Parquet
    }
}

fn is_cur_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    !name.starts_with('.')
        && (name.ends_with(".parquet") || name.ends_with(".csv") || name.ends_with(".csv.gz"))
}

/// Every CUR file `args` names, sorted and without duplicates. `flag`
/// names the source of the paths in errors (`--cur`, or a config key).
pub fn expand(args: &[String], flag: &str) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    for arg in args {
        let path = Path::new(arg);
        if path.is_file() {
            out.push(path.to_path_buf());
        } else if path.is_dir() {
            let before = out.len();
            walk(path, &mut out)?;
            if out.len() == before {
                return Err(Error::usage(format!(
                    "{flag} {arg}: the directory holds no .parquet, .csv or .csv.gz file"
                )));
            }
        } else if arg.contains(['*', '?', '[']) {
            let paths = glob::glob(arg).map_err(|e| {
                Error::usage(format!("{flag} {arg:?}: expected a path or a glob ({e})"))
            })?;
            let before = out.len();
            for p in paths {
                let p =
                    p.map_err(|e| Error::io(format!("{flag} {arg}"), std::io::Error::from(e)))?;
                if p.is_dir() {
                    walk(&p, &mut out)?;
                } else if is_cur_file(&p) {
                    out.push(p);
                }
            }
            if out.len() == before {
                return Err(Error::usage(format!(
                    "{flag} {arg}: the glob matches no .parquet, .csv or .csv.gz file"
                )));
            }
        } else {
            return Err(Error::usage(format!(
                "{flag} {arg}: no such file or directory"
            )));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| Error::io(format!("reading {}", dir.display()), e))?;
    for entry in entries {
        let path = entry
            .map_err(|e| Error::io(format!("reading {}", dir.display()), e))?
            .path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if is_cur_file(&path) {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_name() {
        assert_eq!(kind_of(Path::new("a/b.parquet")), FileKind::Parquet);
        assert_eq!(kind_of(Path::new("a/b.csv.gz")), FileKind::Csv);
        assert_eq!(kind_of(Path::new("a/B.CSV")), FileKind::Csv);
        assert_eq!(kind_of(Path::new("a/b.snappy.parquet")), FileKind::Parquet);
    }

    #[test]
    fn directories_and_globs_expand_to_cur_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("BILLING_PERIOD=2026-11");
        std::fs::create_dir(&sub).unwrap();
        for name in ["a.parquet", "b.csv.gz", "manifest.json"] {
            std::fs::write(sub.join(name), b"x").unwrap();
        }
        let found = expand(&[dir.path().display().to_string()], "--cur").unwrap();
        assert_eq!(found, vec![sub.join("a.parquet"), sub.join("b.csv.gz")]);
        let pattern = format!("{}/*/*.parquet", dir.path().display());
        assert_eq!(
            expand(&[pattern], "--cur").unwrap(),
            vec![sub.join("a.parquet")]
        );
        let none = expand(&["/nonexistent/x.parquet".into()], "--cur").unwrap_err();
        assert!(none.to_string().contains("no such file"), "{none}");
    }
}
