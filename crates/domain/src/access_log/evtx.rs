//! Windows event log files (`.evtx`, as Event Viewer's 「名前を付けて保存」 or
//! `wevtutil epl` write them) read through the `evtx` crate into the same
//! [`WindowsEvent`] the JSON forwarders give, so one mapping serves both.
//!
//! Every record becomes one event: a record read is kept with its JSON
//! rendering as the raw text; a record the reader cannot decode is kept raw
//! with the reason, never dropped. A file that is not an event log at all
//! (wrong signature, unreadable header) is refused as a whole.

use jiff::Timestamp;

use super::windows::{WindowsEvent, event_data, parsed, scalar};

/// The first bytes of every `.evtx` file.
pub const SIGNATURE: &[u8] = b"ElfFile\0";

/// Why a file cannot be read as an event log; nothing of it is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvtxError {
    /// It starts as an event log but its header or chunks cannot be read.
    #[error("the Windows event log (.evtx) cannot be read: {0}")]
    Damaged(String),
    /// An `.evtx` file sent to a source that is not a Windows source.
    #[error("a Windows event log (.evtx) is imported into a Windows source")]
    WrongSource,
}

/// One record of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct EvtxRecord {
    /// Its position in the file, from 1 (the "line" of the import).
    pub number: u64,
    /// The event and the record as JSON, or why it could not be read.
    pub read: Result<(WindowsEvent, String), String>,
}

/// Whether `bytes` start as an event log file.
pub fn is_evtx(bytes: &[u8]) -> bool {
    bytes.starts_with(SIGNATURE)
}

/// Reads every record of an event log file, oldest chunk first.
pub fn read_evtx(bytes: &[u8]) -> Result<Vec<EvtxRecord>, EvtxError> {
    if !is_evtx(bytes) {
        return Err(EvtxError::Damaged(
            "it does not start with the event log signature".to_owned(),
        ));
    }
    let bytes = bytes.to_vec();
    // The reader is written without panics in mind, but the file is
    // hostile input: a panic becomes a refusal, never a crash.
    std::panic::catch_unwind(move || read_records(bytes))
        .unwrap_or_else(|_| Err(EvtxError::Damaged("the reader failed on it".to_owned())))
}

fn read_records(bytes: Vec<u8>) -> Result<Vec<EvtxRecord>, EvtxError> {
    let settings = ::evtx::ParserSettings::new()
        .num_threads(1)
        .separate_json_attributes(false);
    let mut parser = ::evtx::EvtxParser::from_buffer(bytes)
        .map_err(|error| EvtxError::Damaged(error.to_string()))?
        .with_configuration(settings);
    let mut records = Vec::new();
    for (number, record) in (1..).zip(parser.records_json_value()) {
        let read = match record {
            Ok(record) => {
                let fallback = Timestamp::from_microsecond(record.timestamp.as_microsecond()).ok();
                let raw = record.data.to_string();
                windows_event(&record.data, fallback).map(|event| (event, raw))
            }
            Err(error) => Err(error.to_string()),
        };
        records.push(EvtxRecord { number, read });
    }
    Ok(records)
}

/// The event in a record's JSON (`Event.System`, `Event.EventData`).
fn windows_event(
    record: &serde_json::Value,
    fallback_time: Option<Timestamp>,
) -> Result<WindowsEvent, String> {
    let event = record
        .get("Event")
        .ok_or_else(|| "the record holds no Event element".to_owned())?;
    let system = event
        .get("System")
        .ok_or_else(|| "the event has no System element".to_owned())?;
    let id = system
        .get("EventID")
        .and_then(parsed)
        .ok_or_else(|| "the event has no EventID".to_owned())?;
    let time = system
        .get("TimeCreated")
        .and_then(|created| created.get("#attributes"))
        .and_then(|attributes| attributes.get("SystemTime"))
        .and_then(serde_json::Value::as_str)
        .and_then(|text| text.parse::<Timestamp>().ok())
        .or(fallback_time)
        .ok_or_else(|| "the event has no readable TimeCreated".to_owned())?;
    let computer = system.get("Computer").and_then(scalar);
    let channel = system.get("Channel").and_then(scalar);
    let record_id = system.get("EventRecordID").and_then(parsed);
    let data = event
        .get("EventData")
        .and_then(serde_json::Value::as_object)
        .map(event_data)
        .unwrap_or_default();
    Ok(WindowsEvent {
        id,
        time,
        computer,
        data,
        channel,
        record_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_an_event_log_is_refused_whole() {
        assert!(matches!(
            read_evtx(b"<86>1 2026-11-20T09:00:00+09:00 srv1 sshd - - - hello"),
            Err(EvtxError::Damaged(_))
        ));
        // The signature, then nothing readable.
        let mut cut = SIGNATURE.to_vec();
        cut.extend_from_slice(&[0xff; 100]);
        assert!(matches!(read_evtx(&cut), Err(EvtxError::Damaged(_))));
    }

    #[test]
    fn a_records_json_gives_the_windows_event() {
        let record = serde_json::json!({"Event": {
            "System": {
                "EventID": {"#attributes": {"Qualifiers": 0}, "#text": 4625},
                "TimeCreated": {"#attributes": {"SystemTime": "2026-11-20T00:30:05.1234567Z"}},
                "Computer": "UKETSUKE-PC01"
            },
            "EventData": {"TargetUserName": "tanaka", "LogonType": 3, "#attributes": {}}
        }});
        let event = windows_event(&record, None).expect("an event");
        assert_eq!(event.id, 4625);
        assert_eq!(event.computer.as_deref(), Some("UKETSUKE-PC01"));
        assert_eq!(event.data["TargetUserName"], "tanaka");
        assert_eq!(event.data["LogonType"], "3");
        assert_eq!(event.time.to_string(), "2026-11-20T00:30:05.1234567Z");
        let no_id = serde_json::json!({"Event": {"System": {}}});
        assert!(windows_event(&no_id, None).is_err());
    }
}
