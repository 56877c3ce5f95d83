//! Windows event log files (.evtx), written after [MS-EVEN6] by the test
//! writer, read as a Windows source reads them.

#[allow(dead_code)]
#[path = "support/evtx_writer.rs"]
mod evtx_writer;

use evtx_writer::{SecurityEvent, write_evtx};
use mamori_domain::access_log::event::{Action, Outcome};
use mamori_domain::access_log::evtx::EvtxError;
use mamori_domain::access_log::source::{FileRefused, LogSourceKind, SourceReader};

fn data(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

/// `n` events cycling through a failed and a successful network logon, a
/// logoff, an account created and a lockout, one second apart.
fn events(n: u64) -> Vec<SecurityEvent> {
    let start: jiff::Timestamp = "2026-11-20T00:30:00Z".parse().expect("time");
    (0..n)
        .map(|i| {
            let (event_id, fields) = match i % 5 {
                0 => (
                    4625,
                    data(&[
                        ("SubjectUserSid", "S-1-0-0"),
                        ("TargetUserName", "tanaka"),
                        ("TargetDomainName", "UKETSUKE-PC01"),
                        ("Status", "0xc000006d"),
                        ("LogonType", "3"),
                        ("IpAddress", "192.168.1.23"),
                        ("IpPort", "50123"),
                    ]),
                ),
                1 => (
                    4624,
                    data(&[
                        ("TargetUserName", "suzuki"),
                        ("TargetDomainName", "CLINIC"),
                        ("LogonType", "10"),
                        ("IpAddress", "::ffff:10.0.0.8"),
                    ]),
                ),
                2 => (
                    4634,
                    data(&[("TargetUserName", "suzuki"), ("LogonType", "10")]),
                ),
                3 => (
                    4720,
                    data(&[("TargetUserName", "newnurse"), ("SubjectUserName", "admin")]),
                ),
                _ => (4740, data(&[("TargetUserName", "tanaka")])),
            };
            SecurityEvent {
                record_id: 1000 + i,
                time: start + jiff::SignedDuration::from_secs(i as i64),
                event_id,
                computer: "UKETSUKE-PC01".to_owned(),
                data: fields,
            }
        })
        .collect()
}

fn windows() -> SourceReader {
    SourceReader::of(LogSourceKind::WindowsJson, "Asia/Tokyo", "").expect("reader")
}

fn now() -> jiff::Timestamp {
    "2026-12-06T00:00:00Z".parse().expect("time")
}

#[test]
fn every_record_of_every_chunk_becomes_an_event_in_the_common_shape() {
    let written = events(1_000);
    let bytes = write_evtx(&written);
    assert!(bytes.len() > 4096 + 65536, "more than one chunk");
    let (read, problems) = windows().read_all(&bytes, now()).expect("an event log");
    assert!(problems.is_empty());
    assert_eq!(read.len(), written.len());
    assert!(read.iter().all(|event| event.recognised));
    assert_eq!(
        read.iter().map(|event| event.line).collect::<Vec<_>>(),
        (1..=1_000).collect::<Vec<_>>()
    );

    let failed = &read[0].event;
    assert_eq!(failed.time.to_string(), "2026-11-20T00:30:00Z");
    assert_eq!(failed.action, Action::SignIn);
    assert_eq!(failed.outcome, Outcome::Failure);
    // The target's domain is the computer itself: the bare account.
    assert_eq!(failed.user.as_deref(), Some("tanaka"));
    assert_eq!(failed.host.as_deref(), Some("UKETSUKE-PC01"));
    assert_eq!(
        failed.source_address.map(|address| address.to_string()),
        Some("192.168.1.23".to_owned())
    );
    // The raw text is the record itself, as JSON.
    assert!(
        failed.raw.contains("\"EventRecordID\":1000"),
        "{}",
        failed.raw
    );
    assert!(failed.raw.contains("0xc000006d"));

    let remote = &read[1].event;
    assert_eq!(
        (remote.action.clone(), remote.outcome),
        (Action::SignIn, Outcome::Success)
    );
    assert_eq!(remote.user.as_deref(), Some("CLINIC\\suzuki"));
    assert_eq!(
        remote.source_address.map(|address| address.to_string()),
        Some("10.0.0.8".to_owned())
    );
    assert_eq!(read[2].event.action, Action::SignOut);
    assert_eq!(read[3].event.action, Action::AccountCreated);
    assert_eq!(read[3].event.user.as_deref(), Some("newnurse"));
    assert_eq!(read[4].event.action, Action::AccountLocked);
    // The last record, in the last chunk, one second apart from the first.
    assert_eq!(read[999].event.time.to_string(), "2026-11-20T00:46:39Z");

    // The preview reads the same way and counts every record.
    let preview = windows().preview(&bytes, now(), 3).expect("a preview");
    assert_eq!(preview.total, 1_000);
    assert_eq!(preview.lines.len(), 3);
}

#[test]
fn a_damaged_record_is_kept_with_the_reason_and_the_rest_still_read() {
    let written = events(20);
    let mut bytes = write_evtx(&written);
    // Overwrite the binary XML of a record in the middle with garbage (the
    // signature of the tenth record, "**\0\0", found by its record id).
    let id = 1009u64.to_le_bytes();
    let at = bytes
        .windows(8)
        .position(|window| window == id)
        .expect("the tenth record");
    for byte in &mut bytes[at + 16..at + 40] {
        *byte = 0xee;
    }
    let (read, _) = windows().read_all(&bytes, now()).expect("an event log");
    assert_eq!(read.len(), 20, "no record dropped");
    let damaged: Vec<_> = read.iter().filter(|event| !event.recognised).collect();
    assert_eq!(damaged.len(), 1, "{damaged:?}");
    assert!(damaged[0].event.raw.contains("could not be read"));
    assert!(read[10].recognised && read[8].recognised);
}

#[test]
fn an_event_log_is_refused_by_other_sources_and_a_damaged_one_by_all() {
    let bytes = write_evtx(&events(3));
    let syslog = SourceReader::of(LogSourceKind::Syslog, "Asia/Tokyo", "").expect("reader");
    assert_eq!(
        syslog.read_all(&bytes, now()).map(|_| ()),
        Err(FileRefused::EventLog(EvtxError::WrongSource))
    );
    let table = SourceReader::of(
        LogSourceKind::EhrCsv,
        "Asia/Tokyo",
        "time=日時,user=利用者ID",
    )
    .expect("reader");
    assert_eq!(
        table.preview(&bytes, now(), 5).map(|_| ()),
        Err(FileRefused::EventLog(EvtxError::WrongSource))
    );
    // The signature and a header cut short.
    let cut = &bytes[..100];
    assert!(matches!(
        windows().read_all(cut, now()),
        Err(FileRefused::EventLog(EvtxError::Damaged(_)))
    ));
}
