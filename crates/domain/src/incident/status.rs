//! Where an incident stands, how grave it is, and what its timeline records.

choice! {
    /// The incident's stage (報告 → 調査中 → 対策会議 → 復旧中 → 事後対応 → 終了).
    pub enum Status {
        /// 報告: reported, nobody has taken it yet (the banner shows).
        Reported = ("reported", "報告") => "Reported",
        /// 調査中.
        Investigating = ("investigating", "調査中") => "Investigating",
        /// 対策会議 (別紙3 §3).
        Meeting = ("meeting", "対策会議") => "Response meeting",
        /// 復旧中.
        Recovering = ("recovering", "復旧中") => "Recovering",
        /// 事後対応 (II-10: 再発防止策).
        Aftercare = ("aftercare", "事後対応") => "Follow-up",
        /// 終了.
        Closed = ("closed", "終了") => "Closed",
    }
}

impl Status {
    /// Whether the incident is still being handled.
    pub fn is_open(self) -> bool {
        self != Self::Closed
    }

    /// The stage an incident moves to when someone takes charge of it: a
    /// reported incident is being investigated from then on (調査中); any
    /// later stage stays where it is.
    pub fn on_taking_charge(self) -> Option<Self> {
        (self == Self::Reported).then_some(Self::Investigating)
    }
}

choice! {
    /// How grave the incident is, as judged by whoever handles it.
    pub enum Severity {
        /// 未評価: nobody has judged it yet.
        Unassessed = ("unassessed", "未評価") => "Not assessed",
        /// 軽微: no harm to care or data.
        Low = ("low", "軽微") => "Low",
        /// 中: some systems or data affected.
        Medium = ("medium", "中") => "Medium",
        /// 重大: care or patient data affected.
        High = ("high", "重大") => "High",
        /// 緊急: care stopped, or data taken or encrypted (ransomware).
        Critical = ("critical", "緊急") => "Critical",
    }
}

choice! {
    /// What a timeline entry records.
    pub enum EntryKind {
        /// A report was received (opening the incident or joining it).
        Report = ("report", "報告受付") => "Report received",
        /// The status changed (value: the new status's code).
        Status = ("status", "状況の変更") => "Status changed",
        /// The severity changed (value: the new severity's code).
        Severity = ("severity", "重大度の変更") => "Severity changed",
        /// Someone took charge (value: their login ID).
        Lead = ("lead", "担当者") => "Person in charge",
        /// A vendor's account was called in to answer manual IV (value: its
        /// display name).
        VendorCalled = ("vendor_called", "ベンダへ依頼") => "Vendor called in",
        /// A note, decision or correction in words.
        Note = ("note", "記録") => "Note",
        /// A playbook step was done (step: its id).
        StepDone = ("step_done", "手順 実施") => "Step done",
        /// A playbook step does not apply (step: its id; body: why).
        StepNotApplicable = ("step_na", "手順 該当なし") => "Step not applicable",
        /// A file was added (a photo, a log).
        File = ("file", "ファイル") => "File added",
        /// The personal-data assessment (value: `deadline::Assessment::code`);
        /// the latest one counts.
        Assessment = ("assessment", "個人情報の評価") => "Personal-data assessment",
        /// A 対策会議 and its decisions (body: the record, as the store keeps it).
        Meeting = ("meeting", "対策会議") => "Response meeting",
        /// A notice outside (value: `notice::NewNotice::code`; body: how).
        Notice = ("notice", "外部への連絡・報告") => "Notice given",
        /// A 再発防止策 task was set (value: the task's id; body: what).
        Task = ("task", "再発防止策") => "Preventive task",
        /// A task was done (value: the task's id; body: a remark).
        TaskDone = ("task_done", "再発防止策 完了") => "Preventive task done",
    }
}

/// The longest note, reason or remark a handler writes on the timeline.
pub const MAX_NOTE: usize = 2000;

/// A handler's note, reason or remark: at most [`MAX_NOTE`] characters,
/// lines allowed, no control characters; `required` refuses an empty one.
pub fn parse_note(
    field: &'static str,
    raw: &str,
    required: bool,
) -> Result<String, crate::ParseError> {
    let text = crate::error::multiline_text(field, raw, MAX_NOTE)?;
    if required && text.is_empty() {
        return Err(crate::ParseError::new(field, crate::ParseErrorKind::Empty));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_is_checked_like_every_other_text() {
        assert_eq!(
            parse_note("text", "  ベンダへ電話\r\n済み ", true),
            Ok("ベンダへ電話\n済み".to_owned())
        );
        assert_eq!(parse_note("text", "  ", false), Ok(String::new()));
        assert!(parse_note("text", "  ", true).is_err());
        assert!(parse_note("text", "a\u{202E}b", false).is_err());
        assert!(parse_note("text", &"x".repeat(MAX_NOTE + 1), false).is_err());
    }

    #[test]
    fn taking_charge_starts_the_investigation_only_of_a_reported_incident() {
        assert_eq!(
            Status::Reported.on_taking_charge(),
            Some(Status::Investigating)
        );
        for later in [
            Status::Investigating,
            Status::Meeting,
            Status::Recovering,
            Status::Aftercare,
            Status::Closed,
        ] {
            assert_eq!(later.on_taking_charge(), None, "{later:?}");
        }
    }
}
