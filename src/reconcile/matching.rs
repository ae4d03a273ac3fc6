//! Which of the bill's resource ids are the cluster's: the MSK cluster ARN
//! itself, any id containing the cluster's UUID, and the ids or regular
//! expressions of `--cur-resource` (self-managed broker instances, ENIs).

use crate::error::Error;

/// One `--cur-resource` value: an exact id, and the same text as a
/// regular expression when it is one.
#[derive(Debug, Clone)]
struct Pattern {
    text: String,
    regex: Option<regex::Regex>,
}

/// The cluster's resources.
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    arn: Option<String>,
    uuid: Option<String>,
    patterns: Vec<Pattern>,
}

impl Matcher {
    /// From the cluster ARN (if known) and the `--cur-resource` values.
    pub fn new(arn: Option<&str>, patterns: &[String]) -> Result<Self, Error> {
        let patterns = patterns
            .iter()
            .map(|p| {
                if p.trim().is_empty() {
                    return Err(Error::usage(
                        "--cur-resource \"\": expected a resource id or a regular expression",
                    ));
                }
                Ok(Pattern {
                    text: p.clone(),
                    // A text that is not a regex is still an exact id.
                    regex: regex::Regex::new(p).ok(),
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Matcher {
            arn: arn.map(str::to_string),
            uuid: arn.and_then(cluster_uuid),
            patterns,
        })
    }

    /// Whether anything could match: an ARN or a pattern.
    pub fn is_empty(&self) -> bool {
        self.arn.is_none() && self.patterns.is_empty()
    }

    /// Whether `resource` is one of the cluster's.
    pub fn matches(&self, resource: &str) -> bool {
        if resource.is_empty() {
            return false;
        }
        if self.arn.as_deref() == Some(resource) {
            return true;
        }
        if let Some(uuid) = &self.uuid
            && resource.contains(uuid.as_str())
        {
            return true;
        }
        self.patterns
            .iter()
            .any(|p| p.text == resource || p.regex.as_ref().is_some_and(|r| r.is_match(resource)))
    }

    /// What the matcher looks for, in words.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(a) = &self.arn {
            parts.push(format!("the cluster ARN {a}"));
        }
        if let Some(u) = &self.uuid {
            parts.push(format!("ids containing the cluster UUID {u}"));
        }
        for p in &self.patterns {
            parts.push(format!("--cur-resource {}", p.text));
        }
        parts.join(", ")
    }
}

/// The UUID of an MSK cluster ARN: the last path segment
/// (`arn:aws:kafka:…:cluster/orders/6f1c…-3`) without the `-N` revision
/// suffix MSK appends; the whole segment when it is not `UUID-N`.
pub fn cluster_uuid(arn: &str) -> Option<String> {
    let last = arn.rsplit('/').next()?.trim();
    if last.is_empty() || !arn.contains('/') {
        return None;
    }
    if let Some((head, tail)) = last.rsplit_once('-')
        && !tail.is_empty()
        && tail.bytes().all(|b| b.is_ascii_digit())
        && head.len() == 36
        && head.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
    {
        return Some(head.to_string());
    }
    Some(last.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:kafka:us-east-1:123456789012:cluster/orders/6f1c8e2a-1b2c-4d5e-9f00-123456789abc-3";

    #[test]
    fn the_uuid_drops_the_revision_suffix() {
        assert_eq!(
            cluster_uuid(ARN).as_deref(),
            Some("6f1c8e2a-1b2c-4d5e-9f00-123456789abc")
        );
        assert_eq!(
            cluster_uuid("arn:aws:kafka:r:1:cluster/x/abc").as_deref(),
            Some("abc")
        );
        assert_eq!(cluster_uuid("no-slash"), None);
    }

    #[test]
    fn arn_uuid_and_patterns_match() {
        let m = Matcher::new(Some(ARN), &["^i-0abc".into(), "eni-1".into()]).unwrap();
        assert!(m.matches(ARN));
        assert!(m.matches(
            "arn:aws:kafka:us-east-1:123456789012:broker/orders/6f1c8e2a-1b2c-4d5e-9f00-123456789abc/1"
        ));
        assert!(m.matches("i-0abc123"));
        assert!(m.matches("eni-1"));
        assert!(!m.matches("i-0def"));
        assert!(!m.matches(""));
        // Not a regex, still an exact id.
        let m = Matcher::new(None, &["i-(".into()]).unwrap();
        assert!(m.matches("i-("));
        assert!(!m.matches("i-0"));
    }
}
