//! The report job's log lines on stderr: plain text for people, JSON
//! objects (one per line) for schedulers. Never a credential: only cluster
//! names, paths and messages azcost wrote.

use serde::Serialize;

/// Where and how to log.
#[derive(Debug, Clone, Copy)]
pub struct Log {
    /// JSON lines instead of text.
    pub json: bool,
    /// Only errors.
    pub quiet: bool,
}

#[derive(Serialize)]
struct Line<'a> {
    ts: String,
    level: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster: Option<&'a str>,
    msg: &'a str,
}

impl Log {
    /// Progress worth a line.
    pub fn info(&self, cluster: Option<&str>, msg: &str) {
        if !self.quiet {
            self.write("info", cluster, msg);
        }
    }

    /// A failure; always printed.
    pub fn error(&self, cluster: Option<&str>, msg: &str) {
        self.write("error", cluster, msg);
    }

    fn write(&self, level: &str, cluster: Option<&str>, msg: &str) {
        if self.json {
            let line = Line {
                ts: jiff::Timestamp::now().to_string(),
                level,
                cluster,
                msg,
            };
            eprintln!("{}", serde_json::to_string(&line).unwrap_or_default());
        } else {
            match cluster {
                Some(c) => eprintln!("azcost: {level}: {c}: {msg}"),
                None => eprintln!("azcost: {level}: {msg}"),
            }
        }
    }
}
