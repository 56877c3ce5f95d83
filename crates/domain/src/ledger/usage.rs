//! The usage log (使用管理簿, 第6条) and private devices used for work
//! (私物の機器, 第7条).

use jiff::civil;

use super::device::Errors;
use crate::calendar::parse_date_ja;
use crate::error::required_text;
use crate::{ParseError, ParseErrorKind};

/// One use of a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUse {
    /// The device's 管理番号.
    pub asset_number: String,
    /// 使用年月日.
    pub used_on: civil::Date,
    /// 開始時間.
    pub start: civil::Time,
    /// 終了時間.
    pub end: civil::Time,
    /// 使用者.
    pub user_name: String,
    /// 起動時のウイルスチェックを実施.
    pub virus_checked: bool,
}

/// `09:30` or `9:30`.
fn parse_time(field: &'static str, raw: &str) -> Result<civil::Time, ParseError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(ParseError::new(field, ParseErrorKind::Empty));
    }
    let bad = || ParseError::new(field, ParseErrorKind::BadFormat("a time like 09:30"));
    let (hour, minute) = raw.split_once([':', '：']).ok_or_else(bad)?;
    let (Ok(hour), Ok(minute)) = (hour.trim().parse::<i8>(), minute.trim().parse::<i8>()) else {
        return Err(bad());
    };
    civil::Time::new(hour, minute, 0, 0).map_err(|_| bad())
}

/// A day that has happened: required, not after `today`.
fn past_day(field: &'static str, raw: &str, today: civil::Date) -> Result<civil::Date, ParseError> {
    match parse_date_ja(field, raw)? {
        Some(day) if day <= today => Ok(day),
        Some(_) => Err(ParseError::new(
            field,
            ParseErrorKind::Inconsistent("the date cannot be in the future"),
        )),
        None => Err(ParseError::new(field, ParseErrorKind::Empty)),
    }
}

/// Parses a line of the usage log; every wrong field is reported.
pub fn parse_use(
    asset_number: &str,
    used_on: &str,
    start: &str,
    end: &str,
    user_name: &str,
    virus_checked: bool,
    today: civil::Date,
) -> Result<NewUse, Vec<ParseError>> {
    let mut errors = Errors::default();
    let asset_number = errors.take(required_text("asset_number", asset_number, 32));
    let used_on = errors.take(past_day("used_on", used_on, today));
    let start = errors.take(parse_time("start_time", start));
    let end = errors.take(parse_time("end_time", end));
    if let (Some(start), Some(end)) = (start, end)
        && end <= start
    {
        errors.take(Err::<(), _>(ParseError::new(
            "end_time",
            ParseErrorKind::Inconsistent("the end must be after the start"),
        )));
    }
    let user_name = errors.take(required_text("user_name", user_name, 100));
    match (asset_number, used_on, start, end, user_name) {
        (Some(asset_number), Some(used_on), Some(start), Some(end), Some(user_name))
            if errors.0.is_empty() =>
        {
            Ok(NewUse {
                asset_number,
                used_on,
                start,
                end,
                user_name,
                virus_checked,
            })
        }
        _ => Err(errors.0),
    }
}

/// A private device allowed for work by the 所属長.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPrivateDevice {
    /// Whose it is.
    pub owner_name: String,
    /// What it is (USBメモリ, ノートPC …).
    pub device: String,
    /// Why it is needed.
    pub purpose: String,
    /// The 所属長 who allowed it.
    pub permitted_by: String,
    /// When.
    pub permitted_on: civil::Date,
}

/// Parses the permission form. The virus check must have been done before
/// permission is given (第7条(2)); every wrong field is reported.
pub fn parse_private_device(
    owner_name: &str,
    device: &str,
    purpose: &str,
    permitted_by: &str,
    permitted_on: &str,
    virus_checked: bool,
    today: civil::Date,
) -> Result<NewPrivateDevice, Vec<ParseError>> {
    let mut errors = Errors::default();
    let owner_name = errors.take(required_text("owner_name", owner_name, 100));
    let device = errors.take(required_text("device", device, 100));
    let purpose = errors.take(required_text("purpose", purpose, 200));
    let permitted_by = errors.take(required_text("permitted_by", permitted_by, 100));
    let permitted_on = errors.take(past_day("permitted_on", permitted_on, today));
    if !virus_checked {
        errors.take(Err::<(), _>(ParseError::new(
            "virus_checked",
            ParseErrorKind::Inconsistent("check the device for viruses before allowing it"),
        )));
    }
    match (owner_name, device, purpose, permitted_by, permitted_on) {
        (Some(owner_name), Some(device), Some(purpose), Some(permitted_by), Some(permitted_on))
            if errors.0.is_empty() =>
        {
            Ok(NewPrivateDevice {
                owner_name,
                device,
                purpose,
                permitted_by,
                permitted_on,
            })
        }
        _ => Err(errors.0),
    }
}

/// The day the data was deleted after use: not before the permission, not in
/// the future.
pub fn parse_deletion_day(
    raw: &str,
    permitted_on: civil::Date,
    today: civil::Date,
) -> Result<civil::Date, ParseError> {
    let day = past_day("data_deleted_on", raw, today)?;
    if day < permitted_on {
        return Err(ParseError::new(
            "data_deleted_on",
            ParseErrorKind::Inconsistent("the deletion cannot be before the permission"),
        ));
    }
    Ok(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_use_needs_a_device_a_past_day_and_an_end_after_its_start() {
        let today = civil::date(2026, 11, 25);
        let ok =
            parse_use("PC-001", "2026-11-25", "9:05", "12:30", "田中", true, today).expect("valid");
        assert_eq!(ok.start, civil::time(9, 5, 0, 0));
        let errors =
            parse_use("", "2026-11-26", "25:00", "x", "", false, today).expect_err("refused");
        let fields: Vec<&str> = errors.iter().map(ParseError::field).collect();
        assert_eq!(
            fields,
            vec![
                "asset_number",
                "used_on",
                "start_time",
                "end_time",
                "user_name"
            ]
        );
        let backwards = parse_use(
            "PC-001",
            "2026-11-25",
            "12:00",
            "11:00",
            "田中",
            true,
            today,
        )
        .expect_err("refused");
        assert_eq!(backwards[0].field(), "end_time");
    }

    #[test]
    fn a_private_device_is_allowed_only_after_the_virus_check_and_data_deleted_after() {
        let today = civil::date(2026, 11, 25);
        let errors = parse_private_device(
            "田中",
            "USBメモリ",
            "学会資料",
            "看護部長",
            "2026-11-20",
            false,
            today,
        )
        .expect_err("refused");
        assert_eq!(errors[0].field(), "virus_checked");
        let allowed = parse_private_device(
            "田中",
            "USBメモリ",
            "学会資料",
            "看護部長",
            "2026-11-20",
            true,
            today,
        )
        .expect("valid");
        assert!(parse_deletion_day("2026-11-19", allowed.permitted_on, today).is_err());
        assert!(parse_deletion_day("2026-11-26", allowed.permitted_on, today).is_err());
        assert_eq!(
            parse_deletion_day("2026-11-21", allowed.permitted_on, today),
            Ok(civil::date(2026, 11, 21))
        );
    }
}
