//! 次にやること: what the dashboard tells an institution to do next, from facts
//! gathered by the caller. Later issues add facts (checklist answers, ledgers).

/// What the dashboard knows about an institution.
#[derive(Debug, Clone, Copy, Default)]
pub struct DashboardFacts {
    /// Active users of the institution.
    pub n_active_users: i64,
    /// Days since the institution's details were last changed or confirmed.
    pub days_since_details_changed: i64,
}

/// One thing to do, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// Only the first administrator exists: register staff (no shared accounts, 別紙2 1.).
    AddUsers,
    /// The details have not been looked at for a year.
    CheckInstitutionDetails,
    /// Answer the MHLW checklist (its own issue will make this real).
    AnswerChecklist,
}

/// The steps for `facts`, in the order they should be done.
pub fn next_steps(facts: DashboardFacts) -> Vec<NextStep> {
    let mut steps = Vec::new();
    if facts.n_active_users <= 1 {
        steps.push(NextStep::AddUsers);
    }
    if facts.days_since_details_changed >= 365 {
        steps.push(NextStep::CheckInstitutionDetails);
    }
    steps.push(NextStep::AnswerChecklist);
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_clinic_is_told_to_add_staff_first() {
        let steps = next_steps(DashboardFacts {
            n_active_users: 1,
            days_since_details_changed: 0,
        });
        assert_eq!(steps, vec![NextStep::AddUsers, NextStep::AnswerChecklist]);
    }

    #[test]
    fn stale_details_are_flagged_after_a_year() {
        let steps = next_steps(DashboardFacts {
            n_active_users: 5,
            days_since_details_changed: 400,
        });
        assert_eq!(
            steps,
            vec![NextStep::CheckInstitutionDetails, NextStep::AnswerChecklist]
        );
    }
}

/// Whether the system clock follows a trusted time source (信頼できる時刻源, 第10条(4)③):
/// audit times are only as good as the clock.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TimeSync {
    /// Synchronised by NTP; the text names how this was learnt.
    Synchronised(String),
    /// The system says it is not synchronised.
    NotSynchronised(String),
    /// It could not be found out (no timedatectl or chronyc, or not checked yet).
    #[default]
    Unknown,
}

/// Reads `timedatectl show` output: `NTPSynchronized=yes` or `=no`.
pub fn parse_timedatectl(output: &str) -> Option<TimeSync> {
    let value = output
        .lines()
        .find_map(|line| line.trim().strip_prefix("NTPSynchronized="))?;
    match value.trim() {
        "yes" => Some(TimeSync::Synchronised("timedatectl".to_owned())),
        "no" => Some(TimeSync::NotSynchronised("timedatectl".to_owned())),
        _ => None,
    }
}

/// Reads `chronyc tracking` output: synchronised when the leap status is normal and
/// a reference is selected.
pub fn parse_chronyc_tracking(output: &str) -> Option<TimeSync> {
    let field = |name: &str| {
        output.lines().find_map(|line| {
            line.split_once(':')
                .filter(|(key, _)| key.trim() == name)
                .map(|(_, value)| value.trim().to_owned())
        })
    };
    let leap = field("Leap status")?;
    let reference = field("Reference ID").unwrap_or_default();
    if leap == "Normal" && !reference.starts_with("00000000") {
        Some(TimeSync::Synchronised(format!("chrony ({reference})")))
    } else {
        Some(TimeSync::NotSynchronised(format!("chrony: {leap}")))
    }
}

#[cfg(test)]
mod time_sync_tests {
    use super::*;

    #[test]
    fn timedatectl_and_chrony_outputs_are_read() {
        assert_eq!(
            parse_timedatectl("Timezone=Asia/Tokyo\nNTP=yes\nNTPSynchronized=yes\n"),
            Some(TimeSync::Synchronised("timedatectl".into()))
        );
        assert!(matches!(
            parse_timedatectl("NTPSynchronized=no"),
            Some(TimeSync::NotSynchronised(_))
        ));
        assert_eq!(parse_timedatectl("garbage"), None);
        let synced = "Reference ID    : A9FE7B7B (ntp.nict.jp)\nStratum         : 2\nLeap status     : Normal\n";
        assert!(matches!(
            parse_chronyc_tracking(synced),
            Some(TimeSync::Synchronised(_))
        ));
        let unsynced = "Reference ID    : 00000000 ()\nStratum         : 0\nLeap status     : Not synchronised\n";
        assert!(matches!(
            parse_chronyc_tracking(unsynced),
            Some(TimeSync::NotSynchronised(_))
        ));
        assert_eq!(parse_chronyc_tracking(""), None);
    }
}
