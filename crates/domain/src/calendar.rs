//! The Japanese calendar: 和暦 (era) dates and the fiscal year (年度, April to March).
//!
//! Era boundaries come from `icu_calendar`'s Japanese calendar; we only map its
//! era codes to names and write year 1 as 元年, which ICU leaves to the caller.

use std::fmt;

use icu_calendar::{Date, cal::Japanese};
use jiff::civil;

use crate::{ParseError, ParseErrorKind};

/// A modern Japanese era (元号).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Era {
    /// 明治
    Meiji,
    /// 大正
    Taisho,
    /// 昭和
    Showa,
    /// 平成
    Heisei,
    /// 令和
    Reiwa,
}

impl Era {
    fn from_icu_code(code: &str) -> Option<Self> {
        match code {
            "meiji" => Some(Self::Meiji),
            "taisho" => Some(Self::Taisho),
            "showa" => Some(Self::Showa),
            "heisei" => Some(Self::Heisei),
            "reiwa" => Some(Self::Reiwa),
            _ => None,
        }
    }

    /// The era's name in Japanese, e.g. `令和`.
    pub fn name_ja(self) -> &'static str {
        match self {
            Self::Meiji => "明治",
            Self::Taisho => "大正",
            Self::Showa => "昭和",
            Self::Heisei => "平成",
            Self::Reiwa => "令和",
        }
    }

    /// The era's name in Latin letters, e.g. `Reiwa`.
    pub fn name_en(self) -> &'static str {
        match self {
            Self::Meiji => "Meiji",
            Self::Taisho => "Taisho",
            Self::Showa => "Showa",
            Self::Heisei => "Heisei",
            Self::Reiwa => "Reiwa",
        }
    }
}

/// A year counted in an era: 令和7年 is `EraYear { era: Reiwa, year: 7 }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EraYear {
    era: Era,
    year: i32,
}

impl EraYear {
    /// The era.
    pub fn era(&self) -> Era {
        self.era
    }

    /// The year within the era, starting at 1.
    pub fn year(&self) -> i32 {
        self.year
    }

    /// `令和7年`, with year 1 written as `元年`.
    pub fn to_ja(&self) -> String {
        if self.year == 1 {
            format!("{}元年", self.era.name_ja())
        } else {
            format!("{}{}年", self.era.name_ja(), self.year)
        }
    }

    /// `Reiwa 7`.
    pub fn to_en(&self) -> String {
        format!("{} {}", self.era.name_en(), self.year)
    }
}

/// The era year of a Gregorian date, or `None` before 明治6年 (1873), when Japan
/// adopted the Gregorian calendar and dates stop being comparable.
pub fn era_year_of(date: civil::Date) -> Option<EraYear> {
    let iso = Date::try_new_iso(
        i32::from(date.year()),
        u8::try_from(date.month()).ok()?,
        u8::try_from(date.day()).ok()?,
    )
    .ok()?;
    let japanese = iso.to_calendar(Japanese::new());
    let era_year = japanese.era_year();
    let era = Era::from_icu_code(era_year.era.as_str())?;
    Some(EraYear {
        era,
        year: era_year.year,
    })
}

/// `2025年4月1日（令和7年4月1日）`: the form every page and document uses.
pub fn format_date_ja(date: civil::Date) -> String {
    match era_year_of(date) {
        Some(era_year) => format!(
            "{}年{}月{}日（{}{}月{}日）",
            date.year(),
            date.month(),
            date.day(),
            era_year.to_ja(),
            date.month(),
            date.day()
        ),
        None => format!("{}年{}月{}日", date.year(), date.month(), date.day()),
    }
}

/// `令和7年4月1日` alone, for forms that print only the 和暦.
pub fn format_wareki(date: civil::Date) -> String {
    match era_year_of(date) {
        Some(era_year) => format!("{}{}月{}日", era_year.to_ja(), date.month(), date.day()),
        None => format!("{}年{}月{}日", date.year(), date.month(), date.day()),
    }
}

/// `2025-04-01 (Reiwa 7)`: the English form.
pub fn format_date_en(date: civil::Date) -> String {
    match era_year_of(date) {
        Some(era_year) => format!("{date} ({})", era_year.to_en()),
        None => date.to_string(),
    }
}

/// A fiscal year (年度): FY2025 runs from 2025-04-01 to 2026-03-31.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FiscalYear(i16);

impl FiscalYear {
    /// The earliest fiscal year mamori accepts (the first full year of 平成).
    pub const MIN: i16 = 1990;
    /// The latest fiscal year mamori accepts.
    pub const MAX: i16 = 2200;

    /// The fiscal year that starts on April 1 of `start_year`.
    pub fn new(start_year: i16) -> Result<Self, ParseError> {
        if !(Self::MIN..=Self::MAX).contains(&start_year) {
            return Err(ParseError::new(
                "fiscal_year",
                ParseErrorKind::OutOfRange {
                    min: i64::from(Self::MIN),
                    max: i64::from(Self::MAX),
                },
            ));
        }
        Ok(Self(start_year))
    }

    /// The fiscal year a date falls in: January to March belong to the year before.
    pub fn containing(date: civil::Date) -> Self {
        if date.month() >= 4 {
            Self(date.year())
        } else {
            Self(date.year() - 1)
        }
    }

    /// The Gregorian year in which this fiscal year starts (2025 for 2025年度).
    pub fn start_year(&self) -> i16 {
        self.0
    }

    /// April 1, the first day.
    pub fn first_day(&self) -> civil::Date {
        civil::date(self.0, 4, 1)
    }

    /// March 31 of the next year, the last day.
    pub fn last_day(&self) -> civil::Date {
        civil::date(self.0 + 1, 3, 31)
    }

    /// Whether `date` lies inside this fiscal year.
    pub fn contains(&self, date: civil::Date) -> bool {
        self.first_day() <= date && date <= self.last_day()
    }

    /// The era year the fiscal year is named by. The name follows the era in force
    /// at the year's end, so 2019年度 (April 2019, still 平成31年, to March 2020) is
    /// 令和元年度, as MHLW writes it; the number counts from the era's first year.
    pub fn era_year(&self) -> Option<EraYear> {
        let at_end = era_year_of(self.last_day())?;
        let era_first_gregorian_year = i32::from(self.last_day().year()) - at_end.year + 1;
        Some(EraYear {
            era: at_end.era,
            year: i32::from(self.0) - era_first_gregorian_year + 1,
        })
    }

    /// `2025年度（令和7年度）`.
    pub fn label_ja(&self) -> String {
        match self.era_year() {
            Some(era_year) => format!("{}年度（{}度）", self.0, era_year.to_ja()),
            None => format!("{}年度", self.0),
        }
    }

    /// `FY2025 (Reiwa 7)`.
    pub fn label_en(&self) -> String {
        match self.era_year() {
            Some(era_year) => format!("FY{} ({})", self.0, era_year.to_en()),
            None => format!("FY{}", self.0),
        }
    }
}

impl fmt::Display for FiscalYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for FiscalYear {
    type Err = ParseError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let start_year: i16 = raw.trim().parse().map_err(|_| {
            ParseError::new(
                "fiscal_year",
                ParseErrorKind::BadFormat("a year such as 2025 is expected"),
            )
        })?;
        Self::new(start_year)
    }
}

/// Parses a date as people write it in Japanese ledgers and spreadsheets:
/// `2025-04-01`, `2025/4/1`, `2025年4月1日`, `令和7年4月1日` (`元年` too),
/// `R7.4.1` / `R7/4/1` and the same with H (平成) and S (昭和). An empty field is
/// `None`. A 和暦 date must exist and lie inside its era (令和元年4月30日 is refused:
/// 令和 began on 1 May 2019).
pub fn parse_date_ja(field: &'static str, raw: &str) -> Result<Option<civil::Date>, ParseError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let bad = || {
        ParseError::new(
            field,
            ParseErrorKind::BadFormat("a date like 2026-04-01 or 令和8年4月1日"),
        )
    };
    let missing = || {
        ParseError::new(
            field,
            ParseErrorKind::BadFormat("a date that exists, like 2026-04-01"),
        )
    };
    let (era, rest) = split_era(raw);
    let rest = rest.replace("元年", "1年");
    let numbers: Vec<&str> = rest
        .split(['-', '/', '.', '年', '月', '日'])
        .filter(|part| !part.is_empty())
        .collect();
    let [year, month, day] = numbers.as_slice() else {
        return Err(bad());
    };
    let digits = |part: &str| -> Option<i32> {
        if part.is_empty() || part.len() > 4 || !part.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (Some(year), Some(month), Some(day)) = (digits(year), digits(month), digits(day)) else {
        return Err(bad());
    };
    let gregorian_year = match era {
        None => year,
        Some(era) => era_start_year(era) + year - 1,
    };
    let (Ok(year16), Ok(month8), Ok(day8)) = (
        i16::try_from(gregorian_year),
        i8::try_from(month),
        i8::try_from(day),
    ) else {
        return Err(missing());
    };
    let date = civil::Date::new(year16, month8, day8).map_err(|_| missing())?;
    if let Some(era) = era {
        match era_year_of(date) {
            Some(found) if found.era() == era && found.year() == year => {}
            _ => {
                return Err(ParseError::new(
                    field,
                    ParseErrorKind::BadFormat("a date inside its era (令和 began on 2019-05-01)"),
                ));
            }
        }
    }
    Ok(Some(date))
}

/// The era named at the start of `raw` (`令和`, `R`, `Ｒ`…), and the rest.
fn split_era(raw: &str) -> (Option<Era>, &str) {
    const PREFIXES: [(&str, Era); 12] = [
        ("令和", Era::Reiwa),
        ("平成", Era::Heisei),
        ("昭和", Era::Showa),
        ("R", Era::Reiwa),
        ("H", Era::Heisei),
        ("S", Era::Showa),
        ("r", Era::Reiwa),
        ("h", Era::Heisei),
        ("s", Era::Showa),
        ("Ｒ", Era::Reiwa),
        ("Ｈ", Era::Heisei),
        ("Ｓ", Era::Showa),
    ];
    PREFIXES
        .iter()
        .find_map(|(prefix, era)| raw.strip_prefix(prefix).map(|rest| (Some(*era), rest)))
        .unwrap_or((None, raw))
}

/// The Gregorian year in which `era` has its year 1.
fn era_start_year(era: Era) -> i32 {
    match era {
        Era::Meiji => 1868,
        Era::Taisho => 1912,
        Era::Showa => 1926,
        Era::Heisei => 1989,
        Era::Reiwa => 2019,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_date(date: civil::Date, expect_ja: &str) {
        assert_eq!(format_date_ja(date), expect_ja);
    }

    #[test]
    fn dates_show_gregorian_and_wareki() {
        check_date(civil::date(2025, 4, 1), "2025年4月1日（令和7年4月1日）");
        check_date(civil::date(2019, 4, 30), "2019年4月30日（平成31年4月30日）");
        check_date(civil::date(2019, 5, 1), "2019年5月1日（令和元年5月1日）");
        check_date(civil::date(1989, 1, 7), "1989年1月7日（昭和64年1月7日）");
        check_date(civil::date(1989, 1, 8), "1989年1月8日（平成元年1月8日）");
        assert_eq!(format_wareki(civil::date(2026, 11, 25)), "令和8年11月25日");
        assert_eq!(
            format_date_en(civil::date(2019, 5, 1)),
            "2019-05-01 (Reiwa 1)"
        );
    }

    fn check_fiscal_year(date: civil::Date, expect_start_year: i16, expect_label: &str) {
        let fiscal_year = FiscalYear::containing(date);
        assert_eq!(fiscal_year.start_year(), expect_start_year, "{date}");
        assert_eq!(fiscal_year.label_ja(), expect_label, "{date}");
        assert!(fiscal_year.contains(date));
    }

    #[test]
    fn fiscal_year_runs_april_to_march_across_the_heisei_reiwa_boundary() {
        check_fiscal_year(civil::date(2019, 3, 31), 2018, "2018年度（平成30年度）");
        check_fiscal_year(civil::date(2019, 4, 1), 2019, "2019年度（令和元年度）");
        check_fiscal_year(civil::date(2019, 4, 30), 2019, "2019年度（令和元年度）");
        check_fiscal_year(civil::date(2019, 5, 1), 2019, "2019年度（令和元年度）");
        check_fiscal_year(civil::date(2020, 3, 31), 2019, "2019年度（令和元年度）");
        check_fiscal_year(civil::date(2020, 4, 1), 2020, "2020年度（令和2年度）");
        check_fiscal_year(civil::date(2026, 1, 15), 2025, "2025年度（令和7年度）");
        check_fiscal_year(civil::date(2026, 11, 25), 2026, "2026年度（令和8年度）");
    }

    #[test]
    fn fiscal_year_bounds_are_inclusive() {
        let fiscal_year = FiscalYear::new(2025).expect("2025 is in range");
        assert_eq!(fiscal_year.first_day(), civil::date(2025, 4, 1));
        assert_eq!(fiscal_year.last_day(), civil::date(2026, 3, 31));
        assert!(!fiscal_year.contains(civil::date(2025, 3, 31)));
        assert!(!fiscal_year.contains(civil::date(2026, 4, 1)));
        assert_eq!(fiscal_year.label_en(), "FY2025 (Reiwa 7)");
    }

    #[test]
    fn fiscal_year_parsing_rejects_garbage_and_out_of_range() {
        assert_eq!(
            "2025".parse::<FiscalYear>().map(|f| f.start_year()),
            Ok(2025)
        );
        assert!("令和7".parse::<FiscalYear>().is_err());
        assert!("1800".parse::<FiscalYear>().is_err());
        assert!("".parse::<FiscalYear>().is_err());
    }

    #[test]
    fn dates_are_read_in_the_forms_japanese_ledgers_use() {
        let date = |raw| parse_date_ja("d", raw);
        let april = civil::date(2025, 4, 1);
        for raw in [
            "2025-04-01",
            "2025/4/1",
            "2025年4月1日",
            "令和7年4月1日",
            "R7.4.1",
            "R7/4/1",
            " r7.04.01 ",
        ] {
            assert_eq!(date(raw), Ok(Some(april)), "{raw}");
        }
        assert_eq!(date("令和元年5月1日"), Ok(Some(civil::date(2019, 5, 1))));
        assert_eq!(date("平成31年4月30日"), Ok(Some(civil::date(2019, 4, 30))));
        assert_eq!(date("H30.1.5"), Ok(Some(civil::date(2018, 1, 5))));
        assert_eq!(date(""), Ok(None));
        for raw in [
            "令和7年13月1日",
            "2025-02-30",
            "令和元年4月30日",
            "平成31年5月1日",
            "R7.4",
            "昨日",
            "2025-04-01-02",
            "令和七年四月一日",
        ] {
            assert!(date(raw).is_err(), "{raw} should be refused");
        }
        assert_eq!(
            date("令和7年13月1日").map_err(|e| e.field()),
            Err("d"),
            "the error names the field"
        );
    }
}
