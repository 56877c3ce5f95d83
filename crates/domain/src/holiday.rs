//! Japan's national holidays (国民の祝日に関する法律), computed from the law's
//! rules as they stand since 2020: the fixed days, the Monday holidays
//! (ハッピーマンデー), the equinoxes (春分の日・秋分の日, by the usual formula
//! for 1980–2099, which matches the 国立天文台's announcements), 振替休日
//! and 国民の休日. The one-off moves of 2020 and 2021 (the Tokyo Olympics)
//! are listed. Dates before 2020 are computed with today's rules and may differ.

use jiff::civil::{Date, Weekday, date};

/// Whether `day` is a national holiday, a 振替休日 or a 国民の休日.
pub fn is_national_holiday(day: Date) -> bool {
    if holiday_proper(day) {
        return true;
    }
    // 振替休日: when a holiday falls on a Sunday, the first following day
    // that is not a holiday is one.
    let mut back = day;
    while let Ok(previous) = back.yesterday() {
        if !holiday_proper(previous) {
            break;
        }
        if previous.weekday() == Weekday::Sunday {
            return true;
        }
        back = previous;
    }
    // 国民の休日: a day between two holidays.
    matches!((day.yesterday(), day.tomorrow()), (Ok(before), Ok(after))
        if holiday_proper(before) && holiday_proper(after))
}

/// The holidays the law names (国民の祝日), without substitutes.
fn holiday_proper(day: Date) -> bool {
    let (year, month, dom) = (day.year(), day.month(), day.day());
    // The Olympic years moved 海の日, スポーツの日 and 山の日.
    let moved: &[(i8, i8)] = match year {
        2020 => &[(7, 23), (7, 24), (8, 10)],
        2021 => &[(7, 22), (7, 23), (8, 8)],
        _ => &[],
    };
    if !moved.is_empty() {
        if moved.contains(&(month, dom)) {
            return true;
        }
        if (month, dom) == (8, 11) || ordinal_monday(day, 3, 7) || ordinal_monday(day, 2, 10) {
            return false;
        }
    }
    match (month, dom) {
        (1, 1)
        | (2, 11)
        | (2, 23)
        | (4, 29)
        | (5, 3)
        | (5, 4)
        | (5, 5)
        | (8, 11)
        | (11, 3)
        | (11, 23) => true,
        (3, _) => i32::from(dom) == equinox(year, 20.8431),
        (9, _) => i32::from(dom) == equinox(year, 23.2488) || ordinal_monday(day, 3, 9),
        (1, _) => ordinal_monday(day, 2, 1),
        (7, _) => ordinal_monday(day, 3, 7),
        (10, _) => ordinal_monday(day, 2, 10),
        _ => false,
    }
}

/// Whether `day` is the `nth` Monday of `month`.
fn ordinal_monday(day: Date, nth: i8, month: i8) -> bool {
    day.month() == month && day.weekday() == Weekday::Monday && (day.day() - 1) / 7 + 1 == nth
}

/// The day of March (base 20.8431) or September (23.2488) of the equinox.
fn equinox(year: i16, base: f64) -> i32 {
    let since = f64::from(year - 1980);
    (base + 0.242194 * since - (since / 4.0).floor()).floor() as i32
}

/// Every national holiday of `year`, in order (for pages and tests).
pub fn holidays_of(year: i16) -> Vec<Date> {
    let mut days = Vec::new();
    let mut day = date(year, 1, 1);
    while day.year() == year {
        if is_national_holiday(day) {
            days.push(day);
        }
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    days
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(year: i16) -> String {
        holidays_of(year)
            .iter()
            .map(|d| format!("{:02}{:02}", d.month(), d.day()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn the_years_match_the_published_lists() {
        // From the Cabinet Office's list as carried by python `holidays` (Japan).
        assert_eq!(
            listed(2025),
            "0101 0113 0211 0223 0224 0320 0429 0503 0504 0505 0506 0721 0811 0915 0923 1013 1103 1123 1124"
        );
        assert_eq!(
            listed(2026),
            "0101 0112 0211 0223 0320 0429 0503 0504 0505 0506 0720 0811 0921 0922 0923 1012 1103 1123"
        );
        assert_eq!(
            listed(2027),
            "0101 0111 0211 0223 0321 0322 0429 0503 0504 0505 0719 0811 0920 0923 1011 1103 1123"
        );
        // 2032: 敬老の日 on the 20th, 秋分の日 on the 22nd, 国民の休日 between.
        assert_eq!(
            listed(2032),
            "0101 0112 0211 0223 0320 0429 0503 0504 0505 0719 0811 0920 0921 0922 1011 1103 1123"
        );
        // The Olympic year 2021: 海の日 7/22, スポーツの日 7/23, 山の日 8/8 and its 振替休日 8/9.
        let y2021 = listed(2021);
        assert!(y2021.contains("0722 0723 0808 0809"), "{y2021}");
        assert!(
            !y2021.contains("0719") && !y2021.contains("0811") && !y2021.contains("1011"),
            "{y2021}"
        );
    }
}
