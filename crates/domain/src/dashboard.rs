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
