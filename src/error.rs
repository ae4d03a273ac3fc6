//! The one error type users see, its wording and its exit status.
//!
//! Exit codes (architecture.md, habit 5): 0 done, 1 failed at run time
//! (cluster or AWS unreachable, I/O), 2 bad input (flags, config, snapshot),
//! 3 warnings with `--fail-on-warnings`.

/// At most this many snapshot problems are printed; the rest are counted.
const MAX_PROBLEMS_SHOWN: usize = 50;

/// Exit status for bad input.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit status for a run-time failure.
pub const EXIT_RUNTIME: u8 = 1;
/// Exit status when `--fail-on-warnings` finds warnings.
pub const EXIT_WARNINGS: u8 = 3;

/// One broken rule: where, and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// JSON path such as `partitions[17].isr[2]`.
    pub path: String,
    /// What the format expects at that path, and what was found.
    pub expected: String,
}

impl Problem {
    /// A problem at `path`.
    pub fn new(path: impl Into<String>, expected: impl Into<String>) -> Self {
        Problem {
            path: path.into(),
            expected: expected.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.expected)
    }
}

/// Everything that can stop a command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A snapshot broke one or more rules of the format.
    #[error("{file}: invalid snapshot:{}", list_problems(.problems))]
    InvalidSnapshot {
        /// What the input is called (path, `<stdin>`, demo).
        file: String,
        /// Every broken rule with its JSON path.
        problems: Vec<Problem>,
    },
    /// A flag, environment variable or config value that is not allowed.
    #[error("{0}")]
    Usage(String),
    /// Writing or reading a file failed at run time.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, naming the file.
        context: String,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// Something failed at run time that is not the input's fault.
    #[error("{0}")]
    Runtime(String),
    /// Some clusters of a report run failed (each was logged).
    #[error("{} of {total} clusters failed: {}", failed.len(), failed.join(", "))]
    Partial {
        /// The clusters that failed.
        failed: Vec<String>,
        /// Clusters in the run.
        total: usize,
        /// 2 when every failure was bad input, else 1.
        code: u8,
    },
    /// The audit found warnings and `--fail-on-warnings` was given.
    #[error("{0} warning(s) and --fail-on-warnings was given")]
    Warnings(usize),
}

impl Error {
    /// A bad flag or config value.
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage(message.into())
    }

    /// An I/O failure with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// The process exit status for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::InvalidSnapshot { .. } | Error::Usage(_) => EXIT_BAD_INPUT,
            Error::Io { .. } | Error::Runtime(_) => EXIT_RUNTIME,
            Error::Warnings(_) => EXIT_WARNINGS,
            Error::Partial { code, .. } => *code,
        }
    }
}

fn list_problems(problems: &[Problem]) -> String {
    let mut text = String::new();
    for p in problems.iter().take(MAX_PROBLEMS_SHOWN) {
        text.push_str("\n  ");
        text.push_str(&p.to_string());
    }
    if problems.len() > MAX_PROBLEMS_SHOWN {
        text.push_str(&format!(
            "\n  … and {} more problem(s)",
            problems.len() - MAX_PROBLEMS_SHOWN
        ));
    }
    text
}
