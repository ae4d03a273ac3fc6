//! How azcost writes numbers, for the reports and the findings' sentences
//! alike: the human formats (thousands separators, two decimals, GB of
//! 2^30 bytes, durations) and [`Num`], the plain JSON number of the
//! documents (whole values without `.0`).

use crate::model::BYTES_PER_GB;
use serde::{Serialize, Serializer};

/// A float printed as an integer when it is one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Num(pub f64);

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = if self.0 == 0.0 { 0.0 } else { self.0 };
        if v.fract() == 0.0 && v.abs() < 9.0e15 {
            s.serialize_i64(v as i64)
        } else {
            s.serialize_f64(v)
        }
    }
}

/// `1234567.891` → `1,234,567.89`.
pub fn thousands(v: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, v.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut out = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    let negative = v < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0');
    if negative { format!("-{out}") } else { out }
}

/// Dollars: `$1,234.56`.
pub fn usd(v: f64) -> String {
    let t = thousands(v, 2);
    match t.strip_prefix('-') {
        Some(rest) => format!("-${rest}"),
        None => format!("${t}"),
    }
}

/// A count with thousands separators: `7,814`.
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes as GB with two decimals: `1,024.00`.
pub fn gb(bytes: f64) -> String {
    thousands(bytes / BYTES_PER_GB, 2)
}

/// A window length in words: `1 day`, `30 days`, `6 h`, `1h 30m`.
pub fn duration(seconds: f64) -> String {
    let whole = seconds.round().max(0.0) as u64;
    match whole {
        86_400 => "1 day".to_string(),
        w if w > 0 && w % 86_400 == 0 => format!("{} days", w / 86_400),
        w if w > 0 && w % 3_600 == 0 => format!("{} h", w / 3_600),
        w => humantime::format_duration(std::time::Duration::from_secs(w)).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits_and_keeps_sign() {
        assert_eq!(thousands(1234567.891, 2), "1,234,567.89");
        assert_eq!(thousands(999.0, 0), "999");
        assert_eq!(thousands(-1000.5, 1), "-1,000.5");
        assert_eq!(thousands(-0.001, 2), "0.00");
        assert_eq!(usd(-12.5), "-$12.50");
        assert_eq!(usd(34.1333), "$34.13");
    }

    #[test]
    fn duration_reads_like_a_person_wrote_it() {
        assert_eq!(duration(86400.0), "1 day");
        assert_eq!(duration(30.0 * 86400.0), "30 days");
        assert_eq!(duration(6.0 * 3600.0), "6 h");
        assert_eq!(duration(5400.0), "1h 30m");
    }
}
