//! Continuity (issue #13): which of mamori's own backups to keep. Backups
//! rotate in generations — by default the newest of each of the last 7 days,
//! 4 ISO weeks and 12 months — so that an old, clean copy survives when the
//! newest ones are already encrypted by ransomware (manual II-1(3) asks for at
//! least three generations).

use jiff::civil;

/// How many generations of each kind to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// The newest backup of each of this many days.
    pub daily: usize,
    /// The newest backup of each of this many ISO weeks.
    pub weekly: usize,
    /// The newest backup of each of this many months.
    pub monthly: usize,
}

impl Retention {
    /// 7 daily, 4 weekly, 12 monthly.
    pub const DEFAULT: Self = Self {
        daily: 7,
        weekly: 4,
        monthly: 12,
    };
}

impl Default for Retention {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Which of `backups` (the local date and time each was taken) to keep under
/// `policy`: for each kind, the newest backup of each of the most recent
/// periods that have one, up to the count. The newest backup is always kept.
/// Returns one flag per backup, in the order given.
pub fn keep(backups: &[civil::DateTime], policy: Retention) -> Vec<bool> {
    let mut order: Vec<usize> = (0..backups.len()).collect();
    // Newest first; equal times keep their given order.
    order.sort_by(|a, b| backups[*b].cmp(&backups[*a]));
    let mut kept = vec![false; backups.len()];
    if let Some(newest) = order.first() {
        kept[*newest] = true;
    }
    let mut rule = |count: usize, period: &dyn Fn(civil::DateTime) -> (i16, i16)| {
        let mut seen: Vec<(i16, i16)> = Vec::new();
        for index in &order {
            if seen.len() == count {
                break;
            }
            let key = period(backups[*index]);
            if !seen.contains(&key) {
                seen.push(key);
                kept[*index] = true;
            }
        }
    };
    rule(policy.daily, &|at| (at.year(), at.date().day_of_year()));
    rule(policy.weekly, &|at| {
        let week = at.date().iso_week_date();
        (week.year(), i16::from(week.week()))
    });
    rule(policy.monthly, &|at| (at.year(), i16::from(at.month())));
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(date: &str) -> civil::DateTime {
        format!("{date}T02:00:00").parse().expect("a date-time")
    }

    fn kept_dates(backups: &[civil::DateTime], policy: Retention) -> Vec<String> {
        keep(backups, policy)
            .into_iter()
            .zip(backups)
            .filter(|(keep, _)| *keep)
            .map(|(_, at)| at.date().to_string())
            .collect()
    }

    #[test]
    fn daily_backups_for_a_year_keep_7_days_4_weeks_and_12_months() {
        // One backup a day from 2025-12-01 to 2026-12-03.
        let mut day = civil::date(2025, 12, 1);
        let mut backups = Vec::new();
        while day <= civil::date(2026, 12, 3) {
            backups.push(day.at(2, 0, 0, 0));
            day = day.tomorrow().expect("a next day");
        }
        let kept = kept_dates(&backups, Retention::DEFAULT);
        // 7 days: 11-27 … 12-03. Weeks: the newest of the 4 latest ISO weeks
        // (2026-W49 is Monday 11-30 …, so its newest is 12-03, already kept;
        // W48 → 11-29, W47 → 11-22, W46 → 11-15). Months: the newest of each
        // of 12 months: 12-03, 11-30, 10-31, … 2026-01-31 (12 in all).
        for date in [
            "2026-12-03",
            "2026-12-02",
            "2026-11-27",
            "2026-11-29",
            "2026-11-22",
            "2026-11-15",
            "2026-11-30",
            "2026-10-31",
            "2026-02-28",
            "2026-01-31",
        ] {
            assert!(kept.contains(&date.to_owned()), "{date} not kept: {kept:?}");
        }
        for date in ["2026-11-26", "2026-11-14", "2025-12-31", "2026-10-30"] {
            assert!(!kept.contains(&date.to_owned()), "{date} kept: {kept:?}");
        }
        // 7 daily (12-03 … 11-27) + 2 more weekly (11-22, 11-15; 11-29 is a
        // daily one) + 10 more monthly (12-03 and 11-30 are daily ones).
        assert_eq!(kept.len(), 7 + 2 + 10, "{kept:?}");
    }

    #[test]
    fn the_newest_is_kept_even_with_nothing_to_keep_and_order_does_not_matter() {
        let backups = [at("2026-01-05"), at("2026-03-01"), at("2026-02-01")];
        let none = Retention {
            daily: 0,
            weekly: 0,
            monthly: 0,
        };
        assert_eq!(keep(&backups, none), vec![false, true, false]);
        assert_eq!(
            keep(&backups, Retention::DEFAULT),
            vec![true, true, true],
            "three months, three generations"
        );
        assert!(keep(&[], Retention::DEFAULT).is_empty());
    }

    #[test]
    fn several_backups_a_day_keep_the_newest_of_the_day() {
        let backups: Vec<civil::DateTime> = ["01:00", "13:00", "07:00"]
            .iter()
            .map(|time| format!("2026-12-03T{time}:00").parse().expect("time"))
            .collect();
        assert_eq!(keep(&backups, Retention::DEFAULT), vec![false, true, false]);
    }
}
