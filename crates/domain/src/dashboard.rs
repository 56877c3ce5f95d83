//! 次にやること: what the dashboard tells an institution to do next, from facts
//! gathered by the caller. Later issues add facts (checklist answers, ledgers).

/// What the dashboard knows about an institution.
#[derive(Debug, Clone, Copy, Default)]
pub struct DashboardFacts {
    /// Active users of the institution.
    pub n_active_users: i64,
    /// Days since the institution's details were last changed or confirmed.
    pub days_since_details_changed: i64,
    /// This 年度's checklist, when the person may see it.
    pub checklist: Option<ChecklistFacts>,
    /// Carry-out requests waiting for this person's decision (approvers only).
    pub carry_outs_waiting: i64,
    /// Carry-out requests the person sees that are out past their return date.
    pub carry_outs_overdue: i64,
    /// Accounts of staff who left, still to be deleted (for ledger readers).
    pub leavers_accounts: i64,
    /// Backup register lines whose restore test is due or overdue, or never done (for ledger readers).
    pub restore_tests_due: usize,
    /// Backup register lines with a failed last test, no offline copy or
    /// fewer than three generations (for ledger readers).
    pub backups_at_risk: usize,
    /// Whether the latest run of mamori's own scheduled backup failed.
    pub own_backup_failed: bool,
    /// What the contact chart lacks (for those who handle incidents).
    pub contact_chart_gaps: usize,
    /// The security policy, for those who write it: `None` when no version
    /// is approved, else how many members of staff past their 入職日 have
    /// not acknowledged the current one.
    pub policy: Option<PolicyFacts>,
    /// Members of staff overdue for training (for those who record it).
    pub training_overdue: usize,
    /// Remote maintenance sessions carried out whose vendor report is not in
    /// (for ledger readers).
    pub maintenance_reports_awaited: usize,
}

/// Where the security policy stands, for those who write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyFacts {
    /// No version is approved yet.
    NotApproved,
    /// This many members of staff, past their 入職日, have not acknowledged
    /// the current version (別紙2).
    Unacknowledged(usize),
}

/// Where this 年度's checklist stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChecklistFacts {
    /// Whether the 年度's assessment has been started.
    pub started: bool,
    /// Items not yet はい or 対象外.
    pub open: usize,
    /// Of those, items past their 目標日 or due date.
    pub overdue: usize,
}

/// One thing to do, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// Only the first administrator exists: register staff (no shared accounts, 別紙2 1.).
    AddUsers,
    /// The details have not been looked at for a year.
    CheckInstitutionDetails,
    /// Start this 年度's MHLW checklist.
    StartChecklist,
    /// Items of this 年度's checklist are past their date.
    ChecklistOverdue(usize),
    /// Items of this 年度's checklist are still open.
    FinishChecklist(usize),
    /// Carry-outs are out past their return date.
    CarryOutsOverdue(i64),
    /// Carry-out requests wait for a decision.
    DecideCarryOuts(i64),
    /// Leavers' accounts wait to be deleted (退職者のアカウント削除).
    DeleteLeaversAccounts(i64),
    /// mamori's own last scheduled backup failed.
    OwnBackupFailed,
    /// Backups ransomware could reach or that did not restore (バックアップ台帳).
    SecureBackups(usize),
    /// Restore tests are due (復旧手順の確認, 第15条(3)).
    TestRestores(usize),
    /// The contact chart (連絡体制図) lacks numbers or its yearly check.
    CompleteContactChart(usize),
    /// No version of the security policy is approved (第1–16条).
    ApprovePolicy,
    /// Members of staff have not acknowledged the policy's current version (別紙2).
    AcknowledgePolicy(usize),
    /// Members of staff are overdue for training (on hiring, about yearly).
    TrainStaff(usize),
    /// Remote maintenance sessions wait for the vendor's report.
    CollectMaintenanceReports(usize),
}

/// The steps for `facts`, in the order they should be done.
pub fn next_steps(facts: DashboardFacts) -> Vec<NextStep> {
    let mut steps = Vec::new();
    if facts.carry_outs_overdue > 0 {
        steps.push(NextStep::CarryOutsOverdue(facts.carry_outs_overdue));
    }
    if facts.carry_outs_waiting > 0 {
        steps.push(NextStep::DecideCarryOuts(facts.carry_outs_waiting));
    }
    if facts.leavers_accounts > 0 {
        steps.push(NextStep::DeleteLeaversAccounts(facts.leavers_accounts));
    }
    if facts.own_backup_failed {
        steps.push(NextStep::OwnBackupFailed);
    }
    if facts.backups_at_risk > 0 {
        steps.push(NextStep::SecureBackups(facts.backups_at_risk));
    }
    if facts.restore_tests_due > 0 {
        steps.push(NextStep::TestRestores(facts.restore_tests_due));
    }
    // The contact chart is built from the people holding the roles: register
    // them first.
    if facts.n_active_users <= 1 {
        steps.push(NextStep::AddUsers);
    }
    if facts.contact_chart_gaps > 0 {
        steps.push(NextStep::CompleteContactChart(facts.contact_chart_gaps));
    }
    match facts.policy {
        Some(PolicyFacts::NotApproved) => steps.push(NextStep::ApprovePolicy),
        Some(PolicyFacts::Unacknowledged(n)) if n > 0 => steps.push(NextStep::AcknowledgePolicy(n)),
        _ => {}
    }
    if facts.training_overdue > 0 {
        steps.push(NextStep::TrainStaff(facts.training_overdue));
    }
    if facts.maintenance_reports_awaited > 0 {
        steps.push(NextStep::CollectMaintenanceReports(
            facts.maintenance_reports_awaited,
        ));
    }
    if facts.days_since_details_changed >= 365 {
        steps.push(NextStep::CheckInstitutionDetails);
    }
    match facts.checklist {
        Some(ChecklistFacts { started: false, .. }) => steps.push(NextStep::StartChecklist),
        Some(ChecklistFacts { overdue, .. }) if overdue > 0 => {
            steps.push(NextStep::ChecklistOverdue(overdue))
        }
        Some(ChecklistFacts { open, .. }) if open > 0 => {
            steps.push(NextStep::FinishChecklist(open))
        }
        _ => {}
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checklist(started: bool, open: usize, overdue: usize) -> Option<ChecklistFacts> {
        Some(ChecklistFacts {
            started,
            open,
            overdue,
        })
    }

    #[test]
    fn a_new_clinic_is_told_to_add_staff_first() {
        let steps = next_steps(DashboardFacts {
            n_active_users: 1,
            days_since_details_changed: 0,
            checklist: checklist(false, 0, 0),
            ..DashboardFacts::default()
        });
        assert_eq!(steps, vec![NextStep::AddUsers, NextStep::StartChecklist]);
    }

    #[test]
    fn a_failed_own_backup_comes_before_weak_backups_and_due_restore_tests() {
        let steps = next_steps(DashboardFacts {
            n_active_users: 5,
            restore_tests_due: 2,
            backups_at_risk: 1,
            own_backup_failed: true,
            ..DashboardFacts::default()
        });
        assert_eq!(
            steps,
            vec![
                NextStep::OwnBackupFailed,
                NextStep::SecureBackups(1),
                NextStep::TestRestores(2)
            ]
        );
    }

    #[test]
    fn an_incomplete_contact_chart_comes_after_the_backups_and_after_adding_staff() {
        let steps = next_steps(DashboardFacts {
            n_active_users: 1,
            restore_tests_due: 1,
            contact_chart_gaps: 3,
            ..DashboardFacts::default()
        });
        assert_eq!(
            steps,
            vec![
                NextStep::TestRestores(1),
                NextStep::AddUsers,
                NextStep::CompleteContactChart(3)
            ]
        );
    }

    #[test]
    fn the_policy_is_asked_for_until_approved_and_then_read_by_everyone() {
        let steps = |policy| {
            next_steps(DashboardFacts {
                n_active_users: 5,
                policy,
                ..DashboardFacts::default()
            })
        };
        assert_eq!(steps(None), vec![]);
        assert_eq!(
            steps(Some(PolicyFacts::NotApproved)),
            vec![NextStep::ApprovePolicy]
        );
        assert_eq!(
            steps(Some(PolicyFacts::Unacknowledged(3))),
            vec![NextStep::AcknowledgePolicy(3)]
        );
        assert_eq!(steps(Some(PolicyFacts::Unacknowledged(0))), vec![]);
    }

    #[test]
    fn stale_details_are_flagged_after_a_year() {
        let steps = next_steps(DashboardFacts {
            n_active_users: 5,
            days_since_details_changed: 400,
            checklist: None,
            ..DashboardFacts::default()
        });
        assert_eq!(steps, vec![NextStep::CheckInstitutionDetails]);
    }

    #[test]
    fn overdue_checklist_items_come_before_open_ones_and_a_finished_list_says_nothing() {
        let with = |facts| {
            next_steps(DashboardFacts {
                n_active_users: 5,
                days_since_details_changed: 0,
                checklist: facts,
                ..DashboardFacts::default()
            })
        };
        assert_eq!(
            with(checklist(true, 7, 2)),
            vec![NextStep::ChecklistOverdue(2)]
        );
        assert_eq!(
            with(checklist(true, 7, 0)),
            vec![NextStep::FinishChecklist(7)]
        );
        assert!(with(checklist(true, 0, 0)).is_empty());
    }

    #[test]
    fn overdue_carry_outs_come_first_then_requests_to_decide() {
        let steps = next_steps(DashboardFacts {
            n_active_users: 5,
            carry_outs_waiting: 2,
            carry_outs_overdue: 1,
            ..DashboardFacts::default()
        });
        assert_eq!(
            steps,
            vec![NextStep::CarryOutsOverdue(1), NextStep::DecideCarryOuts(2)]
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
