//! Continuity (issue #13): which of mamori's own backups to keep. Backups
//! rotate in generations — by default the newest of each of the last 7 days,
//! 4 ISO weeks and 12 months — so that an old, clean copy survives when the
//! newest ones are already encrypted by ransomware (manual II-1(3) asks for at
//! least three generations).

pub mod bcp;

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

/// How often `mamori serve --backup-every` runs a backup: a whole number and
/// a unit, `s`, `m`, `h` or `d` (e.g. `6h`, `1d`); at least one second, at
/// most 31 days.
pub fn parse_every(raw: &str) -> Result<std::time::Duration, String> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let bad = || format!("--backup-every {raw:?}: a whole number and s, m, h or d, like 6h or 1d");
    let number: u64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "s" => number,
        "m" => number.saturating_mul(60),
        "h" => number.saturating_mul(3600),
        "d" => number.saturating_mul(86_400),
        _ => return Err(bad()),
    };
    if seconds == 0 || seconds > 31 * 86_400 {
        return Err(format!("--backup-every {raw:?}: between 1s and 31d"));
    }
    Ok(std::time::Duration::from_secs(seconds))
}

/// mamori's own line in the backup register, as the scheduled backup first
/// writes it (the institution may then correct it, e.g. say the target
/// folder is a disk kept offline): taken every `every` into `location`,
/// keeping up to the generations of `retention`. Whether a copy is offline is
/// left unknown: mamori cannot tell, and the register asks.
pub fn own_backup_line(
    every: std::time::Duration,
    retention: Retention,
    location: &str,
) -> crate::ledger::NewBackupPlan {
    use crate::ledger::{BackupFrequency, BackupMethod};
    let hours = every.as_secs() / 3600;
    let frequency = match hours {
        0..=12 => BackupFrequency::Continuous,
        13..=24 => BackupFrequency::Daily,
        25..=168 => BackupFrequency::Weekly,
        _ => BackupFrequency::Monthly,
    };
    let generations = retention.daily + retention.weekly + retention.monthly;
    crate::ledger::NewBackupPlan {
        system: "mamori".to_owned(),
        asset_number: None,
        data: "データベース・署名鍵・監査証跡のチェックポイント・追加したカタログ（age暗号化）"
            .to_owned(),
        method: BackupMethod::Other,
        frequency,
        generations: u16::try_from(generations).unwrap_or(u16::MAX),
        offline_copy: None,
        location: location.chars().take(200).collect(),
        responsible: "mamori serve --backup-dir".to_owned(),
        last_success: None,
        note: String::new(),
    }
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
    fn the_backup_interval_reads_a_number_and_a_unit_within_bounds() {
        assert_eq!(
            parse_every("6h"),
            Ok(std::time::Duration::from_secs(21_600))
        );
        assert_eq!(
            parse_every(" 1d "),
            Ok(std::time::Duration::from_secs(86_400))
        );
        assert_eq!(parse_every("90s"), Ok(std::time::Duration::from_secs(90)));
        for bad in [
            "",
            "0s",
            "h",
            "1w",
            "-1h",
            "1.5h",
            "32d",
            "99999999999999999999d",
        ] {
            assert!(parse_every(bad).is_err(), "{bad}");
        }
        let line = own_backup_line(
            std::time::Duration::from_secs(86_400),
            Retention::DEFAULT,
            "/mnt/backup",
        );
        assert_eq!(line.frequency, crate::ledger::BackupFrequency::Daily);
        assert_eq!(line.generations, 23);
        assert_eq!(
            line.offline_copy, None,
            "mamori cannot know; the register asks"
        );
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
