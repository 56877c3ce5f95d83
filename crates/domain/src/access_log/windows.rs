//! Windows Security events (セキュリティ ログ) in the common shape: sign-ins,
//! sign-outs and account changes of clinic PCs and Windows servers, as
//! forwarded in JSON lines by Winlogbeat or NXLog. The `.evtx` reader
//! ([`super::evtx`]) fills the same [`WindowsEvent`], so the mapping is
//! written once.
//!
//! The events kept (the issue's list, after Microsoft's documented IDs):
//! 4624 logon, 4625 failed logon, 4634 logoff, 4647 user-initiated logoff,
//! 4648 logon with explicit credentials, 4720 account created, 4722 enabled,
//! 4723 password change attempted, 4724 password reset attempted,
//! 4725 disabled, 4726 deleted, 4740 locked out, 4767 unlocked. Any other ID
//! becomes [`Action::Other`] with the raw line kept.

use std::collections::BTreeMap;
use std::net::IpAddr;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::event::{Action, LogEvent, Outcome};

/// One Windows event: its ID, time, computer and `EventData` fields by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowsEvent {
    /// The event ID (e.g. 4625).
    pub id: u32,
    /// When it was logged.
    pub time: Timestamp,
    /// The computer that logged it.
    pub computer: Option<String>,
    /// `EventData` by field name (`TargetUserName`, `IpAddress`, …).
    pub data: BTreeMap<String, String>,
    /// The log it was written to (`Security`).
    pub channel: Option<String>,
    /// Its number in that log on that computer (`EventRecordID`).
    pub record_id: Option<u64>,
}

impl WindowsEvent {
    /// `COMPUTER/Channel/EventRecordID`: the same event read from an `.evtx`
    /// export or from a forwarder has the same key.
    pub fn record_key(&self) -> Option<String> {
        match (&self.computer, self.record_id) {
            (Some(computer), Some(id)) => Some(format!(
                "{}/{}/{id}",
                computer.to_uppercase(),
                self.channel.as_deref().unwrap_or("Security")
            )),
            _ => None,
        }
    }
}

/// Why a JSON line is not a Windows event; the caller keeps the line raw.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowsError {
    /// Not a JSON object.
    #[error("not a JSON object: {0}")]
    NotJson(String),
    /// No event ID (`winlog.event_id` or `EventID`).
    #[error("no event ID")]
    NoEventId,
    /// No usable time (`@timestamp` or `EventTime`).
    #[error("no usable time: {0}")]
    NoTime(String),
}

/// The longest JSON line read; a forwarder's event is a few kilobytes.
pub const MAX_LINE: usize = 64 * 1024;

/// Reads one JSON line as Winlogbeat (`@timestamp`, `winlog.event_id`,
/// `winlog.computer_name`, `winlog.event_data`) or NXLog (`EventTime`,
/// `EventID`, `Hostname`, the event data as top-level fields) write it. A time
/// without an offset (NXLog's default) is read in `time_zone`.
pub fn parse_json_line(line: &str, time_zone: &TimeZone) -> Result<WindowsEvent, WindowsError> {
    if line.len() > MAX_LINE {
        return Err(WindowsError::NotJson(format!(
            "longer than {MAX_LINE} bytes"
        )));
    }
    let value: serde_json::Value = serde_json::from_str(line.trim_start_matches('\u{feff}'))
        .map_err(|error| WindowsError::NotJson(error.to_string()))?;
    let object = value
        .as_object()
        .ok_or_else(|| WindowsError::NotJson("not an object".to_owned()))?;
    let winlog = object.get("winlog").and_then(serde_json::Value::as_object);
    let (id, time, computer, data, channel, record_id) = match winlog {
        Some(winlog) => (
            winlog.get("event_id").and_then(parsed),
            object
                .get("@timestamp")
                .and_then(serde_json::Value::as_str)
                .map(|text| read_time(text, time_zone)),
            winlog
                .get("computer_name")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned),
            winlog
                .get("event_data")
                .and_then(serde_json::Value::as_object),
            winlog.get("channel").and_then(serde_json::Value::as_str),
            winlog.get("record_id").and_then(parsed),
        ),
        None => (
            object.get("EventID").and_then(parsed),
            object
                .get("EventTime")
                .and_then(serde_json::Value::as_str)
                .map(|text| read_time(text, time_zone)),
            object
                .get("Hostname")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned),
            Some(object),
            object.get("Channel").and_then(serde_json::Value::as_str),
            object.get("RecordNumber").and_then(parsed),
        ),
    };
    let id = id.ok_or(WindowsError::NoEventId)?;
    let time = match time {
        Some(Ok(time)) => time,
        Some(Err(text)) => return Err(WindowsError::NoTime(text)),
        None => return Err(WindowsError::NoTime(String::new())),
    };
    let data = data.map(event_data).unwrap_or_default();
    Ok(WindowsEvent {
        id,
        time,
        computer,
        data,
        channel: channel.map(str::to_owned),
        record_id,
    })
}

/// A text or a number as text, or the `#text` of an element that has
/// attributes (how the `.evtx` reader renders one).
pub(super) fn scalar(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Number(number) => Some(number.to_string()),
        serde_json::Value::Object(object) => object.get("#text").and_then(scalar),
        _ => None,
    }
}

/// A number written as a number or as a string of digits (an event ID, a
/// record number).
pub(super) fn parsed<T: std::str::FromStr>(value: &serde_json::Value) -> Option<T> {
    scalar(value).and_then(|text| text.trim().parse().ok())
}

/// `EventData` by field name: texts and numbers, as text; attributes
/// (`#…`) and nested values left out.
pub(super) fn event_data(
    fields: &serde_json::Map<String, serde_json::Value>,
) -> BTreeMap<String, String> {
    fields
        .iter()
        .filter(|(name, _)| !name.starts_with('#'))
        .filter_map(|(name, value)| scalar(value).map(|value| (name.clone(), value)))
        .collect()
}

/// RFC 3339 with an offset, or `YYYY-MM-DD hh:mm:ss` (NXLog) in `time_zone`.
fn read_time(text: &str, time_zone: &TimeZone) -> Result<Timestamp, String> {
    if let Ok(time) = text.parse::<Timestamp>() {
        return Ok(time);
    }
    text.trim()
        .replacen(' ', "T", 1)
        .parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|local| local.to_zoned_datetime(time_zone.clone()).ok())
        .map(|zoned| zoned.timestamp())
        .ok_or_else(|| text.chars().take(64).collect())
}

/// The event in the common shape; `raw` is the line as received.
pub fn to_event(event: &WindowsEvent, raw: &str) -> LogEvent {
    let field = |name: &str| {
        event
            .data
            .get(name)
            .map(|value| value.trim())
            .filter(|value| !value.is_empty() && *value != "-")
    };
    let (action, outcome) = match event.id {
        4624 => (Action::SignIn, Outcome::Success),
        4625 => (Action::SignIn, Outcome::Failure),
        4634 | 4647 => (Action::SignOut, Outcome::Success),
        4648 => (Action::SignIn, Outcome::Unknown),
        4720 => (Action::AccountCreated, Outcome::Success),
        4722 => (Action::AccountEnabled, Outcome::Success),
        // "An attempt was made to change / reset": the event does not say
        // whether it worked (a failure also logs 4723/4724).
        4723 | 4724 => (Action::PasswordChanged, Outcome::Unknown),
        4725 => (Action::AccountDisabled, Outcome::Success),
        4726 => (Action::AccountDeleted, Outcome::Success),
        4740 => (Action::AccountLocked, Outcome::Success),
        4767 => (Action::AccountUnlocked, Outcome::Success),
        other => (Action::Other(format!("event {other}")), Outcome::Unknown),
    };
    // The account the event is about: the target, with its domain when the
    // event names one that is not the computer itself.
    let user = field("TargetUserName").map(|name| match field("TargetDomainName") {
        Some(domain) if Some(domain) != event.computer.as_deref() => format!("{domain}\\{name}"),
        _ => name.to_owned(),
    });
    let source_address = field("IpAddress")
        .map(|address| address.trim_start_matches("::ffff:"))
        .and_then(|address| address.parse::<IpAddr>().ok());
    LogEvent {
        time: event.time,
        host: event.computer.clone(),
        app: Some("Security".to_owned()),
        user,
        source_address,
        action,
        outcome,
        patient_id: None,
        record_key: event.record_key(),
        raw: raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokyo() -> TimeZone {
        TimeZone::get("Asia/Tokyo").unwrap()
    }

    fn event(line: &str) -> LogEvent {
        to_event(&parse_json_line(line, &tokyo()).unwrap(), line)
    }

    #[test]
    fn winlogbeat_failed_and_successful_logons() {
        let failed = r#"{"@timestamp":"2026-04-01T00:30:05.123Z","winlog":{"event_id":4625,"computer_name":"UKETSUKE-PC01","channel":"Security","event_data":{"TargetUserName":"tanaka","TargetDomainName":"UKETSUKE-PC01","IpAddress":"192.168.1.23","LogonType":"3","Status":"0xc000006d"}}}"#;
        let got = event(failed);
        assert_eq!(got.action, Action::SignIn);
        assert_eq!(got.outcome, Outcome::Failure);
        assert_eq!(got.user.as_deref(), Some("tanaka"), "a local account");
        assert_eq!(got.host.as_deref(), Some("UKETSUKE-PC01"));
        assert_eq!(got.source_address, "192.168.1.23".parse().ok());
        assert_eq!(got.time, "2026-04-01T00:30:05.123Z".parse().unwrap());
        assert_eq!(got.raw, failed);

        let domain = r#"{"@timestamp":"2026-04-01T00:31:00Z","winlog":{"event_id":"4624","computer_name":"SV-EHR","event_data":{"TargetUserName":"sato","TargetDomainName":"CLINIC","IpAddress":"::ffff:192.168.1.40"}}}"#;
        let got = event(domain);
        assert_eq!(
            (got.action, got.outcome),
            (Action::SignIn, Outcome::Success)
        );
        assert_eq!(got.user.as_deref(), Some("CLINIC\\sato"));
        assert_eq!(got.source_address, "192.168.1.40".parse().ok());
    }

    #[test]
    fn a_forwarded_event_has_the_record_key_an_evtx_export_of_it_has() {
        let line = r#"{"@timestamp":"2026-04-01T00:30:05Z","winlog":{"event_id":4625,"computer_name":"uketsuke-pc01","channel":"Security","record_id":"123456","event_data":{"TargetUserName":"tanaka"}}}"#;
        assert_eq!(
            event(line).record_key.as_deref(),
            Some("UKETSUKE-PC01/Security/123456")
        );
        let nxlog = r#"{"EventTime":"2026-04-01 09:30:05","EventID":4625,"Hostname":"UKETSUKE-PC01","Channel":"Security","RecordNumber":123456,"TargetUserName":"tanaka"}"#;
        assert_eq!(
            event(nxlog).record_key.as_deref(),
            Some("UKETSUKE-PC01/Security/123456")
        );
        // Without a record number there is no key (nothing is taken as a repeat).
        let bare = r#"{"EventTime":"2026-04-01 09:30:05","EventID":4625,"Hostname":"PC"}"#;
        assert_eq!(event(bare).record_key, None);
    }

    #[test]
    fn nxlog_flat_fields_in_local_time() {
        let line = r#"{"EventTime":"2026-04-01 09:30:00","Hostname":"SHINSATSU-PC02","EventID":4740,"TargetUserName":"suzuki","TargetDomainName":"SHINSATSU-PC02","SubjectUserName":"SYSTEM"}"#;
        let got = event(line);
        assert_eq!(got.action, Action::AccountLocked);
        assert_eq!(got.user.as_deref(), Some("suzuki"));
        assert_eq!(
            got.time,
            "2026-04-01T00:30:00Z".parse().unwrap(),
            "09:30 in Tokyo"
        );
        assert_eq!(got.source_address, None);
    }

    #[test]
    fn every_listed_event_has_its_action() {
        let cases = [
            (4624, Action::SignIn, Outcome::Success),
            (4625, Action::SignIn, Outcome::Failure),
            (4634, Action::SignOut, Outcome::Success),
            (4647, Action::SignOut, Outcome::Success),
            (4648, Action::SignIn, Outcome::Unknown),
            (4720, Action::AccountCreated, Outcome::Success),
            (4722, Action::AccountEnabled, Outcome::Success),
            (4723, Action::PasswordChanged, Outcome::Unknown),
            (4724, Action::PasswordChanged, Outcome::Unknown),
            (4725, Action::AccountDisabled, Outcome::Success),
            (4726, Action::AccountDeleted, Outcome::Success),
            (4740, Action::AccountLocked, Outcome::Success),
            (4767, Action::AccountUnlocked, Outcome::Success),
            (4688, Action::Other("event 4688".into()), Outcome::Unknown),
        ];
        for (id, action, outcome) in cases {
            let line = format!(
                r#"{{"@timestamp":"2026-04-01T00:00:00Z","winlog":{{"event_id":{id},"event_data":{{"TargetUserName":"u","IpAddress":"-"}}}}}}"#
            );
            let got = event(&line);
            assert_eq!((got.action, got.outcome), (action, outcome), "{id}");
            assert_eq!(got.source_address, None, "'-' is no address");
        }
    }

    #[test]
    fn lines_that_are_not_events_are_errors_that_keep_nothing_back() {
        let tz = tokyo();
        assert!(matches!(
            parse_json_line("not json", &tz),
            Err(WindowsError::NotJson(_))
        ));
        assert!(matches!(
            parse_json_line("[1,2]", &tz),
            Err(WindowsError::NotJson(_))
        ));
        assert_eq!(
            parse_json_line(r#"{"@timestamp":"2026-04-01T00:00:00Z","winlog":{}}"#, &tz),
            Err(WindowsError::NoEventId)
        );
        assert!(matches!(
            parse_json_line(r#"{"EventID":4625,"EventTime":"yesterday"}"#, &tz),
            Err(WindowsError::NoTime(_))
        ));
        assert!(matches!(
            parse_json_line(r#"{"EventID":4625}"#, &tz),
            Err(WindowsError::NoTime(_))
        ));
        assert!(matches!(
            parse_json_line(
                r#"{"EventID":99999999999,"EventTime":"2026-04-01 09:30:00"}"#,
                &tz
            ),
            Err(WindowsError::NoEventId)
        ));
        let long = format!(r#"{{"EventID":4625,"x":"{}"}}"#, "a".repeat(MAX_LINE));
        assert!(matches!(
            parse_json_line(&long, &tz),
            Err(WindowsError::NotJson(_))
        ));
    }

    #[test]
    fn a_bom_and_numbers_as_text_are_read() {
        let line = "\u{feff}{\"EventTime\":\"2026-04-01 09:30:00\",\"EventID\":\"4634\",\"TargetUserName\":\"a\",\"TargetLogonId\":123}";
        let parsed = parse_json_line(line, &tokyo()).unwrap();
        assert_eq!(parsed.id, 4634);
        assert_eq!(
            parsed.data.get("TargetLogonId").map(String::as_str),
            Some("123")
        );
    }
}
