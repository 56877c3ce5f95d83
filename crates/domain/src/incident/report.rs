//! The report of something wrong (医療情報に関する不具合発生報告書, the
//! handbook's 参考3): what anyone who notices it sends, from a phone, in a
//! few taps. Every field of the seed's form is here.

use std::collections::BTreeSet;

use jiff::civil::{Date, DateTime, Time};

use crate::calendar::parse_date_ja;
use crate::error::{multiline_text, optional_text};
use crate::ledger::device::Errors;
use crate::{ParseError, ParseErrorKind};

typed_id!(
    /// The id of a stored incident.
    IncidentId
);
typed_id!(
    /// The id of a stored report (不具合発生報告書).
    ReportId
);
typed_id!(
    /// The id of a file attached to an incident (a photo, a log).
    IncidentFileId
);

/// The 15 発生事例パターン of the form, in its order (number = index + 1):
/// Japanese as printed in the seed's 参考3, and English. The seed prints
/// pattern 10 twice (as 10 and 11); both are kept so the numbers match the
/// printed form an institution may still use on paper.
pub const PATTERNS: [(&str, &str); 15] = [
    (
        "脅迫文が表示された。",
        "A ransom or threat message appeared.",
    ),
    (
        "ファイルが暗号化されて開けない。",
        "Files are encrypted and will not open.",
    ),
    (
        "アカウントがロックされてパソコンにログインできない。",
        "An account is locked and the PC cannot be signed in to.",
    ),
    (
        "医療情報システムにアクセスができない。",
        "The medical information system cannot be reached.",
    ),
    (
        "普段見慣れないファイルがある。",
        "There are files nobody recognises.",
    ),
    (
        "院内から不審なサイト等への通信を確認した。",
        "Traffic from inside to a suspicious site was seen.",
    ),
    (
        "不審なメールやSMS等で、クラウドサービスにログインを要求されてログイン情報を入力した。",
        "A suspicious e-mail or SMS asked for a cloud sign-in, and the credentials were entered.",
    ),
    (
        "インターネットVPN（仮想専用線）装置に、不審なログインログがある。",
        "The internet VPN device logged a suspicious sign-in.",
    ),
    (
        "パソコン（Windows）のログインに、不審なログインログがある。",
        "A PC (Windows) logged a suspicious sign-in.",
    ),
    (
        "医療情報システムのログインに、不審なログインログがある。",
        "The medical information system logged a suspicious sign-in.",
    ),
    (
        "医療情報システムのログインに、不審なログインログがある。",
        "The medical information system logged a suspicious sign-in (second line of the form).",
    ),
    ("HPの改ざんを確認した。", "The website was defaced."),
    (
        "不審なメールに添付されたファイルやリンク先のクリックを行った。",
        "An attachment or link in a suspicious e-mail was clicked.",
    ),
    (
        "メールに添付されたファイル(Excel、Word)を開いたが違和感がある。",
        "An attached file (Excel, Word) was opened and something felt wrong.",
    ),
    ("その他（下記に記載）", "Other (described below)"),
];

/// The pattern 15 その他, which needs words.
pub const OTHER_PATTERN: u8 = 15;

/// The four 緊急措置 of the form, each ticked with its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Measure {
    /// 対象PCのLANケーブル切離、無線LAN接続をOFF.
    CutNetwork,
    /// 「(医療情報システム) 企画管理者」へ連絡.
    CalledPlanner,
    /// 証拠保全: a notice not to switch the PC off, photos, logs.
    KeptEvidence,
    /// 類似事象確認.
    CheckedSimilar,
}

impl Measure {
    /// The four, in the form's order.
    pub const ALL: [Self; 4] = [
        Self::CutNetwork,
        Self::CalledPlanner,
        Self::KeptEvidence,
        Self::CheckedSimilar,
    ];

    /// The form field and stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::CutNetwork => "cut_network",
            Self::CalledPlanner => "called_planner",
            Self::KeptEvidence => "kept_evidence",
            Self::CheckedSimilar => "checked_similar",
        }
    }

    /// The wording of the seed's form.
    pub fn name_ja(self) -> &'static str {
        match self {
            Self::CutNetwork => "対象PCのLANケーブル切離、無線LAN接続をOFF",
            Self::CalledPlanner => "「(医療情報システム) 企画管理者」へ連絡",
            Self::KeptEvidence => {
                "証拠保全（対象PCや機器の電源を停止しないよう張り紙、発生事象の写真撮影、ログの取得）"
            }
            Self::CheckedSimilar => "類似事象確認",
        }
    }

    /// In English.
    pub fn name_en(self) -> &'static str {
        match self {
            Self::CutNetwork => "Unplugged the PC's LAN cable and switched its Wi-Fi off",
            Self::CalledPlanner => "Told the planning manager",
            Self::KeptEvidence => {
                "Kept the evidence (a 'do not switch off' notice on the device, photos, logs)"
            }
            Self::CheckedSimilar => "Checked for the same problem elsewhere",
        }
    }
}

/// A report, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReport {
    /// 事象発生確認年月日 (and the time, when given): when it was noticed.
    pub noticed_on: Date,
    /// The time it was noticed, when given.
    pub noticed_at: Option<Time>,
    /// 場所.
    pub place: String,
    /// ※機器管理番号: the device in the ledger, when picked.
    pub asset_number: Option<String>,
    /// 機器名称, as typed (or the ledger's name).
    pub device_name: String,
    /// ※発生ネットワーク: a segment of the network ledger, by name.
    pub segment: Option<String>,
    /// 報告者の課.
    pub department: String,
    /// 報告者の氏名.
    pub reporter: String,
    /// The ticked 発生事例パターン (1–15).
    pub patterns: BTreeSet<u8>,
    /// その他's words (required with pattern 15).
    pub other: String,
    /// 発生事象の詳細.
    pub details: String,
    /// The 緊急措置 taken, each with its time.
    pub measures: Vec<(Measure, DateTime)>,
}

/// The report form as posted; `measures` holds each ticked measure's code
/// with the time typed beside it (empty: now).
#[derive(Debug, Clone, Default)]
pub struct RawReport<'a> {
    pub noticed_on: &'a str,
    pub noticed_at: &'a str,
    pub place: &'a str,
    pub asset_number: &'a str,
    pub device_name: &'a str,
    pub segment: &'a str,
    pub department: &'a str,
    pub reporter: &'a str,
    pub patterns: Vec<&'a str>,
    pub other: &'a str,
    pub details: &'a str,
    pub measures: Vec<(&'a str, &'a str)>,
}

/// The most photos one report carries.
pub const MAX_PHOTOS: usize = 5;

/// Checks a photo a phone sends: the name and size every upload must have
/// (see [`crate::checklist::accept_upload`]), and contents that are a JPEG,
/// PNG, WebP or HEIC image, told by their first bytes (the name's extension
/// is not trusted).
pub fn accept_photo(
    field: &'static str,
    raw_name: &str,
    bytes: &[u8],
) -> Result<crate::checklist::AcceptedFile, ParseError> {
    let name = crate::checklist::upload::checked_name(field, raw_name, bytes)?;
    let content_type = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        "image/webp"
    } else if bytes.len() >= 12
        && &bytes[4..8] == b"ftyp"
        && matches!(
            &bytes[8..12],
            b"heic" | b"heix" | b"mif1" | b"msf1" | b"hevc"
        )
    {
        "image/heic"
    } else {
        return Err(ParseError::new(
            field,
            ParseErrorKind::BadFormat("a photo: a JPEG, PNG, WebP or HEIC image"),
        ));
    };
    Ok(crate::checklist::AcceptedFile { name, content_type })
}

/// The longest 詳細 the form takes.
pub const MAX_DETAILS: usize = 4000;

pub(crate) fn time_of_day(field: &'static str, raw: &str) -> Result<Option<Time>, ParseError> {
    let raw = raw.trim().replace('：', ":");
    if raw.is_empty() {
        return Ok(None);
    }
    Time::strptime("%H:%M", &raw)
        .or_else(|_| Time::strptime("%H:%M:%S", &raw))
        .map(Some)
        .map_err(|_| ParseError::new(field, ParseErrorKind::BadFormat("a time like 08:40")))
}

/// Checks a report, naming every wrong field at once. `now` is the local
/// time in Japan: nothing can have been noticed, nor any measure taken, after
/// it. A report must say something: a pattern or the details.
pub fn parse_report(raw: &RawReport<'_>, now: DateTime) -> Result<NewReport, Vec<ParseError>> {
    let mut errors = Errors::default();
    let future = |field| {
        ParseError::new(
            field,
            ParseErrorKind::Inconsistent("the date cannot be in the future"),
        )
    };
    let noticed_on = match parse_date_ja("noticed_on", raw.noticed_on) {
        Ok(Some(day)) if day > now.date() => errors.take(Err(future("noticed_on"))),
        Ok(Some(day)) => Some(day),
        Ok(None) => Some(now.date()),
        Err(error) => errors.take(Err(error)),
    };
    let noticed_at = errors
        .take(time_of_day("noticed_at", raw.noticed_at))
        .flatten();
    if let (Some(day), Some(time)) = (noticed_on, noticed_at)
        && day.to_datetime(time) > now
    {
        errors.take(Err::<(), _>(future("noticed_at")));
    }
    let place = errors.take(optional_text("place", raw.place, 100));
    let asset_number = errors.take(optional_text("asset_number", raw.asset_number, 50));
    let device_name = errors.take(optional_text("device_name", raw.device_name, 100));
    let segment = errors.take(optional_text("segment", raw.segment, 100));
    let department = errors.take(optional_text("department", raw.department, 100));
    let reporter = match optional_text("reporter", raw.reporter, 100) {
        Ok(name) if name.is_empty() => {
            errors.take(Err(ParseError::new("reporter", ParseErrorKind::Empty)))
        }
        other => errors.take(other),
    };
    let mut patterns = BTreeSet::new();
    for pattern in &raw.patterns {
        match pattern.trim().parse::<u8>() {
            Ok(n) if (1..=15).contains(&n) => {
                patterns.insert(n);
            }
            _ => {
                errors.take(Err::<(), _>(ParseError::new(
                    "patterns",
                    ParseErrorKind::OutOfRange { min: 1, max: 15 },
                )));
            }
        }
    }
    let other = errors.take(optional_text("other", raw.other, 200));
    if patterns.contains(&OTHER_PATTERN) && other.as_ref().is_some_and(String::is_empty) {
        errors.take(Err::<(), _>(ParseError::new(
            "other",
            ParseErrorKind::Inconsistent("say what else happened (その他)"),
        )));
    }
    let details = errors.take(multiline_text("details", raw.details, MAX_DETAILS));
    if patterns.is_empty() && details.as_ref().is_some_and(String::is_empty) {
        errors.take(Err::<(), _>(ParseError::new(
            "details",
            ParseErrorKind::Inconsistent("tick what happened or describe it"),
        )));
    }
    let mut measures = Vec::new();
    for (code, time) in &raw.measures {
        let Some(measure) = Measure::ALL.into_iter().find(|m| m.code() == code.trim()) else {
            errors.take(Err::<(), _>(ParseError::new(
                "measures",
                ParseErrorKind::UnknownChoice,
            )));
            continue;
        };
        if measures.iter().any(|(m, _)| *m == measure) {
            continue;
        }
        match time_of_day(measure.code(), time) {
            Ok(None) => measures.push((measure, now)),
            Ok(Some(time)) => {
                // A time without a day is today's, or yesterday's if that
                // would be later than now (a measure taken before midnight).
                let today = now.date().to_datetime(time);
                let at = if today > now {
                    now.date()
                        .yesterday()
                        .map_or(today, |day| day.to_datetime(time))
                } else {
                    today
                };
                measures.push((measure, at));
            }
            Err(error) => {
                errors.take(Err::<(), _>(error));
            }
        }
    }
    measures.sort();
    match (
        noticed_on,
        place,
        asset_number,
        device_name,
        segment,
        department,
        reporter,
        other,
        details,
    ) {
        (
            Some(noticed_on),
            Some(place),
            Some(asset_number),
            Some(device_name),
            Some(segment),
            Some(department),
            Some(reporter),
            Some(other),
            Some(details),
        ) if errors.0.is_empty() => Ok(NewReport {
            noticed_on,
            noticed_at,
            place,
            asset_number: (!asset_number.is_empty()).then_some(asset_number),
            device_name,
            segment: (!segment.is_empty()).then_some(segment),
            department,
            reporter,
            patterns,
            other,
            details,
            measures,
        }),
        _ => Err(errors.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn now() -> DateTime {
        date(2026, 12, 7).at(8, 45, 0, 0)
    }

    fn fields(errors: &[ParseError]) -> Vec<&'static str> {
        errors.iter().map(ParseError::field).collect()
    }

    #[test]
    fn a_phone_report_needs_only_a_name_and_what_happened() {
        let raw = RawReport {
            reporter: "受付 花子",
            patterns: vec!["1", "2"],
            measures: vec![("cut_network", ""), ("called_planner", "08:42")],
            ..RawReport::default()
        };
        let report = parse_report(&raw, now()).expect("a minimal report is accepted");
        assert_eq!(
            report.noticed_on,
            date(2026, 12, 7),
            "noticed today unless told"
        );
        assert_eq!(report.patterns.into_iter().collect::<Vec<_>>(), [1, 2]);
        assert_eq!(
            report.measures,
            [
                (Measure::CutNetwork, now()),
                (Measure::CalledPlanner, date(2026, 12, 7).at(8, 42, 0, 0)),
            ]
        );
        // A time later than now was yesterday evening's.
        let late = RawReport {
            measures: vec![("kept_evidence", "23:10")],
            ..raw.clone()
        };
        let report = parse_report(&late, now()).expect("accepted");
        assert_eq!(
            report.measures,
            [(Measure::KeptEvidence, date(2026, 12, 6).at(23, 10, 0, 0))]
        );
    }

    #[test]
    fn an_empty_report_a_future_day_and_a_bare_other_are_refused_by_field() {
        let empty = RawReport::default();
        let errors = parse_report(&empty, now()).expect_err("an empty report is refused");
        assert_eq!(fields(&errors), ["reporter", "details"]);
        let future = RawReport {
            noticed_on: "2026-12-08",
            reporter: "A",
            patterns: vec!["15", "16"],
            measures: vec![("switch_off", "")],
            ..RawReport::default()
        };
        let errors = parse_report(&future, now()).expect_err("refused");
        assert_eq!(
            fields(&errors),
            ["noticed_on", "patterns", "other", "measures"]
        );
        let later_today = RawReport {
            noticed_on: "令和8年12月7日",
            noticed_at: "09:30",
            reporter: "A",
            details: "画面が変",
            ..RawReport::default()
        };
        let errors = parse_report(&later_today, now()).expect_err("refused");
        assert_eq!(fields(&errors), ["noticed_at"]);
        let control = RawReport {
            reporter: "A\u{202E}B",
            details: "x",
            ..RawReport::default()
        };
        assert_eq!(
            fields(&parse_report(&control, now()).expect_err("refused")),
            ["reporter"]
        );
    }

    #[test]
    fn only_images_a_phone_takes_are_photos() {
        let kind = |bytes: &[u8]| accept_photo("photos", "p.jpg", bytes).map(|f| f.content_type);
        assert_eq!(kind(b"\xFF\xD8\xFF\xE0rest"), Ok("image/jpeg"));
        assert_eq!(kind(b"\x89PNG\r\n\x1a\nrest"), Ok("image/png"));
        assert_eq!(kind(b"RIFF\0\0\0\0WEBPVP8 "), Ok("image/webp"));
        assert_eq!(kind(b"\0\0\0\x18ftypheic\0\0"), Ok("image/heic"));
        assert!(kind(b"%PDF-1.7").is_err(), "a PDF is not a photo");
        assert!(kind(b"MZ\x90\0").is_err());
        assert!(kind(b"").is_err());
        let mut big = vec![0xFF, 0xD8, 0xFF];
        big.resize(crate::checklist::MAX_UPLOAD_BYTES + 1, 0);
        assert!(kind(&big).is_err(), "10 MB + 1 byte");
        big.truncate(crate::checklist::MAX_UPLOAD_BYTES);
        assert_eq!(kind(&big), Ok("image/jpeg"), "exactly 10 MB");
        let named = accept_photo("photos", "C:\\Users\\a\u{202E}gpj.exe", b"\xFF\xD8\xFF")
            .expect("a photo");
        assert_eq!(
            named.name, "agpj.exe",
            "the path and the bidi control are dropped"
        );
    }

    #[test]
    fn the_form_has_fifteen_patterns_and_four_measures() {
        assert_eq!(PATTERNS.len(), 15);
        assert!(
            PATTERNS[usize::from(OTHER_PATTERN) - 1]
                .0
                .starts_with("その他")
        );
        let codes: BTreeSet<&str> = Measure::ALL.iter().map(|m| m.code()).collect();
        assert_eq!(codes.len(), 4);
    }
}
