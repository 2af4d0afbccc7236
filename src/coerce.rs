//! Value coercions: the documented rules that turn one raw JSON value into a column's type.
//!
//! Every function returns [`Coerced::Value`], [`Coerced::Null`] (a documented "missing"
//! marker), or [`Coerced::Keep`]: the value cannot be converted without losing meaning and must
//! be kept verbatim in `_extra`.

use crate::json::{Kind, Span};

/// The outcome of coercing one value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Coerced<T> {
    Value(T),
    Null,
    Keep,
}

/// Strings that mean "no value" in non-string columns (compared case-insensitively after
/// trimming whitespace). String columns keep them as sent.
pub const PLACEHOLDERS: &[&str] = &[
    "",
    "-",
    "n/a",
    "na",
    "null",
    "none",
    "nil",
    "unknown",
    "undefined",
    "notavailable",
    "notchecked",
    "nossl",
];

/// Whether the raw bytes of a string (between its quotes) are a placeholder.
#[inline]
pub(crate) fn is_placeholder(raw: &[u8]) -> bool {
    let t = raw.trim_ascii();
    t.len() <= 12
        && PLACEHOLDERS
            .iter()
            .any(|p| p.as_bytes().eq_ignore_ascii_case(t))
}

/// A number written as a JSON number token or inside a string (`"443"`).
#[inline]
fn numeric_text<'a>(span: &Span, line: &'a [u8]) -> Result<&'a [u8], bool> {
    match span.kind {
        Kind::Number => Ok(span.bytes(line)),
        Kind::String if !span.escaped => {
            let raw = span.bytes(line);
            if is_placeholder(raw) {
                Err(true)
            } else {
                Ok(raw.trim_ascii())
            }
        }
        Kind::String => Err(false),
        Kind::Null => Err(true),
        _ => Err(false),
    }
}

macro_rules! missing_or_keep {
    ($e:expr) => {
        match $e {
            Ok(t) => t,
            Err(true) => return Coerced::Null,
            Err(false) => return Coerced::Keep,
        }
    };
}

/// Parses a JSON integer exactly (no float round trip). Integral decimals like `5.0` and
/// exponents like `1e3` are accepted when the result is an exact integer in range.
pub(crate) fn parse_i64(t: &[u8]) -> Option<i64> {
    let (neg, digits) = match t.first()? {
        b'-' => (true, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() {
        return None;
    }
    if let Some(v) = small_uint(digits) {
        return if neg {
            // Down to -2^63, whose magnitude is not an i64.
            (v <= 1 << 63).then(|| (v as i64).wrapping_neg())
        } else {
            i64::try_from(v).ok()
        };
    }
    if digits.iter().all(u8::is_ascii_digit) {
        // Digits that `small_uint` refused: a leading zero, or more than 19 (out of range).
        return None;
    }
    let (int, frac) = split_decimal(t)?;
    if frac != 0 {
        return None;
    }
    i64::try_from(int).ok()
}

/// The value of 1 to 19 ASCII digits without a leading zero (or the single digit `0`): a
/// plain JSON integer, which 64 bits hold without overflow. `None` for anything else, which
/// the general rules then parse. Epoch times (10 or 13 digits) and IDs (up to 19) are read 8
/// digits at a time.
#[inline]
fn small_uint(digits: &[u8]) -> Option<u64> {
    let n = digits.len();
    if n == 0 || n > 19 || (digits[0] == b'0' && n > 1) {
        return None;
    }
    let mut v = 0u64;
    let mut chunks = digits.chunks_exact(8);
    for chunk in &mut chunks {
        v = v * 100_000_000 + eight_digits(chunk.try_into().expect("8 bytes"))?;
    }
    for &d in chunks.remainder() {
        let d = d.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + u64::from(d);
    }
    Some(v)
}

/// The value of 8 ASCII digits (the first is the most significant), or `None` when one is not
/// a digit: all bytes in one 64-bit word (SWAR).
#[inline(always)]
fn eight_digits(bytes: &[u8; 8]) -> Option<u64> {
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    let w = u64::from_le_bytes(*bytes);
    // Every byte is 0x30..=0x3F, and adding 6 leaves it below 0x40 (no carries between bytes
    // once the first test holds): so every byte is 0x30..=0x39.
    if w & HIGH != ZEROS || w.wrapping_add(0x0606_0606_0606_0606) & HIGH != ZEROS {
        return None;
    }
    // Adjacent digits, then pairs, then quads, combined by multiplication (the low byte is
    // the first digit).
    let w = (w & 0x0F0F_0F0F_0F0F_0F0F).wrapping_mul(10 << 8 | 1) >> 8;
    let w = (w & 0x00FF_00FF_00FF_00FF).wrapping_mul(100 << 16 | 1) >> 16;
    Some((w & 0x0000_FFFF_0000_FFFF).wrapping_mul(10_000 << 32 | 1) >> 32)
}

/// Splits a decimal number (no exponent beyond what fits) into an integer part and
/// millionths: `1.5` -> (1, 500000). Returns None for malformed text or lost precision.
fn split_decimal(t: &[u8]) -> Option<(i128, i64)> {
    // Fast path: a plain JSON integer (what epoch timestamps are), parsed without allocating.
    let (neg, digits) = match t.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, t),
    };
    if let Some(v) = small_uint(digits) {
        let v = i128::from(v);
        return Some((if neg { -v } else { v }, 0));
    }
    if !is_json_number(t) {
        return None;
    }
    let s = std::str::from_utf8(t).ok()?;
    let (mant, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], s[i + 1..].parse::<i32>().ok()?),
        None => (s, 0),
    };
    let neg = mant.starts_with('-');
    let mant = mant.trim_start_matches('-');
    let (ip, fp) = mant.split_once('.').unwrap_or((mant, ""));
    let mut digits: String = format!("{ip}{fp}");
    let mut point = ip.len() as i64 + exp as i64; // digits before the decimal point
    if point < 0 {
        digits = "0".repeat((-point) as usize) + &digits;
        point = 0;
    }
    if point > 40 {
        return None;
    }
    let point = point as usize;
    while digits.len() < point {
        digits.push('0');
    }
    let (ip, fp) = digits.split_at(point);
    if fp.len() > 6 && fp[6..].bytes().any(|b| b != b'0') {
        return None;
    }
    let int: i128 = if ip.is_empty() { 0 } else { ip.parse().ok()? };
    let mut frac: i64 = 0;
    for i in 0..6 {
        frac = frac * 10 + fp.as_bytes().get(i).map_or(0, |b| (b - b'0') as i64);
    }
    Some(if neg { (-int, -frac) } else { (int, frac) })
}

fn is_json_number(t: &[u8]) -> bool {
    let mut p = 0;
    let at = |p: usize| t.get(p).copied();
    if at(p) == Some(b'-') {
        p += 1;
    }
    match at(p) {
        Some(b'0') => p += 1,
        Some(b'1'..=b'9') => {
            while matches!(at(p), Some(b'0'..=b'9')) {
                p += 1
            }
        }
        _ => return false,
    }
    if at(p) == Some(b'.') {
        p += 1;
        if !matches!(at(p), Some(b'0'..=b'9')) {
            return false;
        }
        while matches!(at(p), Some(b'0'..=b'9')) {
            p += 1
        }
    }
    if matches!(at(p), Some(b'e' | b'E')) {
        p += 1;
        if matches!(at(p), Some(b'+' | b'-')) {
            p += 1;
        }
        if !matches!(at(p), Some(b'0'..=b'9')) {
            return false;
        }
        while matches!(at(p), Some(b'0'..=b'9')) {
            p += 1
        }
    }
    p == t.len()
}

/// `Int64` columns.
pub(crate) fn int64(span: &Span, line: &[u8]) -> Coerced<i64> {
    let t = missing_or_keep!(numeric_text(span, line));
    match parse_i64(t) {
        Some(v) => Coerced::Value(v),
        None => Coerced::Keep,
    }
}

/// `Float64` columns.
pub(crate) fn float64(span: &Span, line: &[u8]) -> Coerced<f64> {
    let t = missing_or_keep!(numeric_text(span, line));
    // A number token passed the scanner's checks of the same grammar; a string is checked
    // here (Rust's `f64` parser also takes `inf`, `+1`, `1.` and `.5`).
    if span.kind != Kind::Number && !is_json_number(t) {
        return Coerced::Keep;
    }
    // A JSON number is ASCII: `utf8` needs no check.
    match crate::builder::utf8(t).parse::<f64>().ok() {
        Some(v) if v.is_finite() => Coerced::Value(v),
        _ => Coerced::Keep,
    }
}

/// `Boolean` columns.
pub(crate) fn boolean(span: &Span, line: &[u8]) -> Coerced<bool> {
    match span.kind {
        Kind::True => Coerced::Value(true),
        Kind::False => Coerced::Value(false),
        Kind::Null => Coerced::Null,
        Kind::Number => match span.bytes(line) {
            b"1" => Coerced::Value(true),
            b"0" => Coerced::Value(false),
            _ => Coerced::Keep,
        },
        Kind::String if !span.escaped => {
            let raw = span.bytes(line).trim_ascii();
            for (word, v) in [
                (&b"true"[..], true),
                (b"false", false),
                (b"yes", true),
                (b"no", false),
                (b"1", true),
                (b"0", false),
            ] {
                if raw.eq_ignore_ascii_case(word) {
                    return Coerced::Value(v);
                }
            }
            if is_placeholder(raw) {
                Coerced::Null
            } else {
                Coerced::Keep
            }
        }
        _ => Coerced::Keep,
    }
}

/// Epoch values below this are seconds; below `MILLIS_LIMIT` milliseconds (from 2001-09-09);
/// below `MICROS_LIMIT` microseconds.
pub const SECONDS_LIMIT: i128 = 1_000_000_000_000;
const MILLIS_LIMIT: i128 = 1_000_000_000_000_000;
const MICROS_LIMIT: i128 = 1_000_000_000_000_000_000;

/// `Timestamp(Millisecond, UTC)` columns: returns milliseconds since the epoch. Values with a
/// sub-millisecond part cannot be stored without loss and are kept in `_extra`.
pub(crate) fn timestamp(span: &Span, line: &[u8]) -> Coerced<i64> {
    let t = match numeric_text(span, line) {
        Ok(t) => t,
        Err(true) => return Coerced::Null,
        Err(false) => return Coerced::Keep,
    };
    if let Some(v) = small_uint(t) {
        // The common case, a plain epoch integer: the same rules as below, in 64 bits.
        let (ms, us) = (SECONDS_LIMIT as u64, MILLIS_LIMIT as u64);
        return match v {
            0 => Coerced::Null,
            _ if v < ms => Coerced::Value(v as i64 * 1000),
            _ if v < us => Coerced::Value(v as i64),
            _ if v < MICROS_LIMIT as u64 && v % 1000 == 0 => Coerced::Value((v / 1000) as i64),
            _ => Coerced::Keep,
        };
    }
    let Some((int, frac)) = split_decimal(t) else {
        // Not a number: an ISO-8601 string with an explicit zone is unambiguous.
        if span.kind == Kind::String {
            return match parse_iso8601(t) {
                Some(us) => Coerced::Value(us),
                None => Coerced::Keep,
            };
        }
        return Coerced::Keep;
    };
    if int == 0 && frac == 0 {
        return Coerced::Null;
    }
    let abs = int.abs();
    // `frac` is in millionths of the integer part.
    let millis: Option<i128> = if abs < SECONDS_LIMIT {
        (frac % 1000 == 0).then(|| int * 1000 + (frac / 1000) as i128)
    } else if frac != 0 {
        None
    } else if abs < MILLIS_LIMIT {
        Some(int)
    } else if abs < MICROS_LIMIT {
        (int % 1000 == 0).then_some(int / 1000)
    } else {
        None
    };
    match millis.and_then(|m| i64::try_from(m).ok()) {
        Some(m) => Coerced::Value(m),
        None => Coerced::Keep,
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn digits(t: &[u8]) -> Option<u32> {
    if t.is_empty() || t.len() > 9 || !t.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(t).ok()?.parse().ok()
}

/// Seconds of the day from `HH:MM:SS`.
fn clock(t: &[u8]) -> Option<i64> {
    if t.len() != 8 || t[2] != b':' || t[5] != b':' {
        return None;
    }
    let (h, m, s) = (digits(&t[0..2])?, digits(&t[3..5])?, digits(&t[6..8])?);
    (h < 24 && m < 60 && s < 61).then_some(h as i64 * 3600 + m as i64 * 60 + s as i64)
}

fn date_seconds(y: i64, m: u32, d: u32) -> Option<i64> {
    ((1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m))
        .then(|| days_from_civil(y, m, d) * 86_400)
}

/// Parses `YYYY-MM-DD[T ]HH:MM:SS[.frac](Z|+HH:MM|+HHMM)` into epoch milliseconds (a fraction
/// finer than milliseconds must be zeros).
/// Strings without a zone are not accepted: their meaning would be a guess.
pub(crate) fn parse_iso8601(t: &[u8]) -> Option<i64> {
    if t.len() < 20 || t[4] != b'-' || t[7] != b'-' || !matches!(t[10], b'T' | b't' | b' ') {
        return None;
    }
    let y = digits(&t[0..4])? as i64;
    let day = date_seconds(y, digits(&t[5..7])?, digits(&t[8..10])?)?;
    let secs = clock(&t[11..19])?;
    let mut rest = &t[19..];
    let mut millis = 0i64;
    if rest.first() == Some(&b'.') {
        let n = rest[1..].iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 || n > 9 {
            return None;
        }
        let frac = &rest[1..1 + n];
        for i in 0..3 {
            millis = millis * 10 + frac.get(i).map_or(0, |b| (b - b'0') as i64);
        }
        if frac.len() > 3 && frac[3..].iter().any(|&b| b != b'0') {
            return None;
        }
        rest = &rest[1 + n..];
    }
    let offset = match rest {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] | [sign @ (b'+' | b'-'), h1, h2, m1, m2] => {
            let h = digits(&[*h1, *h2])? as i64;
            let m = digits(&[*m1, *m2])? as i64;
            if h > 23 || m > 59 {
                return None;
            }
            let o = h * 3600 + m * 60;
            if *sign == b'-' {
                -o
            } else {
                o
            }
        }
        _ => return None,
    };
    Some((day + secs - offset) * 1000 + millis)
}

const MONTHS: [&[u8]; 12] = [
    b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov", b"dec",
];

/// Parses `src_time` ("Mon Jan  6 14:22:08 2025", also with `&nbsp;` between the month and the
/// day, or a zero-padded day) into seconds since the epoch of the local wall clock.
pub(crate) fn parse_src_time(s: &str) -> Option<i64> {
    let cleaned;
    let s = if s.contains("&nbsp;") {
        cleaned = s.replace("&nbsp;", " ");
        cleaned.as_str()
    } else {
        s
    };
    let parts: Vec<&str> = s.split_ascii_whitespace().collect();
    // Optional weekday first.
    let parts: &[&str] = match parts.len() {
        5 => &parts[1..],
        4 => &parts[..],
        _ => return None,
    };
    let month = MONTHS
        .iter()
        .position(|m| parts[0].len() >= 3 && parts[0].as_bytes()[..3].eq_ignore_ascii_case(m))?
        as u32
        + 1;
    let day = digits(parts[1].as_bytes())?;
    let secs = clock(parts[2].as_bytes())?;
    let year = digits(parts[3].as_bytes())? as i64;
    if parts[3].len() != 4 {
        return None;
    }
    Some(date_seconds(year, month, day)? + secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span_of(line: &[u8]) -> Span {
        let mut entries = Vec::new();
        crate::json::scan_object(line, &crate::Limits::default(), &mut entries).unwrap();
        entries[0].value
    }

    fn with<T>(json_value: &str, f: impl Fn(&Span, &[u8]) -> Coerced<T>) -> Coerced<T> {
        let line = format!("{{\"v\":{json_value}}}");
        f(&span_of(line.as_bytes()), line.as_bytes())
    }

    #[test]
    fn int64_is_exact_and_accepts_strings() {
        assert_eq!(
            with("8847222077216958610", int64),
            Coerced::Value(8847222077216958610)
        );
        assert_eq!(with("\"443\"", int64), Coerced::Value(443));
        assert_eq!(
            with("-9223372036854775808", int64),
            Coerced::Value(i64::MIN)
        );
        assert_eq!(with("5.0", int64), Coerced::Value(5));
        assert_eq!(with("1e3", int64), Coerced::Value(1000));
        assert_eq!(with("\"N/A\"", int64), Coerced::Null);
        assert_eq!(with("\"\"", int64), Coerced::Null);
        assert_eq!(with("null", int64), Coerced::Null);
        assert_eq!(with("18446744073709551616", int64), Coerced::Keep);
        assert_eq!(with("9223372036854775808", int64), Coerced::Keep);
        assert_eq!(with("5.5", int64), Coerced::Keep);
        assert_eq!(with("\"0x10\"", int64), Coerced::Keep);
        assert_eq!(with("true", int64), Coerced::Keep);
        assert_eq!(with("[]", int64), Coerced::Keep);
        // The edges of the 19-digit fast path.
        for (v, want) in [
            ("9223372036854775807", Coerced::Value(i64::MAX)),
            ("-9223372036854775807", Coerced::Value(-i64::MAX)),
            ("-9223372036854775809", Coerced::Keep),
            ("9999999999999999999", Coerced::Keep),
            ("-9999999999999999999", Coerced::Keep),
            ("0", Coerced::Value(0)),
            ("-0", Coerced::Value(0)),
            ("\"007\"", Coerced::Keep),
            ("\"-12\"", Coerced::Value(-12)),
        ] {
            assert_eq!(with(v, int64), want, "{v}");
        }
    }

    /// The 8-digits-at-a-time path agrees with `str::parse` at every length, and refuses a
    /// non-digit at every position, including the bytes next to `0` and `9` and those whose low
    /// nibble is a digit's.
    #[test]
    fn small_uint_reads_digits_in_words_exactly() {
        let mut seed = 11u64;
        for len in 1..=19usize {
            for round in 0..200 {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let mut digits: Vec<u8> = (0..len)
                    .map(|i| b'0' + (seed.rotate_left(i as u32 * 5) % 10) as u8)
                    .collect();
                if round % 3 == 0 {
                    digits.iter_mut().for_each(|d| *d = b'9');
                }
                if digits[0] == b'0' && len > 1 {
                    digits[0] = b'1';
                }
                let text = std::str::from_utf8(&digits).unwrap();
                assert_eq!(small_uint(&digits), text.parse::<u64>().ok(), "{text}");
                let at = (seed >> 40) as usize % len;
                for bad in [
                    b'/',
                    b':',
                    b'?',
                    0x00,
                    0x0A,
                    0x35 ^ 0x80,
                    0x40,
                    0xF5,
                    b' ',
                    b'.',
                ] {
                    let mut d = digits.clone();
                    d[at] = bad;
                    assert_eq!(small_uint(&d), None, "{d:?}");
                }
            }
        }
        assert_eq!(small_uint(b"0"), Some(0));
        assert_eq!(small_uint(b"00000000"), None);
        assert_eq!(small_uint(b"10000000"), Some(10_000_000));
        assert_eq!(
            small_uint(b"9999999999999999999"),
            Some(9_999_999_999_999_999_999)
        );
        assert_eq!(small_uint(b"12345678901234567890"), None);
        assert_eq!(small_uint(b""), None);
    }

    #[test]
    fn float64_rules() {
        assert_eq!(with("46.949800000000003", float64), Coerced::Value(46.9498));
        assert_eq!(with("34", float64), Coerced::Value(34.0));
        assert_eq!(with("\"12.5\"", float64), Coerced::Value(12.5));
        assert_eq!(with("\"-119.7257|45.8234\"", float64), Coerced::Keep);
        assert_eq!(with("1e400", float64), Coerced::Keep);
        assert_eq!(with("\"NaN\"", float64), Coerced::Keep);
        assert_eq!(with("\"NotAvailable\"", float64), Coerced::Null);
    }

    #[test]
    fn boolean_rules() {
        assert_eq!(with("\"yes\"", boolean), Coerced::Value(true));
        assert_eq!(with("\"False\"", boolean), Coerced::Value(false));
        assert_eq!(with("true", boolean), Coerced::Value(true));
        assert_eq!(with("0", boolean), Coerced::Value(false));
        assert_eq!(with("\"\"", boolean), Coerced::Null);
        assert_eq!(with("\"maybe\"", boolean), Coerced::Keep);
        assert_eq!(with("2", boolean), Coerced::Keep);
    }

    #[test]
    fn timestamps_in_seconds_millis_micros() {
        let ms = |v: &str| with(v, timestamp);
        assert_eq!(ms("1736154198"), Coerced::Value(1_736_154_198_000));
        assert_eq!(ms("1657199079025"), Coerced::Value(1_657_199_079_025));
        assert_eq!(ms("1657199079025000"), Coerced::Value(1_657_199_079_025));
        assert_eq!(ms("1657199079025123"), Coerced::Keep);
        assert_eq!(ms("\"1736154198\""), Coerced::Value(1_736_154_198_000));
        assert_eq!(ms("1653837064.25"), Coerced::Value(1_653_837_064_250));
        assert_eq!(ms("1653837064.2501"), Coerced::Keep);
        assert_eq!(ms("0"), Coerced::Null);
        assert_eq!(ms("0.0"), Coerced::Null);
        assert_eq!(ms("-1"), Coerced::Value(-1_000));
        assert_eq!(ms("253402300799"), Coerced::Value(253_402_300_799_000));
        assert_eq!(
            ms("\"2024-01-02T03:04:05.5+01:00\""),
            Coerced::Value(1_704_161_045_500)
        );
        assert_eq!(
            ms("\"2024-01-02T03:04:05.000000Z\""),
            Coerced::Value(1_704_164_645_000)
        );
        assert_eq!(ms("\"2024-01-02T03:04:05.0001Z\""), Coerced::Keep);
        assert_eq!(ms("\"2023-12-11 15:25:31.000000000\""), Coerced::Keep);
        assert_eq!(ms("1657199079025.5"), Coerced::Keep);
        assert_eq!(ms("1e30"), Coerced::Keep);
        // Where seconds end and milliseconds and microseconds begin, as plain integers (the
        // 64-bit fast path) and as decimals (the general rules): the same results.
        for (v, want) in [
            ("999999999999", Coerced::Value(999_999_999_999_000)),
            ("1000000000000", Coerced::Value(1_000_000_000_000)),
            ("999999999999999", Coerced::Value(999_999_999_999_999)),
            ("1000000000000000", Coerced::Value(1_000_000_000_000)),
            ("1000000000000001", Coerced::Keep),
            ("999999999999999000", Coerced::Value(999_999_999_999_999)),
            ("999999999999999999", Coerced::Keep),
            ("1000000000000000000", Coerced::Keep),
            ("9999999999999999999", Coerced::Keep),
        ] {
            assert_eq!(ms(v), want, "{v}");
            assert_eq!(ms(&format!("{v}.0")), want, "{v}.0");
        }
    }

    #[test]
    fn src_time_both_forms() {
        let want = Some(1_736_173_328); // 2025-01-06 14:22:08 as a naive wall clock
        assert_eq!(parse_src_time("Mon Jan  6 14:22:08 2025"), want);
        assert_eq!(parse_src_time("Mon Jan&nbsp;6 14:22:08 2025"), want);
        assert_eq!(parse_src_time("Mon Jan 06 14:22:08 2025"), want);
        assert_eq!(parse_src_time(""), None);
        assert_eq!(parse_src_time("Mon Feb 30 14:22:08 2025"), None);
    }

    #[test]
    fn placeholders_are_case_insensitive() {
        for p in [
            "",
            " ",
            "N/A",
            "n/a",
            "NotAvailable",
            "-",
            "None",
            "NoSSL",
            "Unknown",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p:?}");
        }
        assert!(!is_placeholder(b"0"));
        assert!(!is_placeholder(b"no"));
    }
}
