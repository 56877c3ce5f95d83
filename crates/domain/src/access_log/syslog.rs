//! Syslog messages as real devices send them: RFC 5424, RFC 3164 (BSD
//! syslog) with its common deviations, and plain lines without a priority.
//!
//! Parsing never panics and does bounded, linear work per line. A line that
//! cannot be read is a [`SyslogError`] that keeps the raw line, so the caller
//! can store it as it came and count it.

use jiff::{Timestamp, civil, tz::TimeZone};

/// The longest line parsed; longer ones are refused whole (the TCP framing
/// has the same bound).
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// The `<PRI>` of a message: facility × 8 + severity, at most 191.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Priority(u8);

impl Priority {
    /// The priority of the value inside `<…>`, if it is at most 191.
    pub fn from_value(value: u8) -> Option<Self> {
        (value <= 191).then_some(Self(value))
    }

    /// The value inside `<…>`.
    pub fn value(self) -> u8 {
        self.0
    }

    /// The facility (0 kern … 4 auth … 10 authpriv … 16–23 local0–local7).
    pub fn facility(self) -> u8 {
        self.0 / 8
    }

    /// The severity (0 emergency … 7 debug).
    pub fn severity(self) -> u8 {
        self.0 % 8
    }
}

/// Which syslog format a line was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG`.
    Rfc5424,
    /// `<PRI>Mmm dd hh:mm:ss HOSTNAME TAG: MSG`, any part after PRI optional.
    Rfc3164,
    /// No `<PRI>`: a plain line, read as leniently as RFC 3164's rest.
    Plain,
}

/// Where and when a line came from: what the parser needs to place a time
/// that the line gives without year or zone.
#[derive(Debug, Clone)]
pub struct Source {
    /// When the receiver got the line; RFC 3164's missing year is the one
    /// that puts the time nearest to this.
    pub received_at: Timestamp,
    /// The zone of the source's clock, for times without an offset.
    pub time_zone: TimeZone,
}

impl Source {
    /// A source whose clock runs on Japan time (Asia/Tokyo), the default.
    pub fn new(received_at: Timestamp) -> Self {
        let time_zone = TimeZone::get("Asia/Tokyo").unwrap_or(TimeZone::fixed(
            jiff::tz::offset(9), // JST has had no daylight saving since 1951
        ));
        Self {
            received_at,
            time_zone,
        }
    }

    /// The same source with its clock in `time_zone`.
    pub fn with_time_zone(mut self, time_zone: TimeZone) -> Self {
        self.time_zone = time_zone;
        self
    }
}

/// One syslog message split into its parts. Absent parts (and RFC 5424's `-`)
/// are `None`; the structured data is kept as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyslogMessage<'a> {
    /// Which format the line was read as.
    pub format: Format,
    /// The priority, when the line has one.
    pub priority: Option<Priority>,
    /// The time the line gives, placed in a year and zone where it lacks them.
    pub timestamp: Option<Timestamp>,
    /// The sending host's name or address, as the line gives it.
    pub hostname: Option<&'a str>,
    /// The program (RFC 5424 APP-NAME, RFC 3164 TAG).
    pub app_name: Option<&'a str>,
    /// The process id.
    pub proc_id: Option<&'a str>,
    /// RFC 5424's MSGID.
    pub msg_id: Option<&'a str>,
    /// RFC 5424's structured data, `[id k="v"]…`, unparsed.
    pub structured_data: Option<&'a str>,
    /// The free-text message (without a leading BOM).
    pub message: &'a str,
    /// The line as received.
    pub raw: &'a str,
}

impl SyslogMessage<'_> {
    /// The line's time, or `received_at` when it gave none.
    pub fn time_or(&self, received_at: Timestamp) -> Timestamp {
        self.timestamp.unwrap_or(received_at)
    }
}

/// Why a line could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyslogErrorKind {
    /// The line is empty or only white space.
    #[error("the line is empty")]
    Empty,
    /// The line is longer than [`MAX_LINE_BYTES`].
    #[error("the line is longer than {max} bytes")]
    TooLong {
        /// The bound.
        max: usize,
    },
    /// `<…>` is not a priority from 0 to 191.
    #[error("the priority is not a number from 0 to 191")]
    BadPriority,
    /// An RFC 5424 timestamp that is neither `-` nor a date and time.
    #[error("the RFC 5424 timestamp cannot be read")]
    BadTimestamp,
    /// An RFC 5424 header that stops before its structured data.
    #[error("the RFC 5424 header stops before its {0}")]
    Truncated(&'static str),
    /// RFC 5424 structured data that is neither `-` nor `[…]` elements.
    #[error("the RFC 5424 structured data is malformed")]
    BadStructuredData,
}

/// A line that could not be read, kept whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct SyslogError {
    /// Why.
    pub kind: SyslogErrorKind,
    /// The line as received.
    pub raw: String,
}

/// Parses one line (without its frame's trailing new line, though a trailing
/// CR, LF or NUL is tolerated).
pub fn parse<'a>(line: &'a str, source: &Source) -> Result<SyslogMessage<'a>, SyslogError> {
    let fail = |kind| SyslogError {
        kind,
        raw: line.to_owned(),
    };
    if line.len() > MAX_LINE_BYTES {
        return Err(fail(SyslogErrorKind::TooLong {
            max: MAX_LINE_BYTES,
        }));
    }
    let text = line.trim_end_matches(['\r', '\n', '\0']);
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(fail(SyslogErrorKind::Empty));
    }
    match split_priority(text) {
        None => Ok(bsd_body(Format::Plain, None, text, line, source)),
        Some(None) => Err(fail(SyslogErrorKind::BadPriority)),
        Some(Some((priority, rest))) => match rest.strip_prefix("1 ") {
            Some(rest) => rfc5424(priority, rest, line, source).map_err(fail),
            None => Ok(bsd_body(
                Format::Rfc3164,
                Some(priority),
                rest,
                line,
                source,
            )),
        },
    }
}

/// `None` when the line does not start with `<digit`; `Some(None)` when it
/// does but the priority is malformed; otherwise the priority and the rest.
fn split_priority(text: &str) -> Option<Option<(Priority, &str)>> {
    let after = text.strip_prefix('<')?;
    if !after.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let Some((digits, rest)) = after.split_once('>') else {
        return Some(None);
    };
    let valid = (1..=3).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !(digits.len() > 1 && digits.starts_with('0'));
    let priority = valid
        .then(|| digits.parse::<u8>().ok())
        .flatten()
        .and_then(Priority::from_value);
    Some(priority.map(|priority| (priority, rest)))
}

fn nil(field: &str) -> Option<&str> {
    (field != "-" && !field.is_empty()).then_some(field)
}

fn rfc5424<'a>(
    priority: Priority,
    rest: &'a str,
    raw: &'a str,
    source: &Source,
) -> Result<SyslogMessage<'a>, SyslogErrorKind> {
    let (timestamp, rest) = rest
        .split_once(' ')
        .ok_or(SyslogErrorKind::Truncated("hostname"))?;
    let (hostname, rest) = rest
        .split_once(' ')
        .ok_or(SyslogErrorKind::Truncated("app-name"))?;
    let (app_name, rest) = rest
        .split_once(' ')
        .ok_or(SyslogErrorKind::Truncated("procid"))?;
    let (proc_id, rest) = rest
        .split_once(' ')
        .ok_or(SyslogErrorKind::Truncated("msgid"))?;
    let (msg_id, rest) = rest
        .split_once(' ')
        .ok_or(SyslogErrorKind::Truncated("structured data"))?;
    let timestamp = if timestamp == "-" {
        None
    } else {
        Some(iso_time(timestamp, source).ok_or(SyslogErrorKind::BadTimestamp)?)
    };
    let (structured_data, rest) = structured_data(rest)?;
    let message = match rest.strip_prefix(' ') {
        Some(message) => message,
        None if rest.is_empty() => "",
        None => return Err(SyslogErrorKind::BadStructuredData),
    };
    let message = message.strip_prefix('\u{feff}').unwrap_or(message);
    Ok(SyslogMessage {
        format: Format::Rfc5424,
        priority: Some(priority),
        timestamp,
        hostname: nil(hostname),
        app_name: nil(app_name),
        proc_id: nil(proc_id),
        msg_id: nil(msg_id),
        structured_data,
        message,
        raw,
    })
}

/// Splits RFC 5424 structured data (`-` or `[id k="v"]…`, where a value may
/// hold `\"`, `\\` and `\]`) from the rest.
fn structured_data(text: &str) -> Result<(Option<&str>, &str), SyslogErrorKind> {
    if let Some(rest) = text.strip_prefix('-') {
        return Ok((None, rest));
    }
    if !text.starts_with('[') {
        return Err(SyslogErrorKind::BadStructuredData);
    }
    let mut in_element = false;
    let mut in_value = false;
    let mut escaped = false;
    for (index, byte) in text.bytes().enumerate() {
        if in_value {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_value = false,
                _ => {}
            }
            continue;
        }
        match (in_element, byte) {
            (false, b'[') => in_element = true,
            (false, _) => {
                let (data, rest) = text.split_at_checked(index).unwrap_or((text, ""));
                return Ok((Some(data), rest));
            }
            (true, b'"') => in_value = true,
            (true, b']') => in_element = false,
            (true, _) => {}
        }
    }
    if in_element {
        Err(SyslogErrorKind::BadStructuredData)
    } else {
        Ok((Some(text), ""))
    }
}

/// An ISO 8601 / RFC 3339 time; without an offset it is read in the source's zone.
fn iso_time(text: &str, source: &Source) -> Option<Timestamp> {
    if let Ok(timestamp) = text.parse::<Timestamp>() {
        return Some(timestamp);
    }
    let civil = text.parse::<civil::DateTime>().ok()?;
    civil
        .to_zoned_datetime(source.time_zone.clone())
        .ok()
        .map(|zoned| zoned.timestamp())
}

/// RFC 3164's part after `<PRI>` (or a whole plain line): an optional
/// timestamp, then (only after a timestamp) an optional hostname, then an
/// optional `TAG[pid]:`. Never fails: what is not recognised is message.
fn bsd_body<'a>(
    format: Format,
    priority: Option<Priority>,
    text: &'a str,
    raw: &'a str,
    source: &Source,
) -> SyslogMessage<'a> {
    let mut message = SyslogMessage {
        format,
        priority,
        timestamp: None,
        hostname: None,
        app_name: None,
        proc_id: None,
        msg_id: None,
        structured_data: None,
        message: "",
        raw,
    };
    let mut rest = text.strip_prefix(' ').unwrap_or(text);
    if let Some((timestamp, after)) = bsd_time(rest, source) {
        message.timestamp = Some(timestamp);
        rest = after;
        if let Some((hostname, after)) = hostname(rest) {
            message.hostname = Some(hostname);
            rest = after;
        }
    }
    if let Some((app, proc_id, after)) = tag(rest) {
        message.app_name = Some(app);
        message.proc_id = proc_id;
        rest = after;
    }
    message.message = rest;
    message
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A timestamp at the start of `text` and the text after it (and its space):
/// `Mmm dd hh:mm:ss[.fff]`, `Mmm dd yyyy hh:mm:ss` or ISO 8601.
fn bsd_time<'a>(text: &'a str, source: &Source) -> Option<(Timestamp, &'a str)> {
    let (first, _) = text.split_once(' ').unwrap_or((text, ""));
    if first.len() >= 10 && first.as_bytes().get(4) == Some(&b'-') {
        let rest = text.get(first.len()..).unwrap_or("");
        let rest = rest.strip_prefix(' ').unwrap_or(rest);
        return iso_time(first, source).map(|timestamp| (timestamp, rest));
    }
    let month = MONTHS.iter().position(|name| *name == first)?;
    let month = i8::try_from(month + 1).ok()?;
    let rest = text.get(4..)?;
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    let (day, rest) = rest.split_once(' ')?;
    let day = small_number(day, 2)?;
    let (clock, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let (year, clock, rest) = if clock.len() == 4 && clock.bytes().all(|b| b.is_ascii_digit()) {
        let (time, after) = rest.split_once(' ').unwrap_or((rest, ""));
        (
            Some(i16::try_from(small_number(clock, 4)?).ok()?),
            time,
            after,
        )
    } else {
        (None, clock, rest)
    };
    let time = clock_time(clock)?;
    let day = i8::try_from(day).ok()?;
    let timestamp = match year {
        Some(year) => civil::Date::new(year, month, day)
            .ok()?
            .to_datetime(time)
            .to_zoned_datetime(source.time_zone.clone())
            .ok()?
            .timestamp(),
        None => nearest_year(month, day, time, source)?,
    };
    Some((timestamp, rest))
}

/// A decimal number of 1 to `max_digits` digits.
fn small_number(text: &str, max_digits: usize) -> Option<u32> {
    if text.is_empty() || text.len() > max_digits || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `hh:mm:ss` with an optional fraction of up to nine digits.
fn clock_time(text: &str) -> Option<civil::Time> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let mut parts = whole.split(':');
    let hour = small_number(parts.next()?, 2)?;
    let minute = small_number(parts.next()?, 2)?;
    let second = small_number(parts.next()?, 2)?;
    if parts.next().is_some() || fraction.len() > 9 {
        return None;
    }
    let nanos = if fraction.is_empty() {
        0
    } else {
        let digits = small_number(fraction, 9)?;
        let scale = 10u32.checked_pow(u32::try_from(9 - fraction.len()).ok()?)?;
        digits.checked_mul(scale)?
    };
    civil::Time::new(
        i8::try_from(hour).ok()?,
        i8::try_from(minute).ok()?,
        i8::try_from(second).ok()?,
        i32::try_from(nanos).ok()?,
    )
    .ok()
}

/// RFC 3164 gives no year: of the previous, the current and the next year
/// (in the source's zone), the one that puts the time nearest to
/// `received_at`. A line from 31 December received on 1 January is last
/// year's; one from 1 January received a little before midnight on 31
/// December (a clock running fast) is next year's. 29 February only exists
/// in leap years.
fn nearest_year(month: i8, day: i8, time: civil::Time, source: &Source) -> Option<Timestamp> {
    let received_year = source
        .received_at
        .to_zoned_datetime(source.time_zone.clone())
        .year();
    let mut best: Option<(i64, Timestamp)> = None;
    for year in [received_year - 1, received_year, received_year + 1] {
        let Ok(date) = civil::Date::new(year, month, day) else {
            continue;
        };
        let Ok(zoned) = date
            .to_datetime(time)
            .to_zoned_datetime(source.time_zone.clone())
        else {
            continue;
        };
        let timestamp = zoned.timestamp();
        let distance = (timestamp.as_second() - source.received_at.as_second()).abs();
        if best.is_none_or(|(nearest, _)| distance < nearest) {
            best = Some((distance, timestamp));
        }
    }
    best.map(|(_, timestamp)| timestamp)
}

/// A hostname token (name, IPv4 or IPv6 address) at the start of `text`.
/// A token that ends with `:` or holds `[` is a tag, not a host.
fn hostname(text: &str) -> Option<(&str, &str)> {
    let (token, rest) = text.split_once(' ')?;
    let plausible = !token.is_empty()
        && token.len() <= 255
        && !token.ends_with(':')
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':' | b'%'))
        && (!token.contains(':') || token.parse::<std::net::Ipv6Addr>().is_ok());
    plausible.then_some((token, rest))
}

/// `TAG:` or `TAG[pid]:` at the start of `text` (TAG of at most 48
/// characters `A-Za-z0-9_./-`), with the message after it.
fn tag(text: &str) -> Option<(&str, Option<&str>, &str)> {
    let end = text.find([':', '[', ' '])?;
    let (name, rest) = text.split_at_checked(end)?;
    if name.is_empty()
        || name.len() > 48
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'-'))
    {
        return None;
    }
    let (proc_id, rest) = match rest.strip_prefix('[') {
        Some(inside) => {
            let (proc_id, after) = inside.split_once(']')?;
            if proc_id.is_empty() || proc_id.len() > 128 || proc_id.contains(' ') {
                return None;
            }
            (Some(proc_id), after)
        }
        None => (None, rest),
    };
    let rest = rest.strip_prefix(':')?;
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    Some((name, proc_id, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn tokyo(received: &str) -> Source {
        Source::new(at(received))
    }

    #[test]
    fn priority_splits_into_facility_and_severity() {
        let priority = Priority::from_value(86).unwrap();
        assert_eq!((priority.facility(), priority.severity()), (10, 6));
        assert_eq!(Priority::from_value(192), None);
    }

    #[test]
    fn rfc5424_full_message() {
        let line = "<165>1 2026-04-01T10:00:00.123456+09:00 ehr01.example.jp sshd 4321 ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"App\\\"x\\]\"] \u{feff}Accepted password for alice";
        let message = parse(line, &tokyo("2026-04-01T01:00:05Z")).unwrap();
        assert_eq!(message.format, Format::Rfc5424);
        assert_eq!(message.priority.unwrap().facility(), 20);
        assert_eq!(message.timestamp, Some(at("2026-04-01T01:00:00.123456Z")));
        assert_eq!(message.hostname, Some("ehr01.example.jp"));
        assert_eq!(message.app_name, Some("sshd"));
        assert_eq!(message.proc_id, Some("4321"));
        assert_eq!(message.msg_id, Some("ID47"));
        assert_eq!(
            message.structured_data,
            Some("[exampleSDID@32473 iut=\"3\" eventSource=\"App\\\"x\\]\"]")
        );
        assert_eq!(message.message, "Accepted password for alice");
        assert_eq!(message.raw, line);
    }

    #[test]
    fn rfc5424_nil_values_and_no_message() {
        let message = parse("<34>1 - - - - - -", &tokyo("2026-04-01T00:00:00Z")).unwrap();
        assert_eq!(message.timestamp, None);
        assert_eq!(message.hostname, None);
        assert_eq!(message.app_name, None);
        assert_eq!(message.proc_id, None);
        assert_eq!(message.msg_id, None);
        assert_eq!(message.structured_data, None);
        assert_eq!(message.message, "");
    }

    #[test]
    fn rfc5424_several_elements_and_utc() {
        let message = parse(
            "<13>1 2026-04-01T00:00:00Z host app - - [a x=\"1\"][b y=\"2\"] hi",
            &tokyo("2026-04-01T00:00:00Z"),
        )
        .unwrap();
        assert_eq!(message.structured_data, Some("[a x=\"1\"][b y=\"2\"]"));
        assert_eq!(message.message, "hi");
        assert_eq!(message.timestamp, Some(at("2026-04-01T00:00:00Z")));
    }

    #[test]
    fn rfc5424_local_time_without_offset_uses_the_source_zone() {
        let source = tokyo("2026-04-01T00:00:00Z");
        let message = parse("<13>1 2026-04-01T09:00:00 h a - - - m", &source).unwrap();
        assert_eq!(message.timestamp, Some(at("2026-04-01T00:00:00Z")));
        let utc = source.with_time_zone(TimeZone::UTC);
        let message = parse("<13>1 2026-04-01T09:00:00 h a - - - m", &utc).unwrap();
        assert_eq!(message.timestamp, Some(at("2026-04-01T09:00:00Z")));
    }

    #[test]
    fn rfc5424_errors_keep_the_raw_line() {
        let source = tokyo("2026-04-01T00:00:00Z");
        for (line, kind) in [
            ("<13>1 yesterday h a - - - m", SyslogErrorKind::BadTimestamp),
            ("<13>1 - h a", SyslogErrorKind::Truncated("procid")),
            (
                "<13>1 - h a - - [unclosed x=\"1\"",
                SyslogErrorKind::BadStructuredData,
            ),
            ("<13>1 - h a - - nope m", SyslogErrorKind::BadStructuredData),
            ("<13>1 - h a - - [a]m", SyslogErrorKind::BadStructuredData),
        ] {
            let error = parse(line, &source).unwrap_err();
            assert_eq!(error.kind, kind, "{line}");
            assert_eq!(error.raw, line);
        }
    }

    #[test]
    fn bad_priorities_are_errors_and_other_angles_are_plain() {
        let source = tokyo("2026-04-01T00:00:00Z");
        for line in ["<192>x", "<999>x", "<012>x", "<1", "<1234>x"] {
            assert_eq!(
                parse(line, &source).unwrap_err().kind,
                SyslogErrorKind::BadPriority,
                "{line}"
            );
        }
        let message = parse("<html> hello", &source).unwrap();
        assert_eq!(message.format, Format::Plain);
        assert_eq!(message.message, "<html> hello");
    }

    #[test]
    fn rfc3164_classic() {
        let message = parse(
            "<38>Apr  1 10:00:00 web01 sshd[812]: Accepted publickey for bob",
            &tokyo("2026-04-01T01:00:02Z"),
        )
        .unwrap();
        assert_eq!(message.format, Format::Rfc3164);
        assert_eq!(message.timestamp, Some(at("2026-04-01T01:00:00Z")));
        assert_eq!(message.hostname, Some("web01"));
        assert_eq!(message.app_name, Some("sshd"));
        assert_eq!(message.proc_id, Some("812"));
        assert_eq!(message.message, "Accepted publickey for bob");
    }

    #[test]
    fn rfc3164_without_hostname() {
        let message = parse(
            "<38>Apr  1 10:00:00 sshd[812]: Invalid user x from 10.0.0.1",
            &tokyo("2026-04-01T01:00:02Z"),
        )
        .unwrap();
        assert_eq!(message.hostname, None);
        assert_eq!(message.app_name, Some("sshd"));
        assert_eq!(message.message, "Invalid user x from 10.0.0.1");
    }

    #[test]
    fn rfc3164_without_timestamp_is_all_message() {
        let message = parse(
            "<190>Login succeeded for TELNET: 192.168.100.10",
            &tokyo("2026-04-01T01:00:02Z"),
        )
        .unwrap();
        assert_eq!(message.timestamp, None);
        assert_eq!(message.hostname, None);
        assert_eq!(message.app_name, None);
        assert_eq!(
            message.message,
            "Login succeeded for TELNET: 192.168.100.10"
        );
        assert_eq!(
            message.time_or(at("2026-04-01T01:00:02Z")),
            at("2026-04-01T01:00:02Z")
        );
    }

    #[test]
    fn rfc3164_variants_of_the_time() {
        let source = tokyo("2026-04-01T01:00:02Z");
        for (line, expected) in [
            ("<13>Apr 1 10:00:00 h a: m", "2026-04-01T01:00:00Z"),
            ("<13>Apr 01 10:00:00.250 h a: m", "2026-04-01T01:00:00.25Z"),
            ("<13>Apr  1 2025 10:00:00 h a: m", "2025-04-01T01:00:00Z"),
            (
                "<13>2026-04-01T10:00:00+09:00 h a: m",
                "2026-04-01T01:00:00Z",
            ),
            ("<13>2026-04-01T10:00:00.5 h a: m", "2026-04-01T01:00:00.5Z"),
        ] {
            let message = parse(line, &source).unwrap();
            assert_eq!(message.timestamp, Some(at(expected)), "{line}");
            assert_eq!(message.hostname, Some("h"), "{line}");
            assert_eq!(message.app_name, Some("a"), "{line}");
            assert_eq!(message.message, "m", "{line}");
        }
    }

    #[test]
    fn rfc3164_year_rolls_over_at_new_year() {
        // Sent 23:59:58 on 31 December (JST), received just after midnight.
        let message = parse(
            "<13>Dec 31 23:59:58 h a: m",
            &tokyo("2026-12-31T15:00:03Z"), // 2027-01-01 00:00:03 JST
        )
        .unwrap();
        assert_eq!(message.timestamp, Some(at("2026-12-31T14:59:58Z")));
        // A source clock running fast: 1 January received on 31 December.
        let message = parse("<13>Jan  1 00:00:01 h a: m", &tokyo("2026-12-31T14:59:50Z")).unwrap();
        assert_eq!(message.timestamp, Some(at("2026-12-31T15:00:01Z")));
        // Ordinary days stay in the year they were received in.
        let message = parse("<13>Jun 15 12:00:00 h a: m", &tokyo("2026-06-15T03:00:05Z")).unwrap();
        assert_eq!(message.timestamp, Some(at("2026-06-15T03:00:00Z")));
    }

    #[test]
    fn rfc3164_leap_day_finds_a_leap_year() {
        let message = parse("<13>Feb 29 12:00:00 h a: m", &tokyo("2028-03-01T00:00:00Z")).unwrap();
        assert_eq!(message.timestamp, Some(at("2028-02-29T03:00:00Z")));
        // No leap year within a year of 2026: the date is not a time, so it is message.
        let message = parse("<13>Feb 29 12:00:00 h a: m", &tokyo("2026-03-01T00:00:00Z")).unwrap();
        assert_eq!(message.timestamp, None);
    }

    #[test]
    fn rfc3164_time_zone_of_the_source() {
        let source =
            tokyo("2026-04-01T10:00:05Z").with_time_zone(TimeZone::get("Europe/Berlin").unwrap());
        let message = parse("<13>Apr  1 12:00:00 h a: m", &source).unwrap();
        assert_eq!(message.timestamp, Some(at("2026-04-01T10:00:00Z")));
    }

    #[test]
    fn plain_lines_without_priority() {
        let source = tokyo("2026-04-01T01:00:02Z");
        let message = parse("just some text", &source).unwrap();
        assert_eq!(message.format, Format::Plain);
        assert_eq!(message.priority, None);
        assert_eq!(message.message, "just some text");
        let message = parse("Apr  1 10:00:00 db01 sshd[1]: hello\r\n", &source).unwrap();
        assert_eq!(message.format, Format::Plain);
        assert_eq!(message.hostname, Some("db01"));
        assert_eq!(message.message, "hello");
    }

    #[test]
    fn empty_and_overlong_lines_are_errors() {
        let source = tokyo("2026-04-01T01:00:02Z");
        for line in ["", "   ", "\r\n", "\u{feff}"] {
            assert_eq!(
                parse(line, &source).unwrap_err().kind,
                SyslogErrorKind::Empty
            );
        }
        let long = "x".repeat(MAX_LINE_BYTES + 1);
        let error = parse(&long, &source).unwrap_err();
        assert_eq!(
            error.kind,
            SyslogErrorKind::TooLong {
                max: MAX_LINE_BYTES
            }
        );
        assert_eq!(error.raw.len(), MAX_LINE_BYTES + 1);
        let long = format!("<13>Apr  1 10:00:00 h a: {}", "y".repeat(60_000));
        assert_eq!(parse(&long, &source).unwrap().message.len(), 60_000);
    }

    #[test]
    fn ipv6_hostnames() {
        let message = parse(
            "<13>Apr  1 10:00:00 2001:db8::1 app: m",
            &tokyo("2026-04-01T01:00:02Z"),
        )
        .unwrap();
        assert_eq!(message.hostname, Some("2001:db8::1"));
    }
}
