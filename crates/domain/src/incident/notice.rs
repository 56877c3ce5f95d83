//! Whom the institution has told, outside (manual II-8, 別紙3 §3(3)): the
//! PPC's 速報 and 確報, 厚生労働省, the police, IPA, and the patients
//! concerned (本人への通知, 個人情報保護法第26条第2項). Each notice is a
//! timeline entry with the day it was made; the PPC deadlines are met or
//! missed by it. And the text of the PPC's report form (施行規則 第8条第1項
//! 各号), prefilled from the incident, to paste into the PPC's own site.

use jiff::civil::Date;

use super::deadline::{Assessment, Deadlines, Ground};
use crate::calendar::parse_date_ja;
use crate::ledger::device::Errors;
use crate::{ParseError, ParseErrorKind};

choice! {
    /// Whom a notice went to.
    pub enum Recipient {
        /// 個人情報保護委員会: 速報.
        PpcPreliminary = ("ppc_preliminary", "個人情報保護委員会（速報）") => "PPC (preliminary report)",
        /// 個人情報保護委員会: 確報.
        PpcFinal = ("ppc_final", "個人情報保護委員会（確報）") => "PPC (final report)",
        /// 本人（患者）への通知 (第26条第2項).
        Patients = ("patients", "本人（患者等）への通知") => "People concerned notified",
        /// 厚生労働省 医政局.
        Mhlw = ("mhlw", "厚生労働省への連絡") => "MHLW contacted",
        /// 都道府県警察 サイバー犯罪相談窓口.
        Police = ("police", "警察への相談・届出") => "Police contacted",
        /// IPA's 届出 (after the fact).
        Ipa = ("ipa", "IPAへの届出") => "IPA notified",
    }
}

impl Recipient {
    /// Whether this notice is owed only when a PPC report is due.
    pub fn follows_ppc(self) -> bool {
        matches!(self, Self::PpcPreliminary | Self::PpcFinal | Self::Patients)
    }
}

/// A notice, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    pub recipient: Recipient,
    /// The day it was made (not in the future).
    pub on: Date,
    /// How, to whom, a reference number.
    pub note: String,
}

impl NewNotice {
    /// `recipient@YYYY-MM-DD`: the timeline entry's value.
    pub fn code(&self) -> String {
        format!("{}@{}", self.recipient.code(), self.on)
    }

    /// The recipient and the day of a stored value.
    pub fn from_code(code: &str) -> Option<(Recipient, Date)> {
        let (recipient, on) = code.split_once('@')?;
        Some((
            Recipient::parse("recipient", recipient).ok()?,
            on.parse().ok()?,
        ))
    }
}

/// Checks a notice: a known recipient, a day not after `today` (empty:
/// today), a note of at most 2,000 characters.
pub fn parse_notice(
    recipient: &str,
    on: &str,
    note: &str,
    today: Date,
) -> Result<NewNotice, Vec<ParseError>> {
    let mut errors = Errors::default();
    let recipient = errors.take(Recipient::parse("recipient", recipient));
    let on = match parse_date_ja("notified_on", on) {
        Ok(Some(day)) if day > today => {
            errors.0.push(ParseError::new(
                "notified_on",
                ParseErrorKind::Inconsistent("a day in the future"),
            ));
            None
        }
        Ok(Some(day)) => Some(day),
        Ok(None) => Some(today),
        Err(error) => errors.take(Err(error)),
    };
    let note = errors.take(super::status::parse_note("text", note, false));
    match (recipient, on, note) {
        (Some(recipient), Some(on), Some(note)) if errors.0.is_empty() => Ok(NewNotice {
            recipient,
            on,
            note,
        }),
        _ => Err(errors.0),
    }
}

/// Whether a deadline was met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Met {
    /// Made on or before the deadline.
    OnTime(Date),
    /// Made after it.
    Late(Date),
}

/// How the PPC's deadlines stand given the first 速報 and 確報 made.
pub fn met(
    deadlines: &Deadlines,
    preliminary: Option<Date>,
    final_report: Option<Date>,
) -> [Option<Met>; 2] {
    let judge = |made: Option<Date>, by: Date| {
        made.map(|day| {
            if day <= by {
                Met::OnTime(day)
            } else {
                Met::Late(day)
            }
        })
    };
    [
        judge(preliminary, deadlines.preliminary_by),
        judge(final_report, deadlines.final_by),
    ]
}

/// What the incident knows, for the PPC report's text.
#[derive(Debug, Clone, Default)]
pub struct PpcFacts {
    pub institution_name: String,
    pub title: String,
    pub known_on: Option<Date>,
    /// Each report's details (what staff saw), oldest first.
    pub reported: Vec<String>,
    /// The 発生事例パターン ticked across the reports.
    pub patterns: Vec<String>,
    pub assessment: Option<Assessment>,
    /// The latest 対策会議's answers on the leak, containment and what patients were told.
    pub leak: String,
    pub containment: String,
    pub told_patients: String,
    /// The 再発防止策 recorded so far.
    pub recurrence: Vec<String>,
    /// The day the people concerned were notified, and how.
    pub patients_notified: Option<(Date, String)>,
}

/// A field not yet known, as the text says it.
const TO_FILL: &str = "（調査中：分かり次第記入）";

fn or_to_fill(text: &str) -> String {
    if text.trim().is_empty() {
        TO_FILL.to_owned()
    } else {
        text.trim().to_owned()
    }
}

/// The nine items of the PPC's report (施行規則 第8条第1項 第1号–第9号), each
/// with the text mamori can give from the incident; what is not known yet
/// says so, for the institution to complete before pasting.
pub fn ppc_text(facts: &PpcFacts) -> Vec<(&'static str, String)> {
    let date = |d: Date| crate::calendar::format_date_ja(d);
    let mut overview = format!("{}において、", facts.institution_name);
    if let Some(day) = facts.known_on {
        overview.push_str(&format!("{}に", date(day)));
    }
    overview.push_str(&format!("「{}」を認知した。", facts.title));
    if !facts.patterns.is_empty() {
        overview.push_str(&format!("事象：{}。", facts.patterns.join("、")));
    }
    for text in facts.reported.iter().filter(|t| !t.trim().is_empty()) {
        overview.push_str(&format!("報告内容：{}。", text.trim()));
    }
    let assessment = facts.assessment.unwrap_or_default();
    let items = if assessment.sensitive {
        "患者の診療に関する情報（要配慮個人情報：病歴・診療記録等）を含む個人データ".to_owned()
    } else if assessment.personal_data {
        "個人データ（項目は調査中）".to_owned()
    } else {
        TO_FILL.to_owned()
    };
    let people = match assessment.people {
        Some(n) => format!("{n}人（現時点で判明している数）"),
        None => TO_FILL.to_owned(),
    };
    let cause = if assessment.wrongful_purpose {
        format!(
            "不正の目的をもって行われたおそれがある行為（サイバー攻撃等）による。{}",
            facts.patterns.first().cloned().unwrap_or_default()
        )
    } else {
        TO_FILL.to_owned()
    };
    let grounds: Vec<String> = assessment
        .grounds()
        .iter()
        .map(|g| match g {
            Ground::Sensitive => "第1号（要配慮個人情報）".to_owned(),
            Ground::FinancialHarm => "第2号（財産的被害のおそれ）".to_owned(),
            Ground::WrongfulPurpose => "第3号（不正の目的によるおそれ）".to_owned(),
            Ground::OverThousand => "第4号（1,000人超）".to_owned(),
        })
        .collect();
    let response = match &facts.patients_notified {
        Some((day, how)) => format!("{}に本人へ通知した。{}", date(*day), how.trim()),
        None => "本人への通知は未実施（準備中）。".to_owned(),
    };
    let recurrence = if facts.recurrence.is_empty() {
        or_to_fill(&facts.containment)
    } else {
        facts.recurrence.join("。")
    };
    let mut other = String::new();
    if !grounds.is_empty() {
        other.push_str(&format!(
            "報告対象となる事態：施行規則第7条{}。",
            grounds.join("、")
        ));
    }
    if !facts.containment.trim().is_empty() {
        other.push_str(&format!("被害拡大防止策：{}。", facts.containment.trim()));
    }
    vec![
        ("概要", overview),
        (
            "漏えい等が発生し、又は発生したおそれがある個人データの項目",
            items,
        ),
        (
            "漏えい等が発生し、又は発生したおそれがある個人データに係る本人の数",
            people,
        ),
        ("原因", cause),
        (
            "二次被害又はそのおそれの有無及びその内容",
            or_to_fill(&facts.leak),
        ),
        ("本人への対応の実施状況", response),
        ("公表の実施状況", or_to_fill(&facts.told_patients)),
        ("再発防止のための措置", recurrence),
        ("その他参考となる事項", or_to_fill(&other)),
    ]
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn a_notice_needs_a_known_recipient_and_a_day_not_in_the_future() {
        let today = date(2026, 12, 6);
        let notice =
            parse_notice("ppc_preliminary", "2026-12-04", "受付番号 123", today).expect("valid");
        assert_eq!(notice.code(), "ppc_preliminary@2026-12-04");
        assert_eq!(
            NewNotice::from_code(&notice.code()),
            Some((Recipient::PpcPreliminary, date(2026, 12, 4)))
        );
        assert_eq!(
            parse_notice("police", "", "", today).map(|n| n.on),
            Ok(today)
        );
        let errors = parse_notice("fbi", "2026-12-07", "", today).expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(ParseError::field).collect();
        assert_eq!(fields, vec!["recipient", "notified_on"]);
    }

    #[test]
    fn the_deadlines_are_met_or_missed_by_the_day_a_report_was_made() {
        // Known on Friday 2026-12-25: the 確報's 30th day is 2027-01-23 (a
        // Saturday), moved to Monday the 25th.
        let deadlines = Deadlines::counted_from(date(2026, 12, 25), 30);
        assert_eq!(deadlines.final_by, date(2027, 1, 25));
        assert_eq!(
            met(
                &deadlines,
                Some(date(2026, 12, 29)),
                Some(date(2027, 1, 25))
            ),
            [
                Some(Met::OnTime(date(2026, 12, 29))),
                Some(Met::OnTime(date(2027, 1, 25)))
            ]
        );
        assert_eq!(
            met(
                &deadlines,
                Some(date(2026, 12, 30)),
                Some(date(2027, 1, 26))
            ),
            [
                Some(Met::Late(date(2026, 12, 30))),
                Some(Met::Late(date(2027, 1, 26)))
            ]
        );
        assert_eq!(met(&deadlines, None, None), [None, None]);
    }

    #[test]
    fn the_ppc_text_is_filled_from_the_incident_and_says_what_is_still_unknown() {
        let facts = PpcFacts {
            institution_name: "まもり内科クリニック".into(),
            title: "脅迫文が表示された".into(),
            known_on: Some(date(2026, 12, 7)),
            reported: vec!["受付PCに英語の脅迫文".into()],
            patterns: vec!["脅迫文が表示された".into()],
            assessment: Some(Assessment {
                personal_data: true,
                sensitive: true,
                wrongful_purpose: true,
                people: Some(1200),
                ..Assessment::default()
            }),
            containment: "全端末のLANを切断".into(),
            ..PpcFacts::default()
        };
        let text = ppc_text(&facts);
        assert_eq!(text.len(), 9, "the rule's nine items");
        let get = |label: &str| {
            text.iter()
                .find(|(l, _)| *l == label)
                .map(|(_, t)| t.clone())
                .unwrap_or_default()
        };
        assert!(
            get("概要").contains("2026年12月7日（令和8年12月7日）に「脅迫文が表示された」を認知")
        );
        assert!(get("概要").contains("受付PCに英語の脅迫文"));
        assert!(
            get("漏えい等が発生し、又は発生したおそれがある個人データの項目")
                .contains("要配慮個人情報")
        );
        assert!(
            get("漏えい等が発生し、又は発生したおそれがある個人データに係る本人の数")
                .starts_with("1200人")
        );
        assert!(get("原因").contains("不正の目的"));
        assert_eq!(get("二次被害又はそのおそれの有無及びその内容"), TO_FILL);
        assert!(get("本人への対応の実施状況").contains("未実施"));
        assert!(
            get("その他参考となる事項").contains("第1号")
                && get("その他参考となる事項").contains("第4号")
        );
        assert_eq!(get("再発防止のための措置"), "全端末のLANを切断");
    }
}
