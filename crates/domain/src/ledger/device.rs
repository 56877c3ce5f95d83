//! The device ledger (使用機器一覧表, policy 第5条): one row per server, PC,
//! network device, medium or other machine that holds or reaches patient
//! information, with what the checklist asks about it (items 2(1), 2(2), 2(6)).

use std::net::IpAddr;

use jiff::civil;

use crate::calendar::parse_date_ja;
use crate::error::{optional_text, required_text};
use crate::{ParseError, ParseErrorKind};

choice! {
    /// 種別.
    pub enum DeviceKind {
        /// サーバ (also the medical devices that store images or results, 第5条(1)④).
        Server = ("server", "サーバ", "サーバー") => "Server",
        /// 端末PC.
        Pc = ("pc", "端末PC", "パソコン", "PC", "端末") => "PC",
        /// タブレット.
        Tablet = ("tablet", "タブレット") => "Tablet",
        /// スマートフォン.
        Smartphone = ("smartphone", "スマートフォン", "スマホ") => "Smartphone",
        /// ネットワーク機器 (ルータ, スイッチ, Wi-Fi, VPN, ファイアウォール).
        Network = ("network", "ネットワーク機器", "ルータ", "ルーター") => "Network device",
        /// 記録媒体 (USB, HDD, SSD, 光学ドライブ).
        Media = ("media", "記録媒体", "USB", "USBメモリ", "外付けHDD") => "Storage media",
        /// カードリーダー.
        CardReader = ("card-reader", "カードリーダー") => "Card reader",
        /// IoT機器.
        Iot = ("iot", "IoT機器") => "IoT device",
        /// 医療機器.
        Medical = ("medical", "医療機器") => "Medical device",
        /// 監視カメラ.
        Camera = ("camera", "監視カメラ") => "Security camera",
        /// プリンタ・複合機.
        Printer = ("printer", "プリンタ・複合機", "プリンタ", "プリンター", "複合機") => "Printer or multifunction device",
        /// その他.
        Other = ("other", "その他") => "Other",
    }
}

choice! {
    /// 状態.
    pub enum DeviceStatus {
        /// 稼働.
        Active = ("active", "稼働", "稼働中") => "In use",
        /// 予備.
        Spare = ("spare", "予備") => "Spare",
        /// 停止.
        Stopped = ("stopped", "停止") => "Stopped",
        /// 廃棄: only through the disposal record; it leaves the active ledger.
        Disposed = ("disposed", "廃棄", "廃棄済み") => "Disposed of",
    }
}

choice! {
    /// ウイルス対策ソフト.
    pub enum Antivirus {
        /// 導入済み (and updated).
        Installed = ("installed", "導入済み", "あり", "導入") => "Installed",
        /// 未導入.
        Missing = ("missing", "未導入", "なし") => "Not installed",
        /// 対象外 (no OS that takes one, e.g. a switch or a USB stick).
        NotApplicable = ("n/a", "対象外") => "Not applicable",
        /// 不明.
        Unknown = ("unknown", "不明", "") => "Unknown",
    }
}

/// An answer that may be unknown: はい, いいえ or (empty) 不明.
pub type YesNo = Option<bool>;

/// Reads はい／いいえ in the ways spreadsheets write them; empty or 不明 is `None`.
pub fn parse_yes_no(field: &'static str, raw: &str) -> Result<YesNo, ParseError> {
    match raw.trim() {
        "" | "不明" | "unknown" => Ok(None),
        "はい" | "yes" | "あり" | "有" | "済" | "済み" | "○" | "〇" | "true" | "1" => {
            Ok(Some(true))
        }
        "いいえ" | "no" | "なし" | "無" | "未" | "×" | "false" | "0" => Ok(Some(false)),
        _ => Err(ParseError::new(field, ParseErrorKind::UnknownChoice)),
    }
}

/// How a [`YesNo`] is written: はい, いいえ or empty.
pub fn yes_no_ja(value: YesNo) -> &'static str {
    match value {
        Some(true) => "はい",
        Some(false) => "いいえ",
        None => "",
    }
}

/// How a [`YesNo`] reads in the English UI: Yes, No or empty.
pub fn yes_no_en(value: YesNo) -> &'static str {
    match value {
        Some(true) => "Yes",
        Some(false) => "No",
        None => "",
    }
}

/// A MAC address, written `AA:BB:CC:DD:EE:FF`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MacAddress([u8; 6]);

impl MacAddress {
    /// Reads `aa:bb:cc:dd:ee:ff`, `AA-BB-CC-DD-EE-FF` or `aabb.ccdd.eeff`.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, ParseError> {
        let hex: String = raw
            .trim()
            .chars()
            .filter(|c| !matches!(c, ':' | '-' | '.'))
            .collect();
        let bad = || {
            ParseError::new(
                field,
                ParseErrorKind::BadFormat("a MAC address like 00:1A:2B:3C:4D:5E"),
            )
        };
        if hex.len() != 12 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let mut bytes = [0u8; 6];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(Self(bytes))
    }
}

impl std::fmt::Display for MacAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02X}:{b:02X}:{c:02X}:{d:02X}:{e:02X}:{g:02X}")
    }
}

/// Splits a list written with spaces, commas, semicolons or new lines.
fn list_items(raw: &str) -> impl Iterator<Item = &str> {
    raw.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '、' | '，'))
        .filter(|part| !part.is_empty())
}

/// Remote maintenance (リモート保守) of a device.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RemoteMaintenance {
    /// Whether a vendor maintains it remotely: はい／いいえ／不明.
    pub used: YesNo,
    /// The vendor (事業者).
    pub vendor: String,
    /// How it connects (VPN, 専用線, リモートデスクトップ…).
    pub method: String,
}

/// Whether USB storage and other external media are restricted on the device
/// (the FY2025 checklist's addition), and how.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExternalMedia {
    /// はい (restricted) / いいえ / 不明.
    pub restricted: YesNo,
    /// How: 機器制御ソフト, グループポリシー, 物理的な封印…
    pub how: String,
}

/// A device as the ledger keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDevice {
    /// 種別.
    pub kind: DeviceKind,
    /// 管理番号, unique in the institution.
    pub asset_number: String,
    /// メーカー・型番.
    pub maker_model: String,
    /// 管理場所.
    pub location: String,
    /// 管理責任者.
    pub manager: String,
    /// 備考.
    pub remarks: String,
    /// OS・ファームウェアのバージョン.
    pub os_version: String,
    /// 最終セキュリティ更新日.
    pub last_security_update: Option<civil::Date>,
    /// ウイルス対策.
    pub antivirus: Antivirus,
    /// リモート保守.
    pub remote: RemoteMaintenance,
    /// MDS/SDS を受領.
    pub mds_sds_received: YesNo,
    /// インターネット接続.
    pub internet_connected: YesNo,
    /// ネットワークセグメント (e.g. 電子カルテLAN).
    pub segment: String,
    /// IP addresses.
    pub ip_addresses: Vec<IpAddr>,
    /// MAC addresses.
    pub mac_addresses: Vec<MacAddress>,
    /// 初期パスワード変更済み.
    pub initial_password_changed: YesNo,
    /// 外部記録媒体の制限.
    pub external_media: ExternalMedia,
    /// 状態 (never 廃棄 here: disposal has its own record).
    pub status: DeviceStatus,
}

/// A device form or import row before parsing: every field as text.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawDevice<'a> {
    pub kind: &'a str,
    pub asset_number: &'a str,
    pub maker_model: &'a str,
    pub location: &'a str,
    pub manager: &'a str,
    pub remarks: &'a str,
    pub os_version: &'a str,
    pub last_security_update: &'a str,
    pub antivirus: &'a str,
    pub remote_used: &'a str,
    pub remote_vendor: &'a str,
    pub remote_method: &'a str,
    pub mds_sds_received: &'a str,
    pub internet_connected: &'a str,
    pub segment: &'a str,
    pub ip_addresses: &'a str,
    pub mac_addresses: &'a str,
    pub initial_password_changed: &'a str,
    pub external_media_restricted: &'a str,
    pub external_media_how: &'a str,
    pub status: &'a str,
}

/// The most IP or MAC addresses one device may list.
const MAX_ADDRESSES: usize = 16;

/// A 管理番号: 1–32 characters, no control characters, no leading or trailing space.
pub fn parse_asset_number(raw: &str) -> Result<String, ParseError> {
    required_text("asset_number", raw, 32)
}

/// Parses a device, reporting every field that is wrong, not only the first.
/// `today` bounds the last security update (it cannot be in the future).
pub fn parse_device(raw: &RawDevice<'_>, today: civil::Date) -> Result<NewDevice, Vec<ParseError>> {
    let mut errors = Errors::default();
    let kind = errors.take(DeviceKind::parse("kind", raw.kind));
    let asset_number = errors.take(parse_asset_number(raw.asset_number));
    let maker_model = errors.take(optional_text("maker_model", raw.maker_model, 100));
    let location = errors.take(optional_text("location", raw.location, 100));
    let manager = errors.take(optional_text("manager", raw.manager, 100));
    let remarks = errors.take(optional_text("remarks", raw.remarks, 500));
    let os_version = errors.take(optional_text("os_version", raw.os_version, 100));
    let last_security_update = errors.take(
        parse_date_ja("last_security_update", raw.last_security_update).and_then(
            |date| match date {
                Some(date) if date > today => Err(ParseError::new(
                    "last_security_update",
                    ParseErrorKind::Inconsistent("the date cannot be in the future"),
                )),
                other => Ok(other),
            },
        ),
    );
    let antivirus = errors.take(Antivirus::parse("antivirus", raw.antivirus));
    let remote_used = errors.take(parse_yes_no("remote_used", raw.remote_used));
    let remote_vendor = errors.take(optional_text("remote_vendor", raw.remote_vendor, 100));
    let remote_method = errors.take(optional_text("remote_method", raw.remote_method, 100));
    if let (Some(Some(true)), Some("")) = (remote_used, remote_vendor.as_deref()) {
        errors.take(Err::<(), _>(ParseError::new(
            "remote_vendor",
            ParseErrorKind::Inconsistent("name the vendor that maintains it remotely"),
        )));
    }
    let mds_sds_received = errors.take(parse_yes_no("mds_sds_received", raw.mds_sds_received));
    let internet_connected =
        errors.take(parse_yes_no("internet_connected", raw.internet_connected));
    let segment = errors.take(optional_text("segment", raw.segment, 100));
    let ip_addresses = errors.take(parse_list("ip_addresses", raw.ip_addresses, |part| {
        part.parse::<IpAddr>().map_err(|_| {
            ParseError::new(
                "ip_addresses",
                ParseErrorKind::BadFormat("IP addresses like 192.168.1.10, separated by spaces"),
            )
        })
    }));
    let mac_addresses = errors.take(parse_list("mac_addresses", raw.mac_addresses, |part| {
        MacAddress::parse("mac_addresses", part)
    }));
    let initial_password_changed = errors.take(parse_yes_no(
        "initial_password_changed",
        raw.initial_password_changed,
    ));
    let external_media_restricted = errors.take(parse_yes_no(
        "external_media_restricted",
        raw.external_media_restricted,
    ));
    let external_media_how = errors.take(optional_text(
        "external_media_how",
        raw.external_media_how,
        200,
    ));
    let status = errors.take(match raw.status.trim() {
        "" => Ok(DeviceStatus::Active),
        other => DeviceStatus::parse("status", other).and_then(|status| {
            if status == DeviceStatus::Disposed {
                Err(ParseError::new(
                    "status",
                    ParseErrorKind::Inconsistent("record a disposal to mark a device disposed"),
                ))
            } else {
                Ok(status)
            }
        }),
    });
    match (
        kind,
        asset_number,
        maker_model,
        location,
        manager,
        remarks,
        os_version,
        last_security_update,
        antivirus,
        remote_used,
        remote_vendor,
        remote_method,
        mds_sds_received,
        internet_connected,
        segment,
        ip_addresses,
        mac_addresses,
        initial_password_changed,
        external_media_restricted,
        external_media_how,
        status,
    ) {
        (
            Some(kind),
            Some(asset_number),
            Some(maker_model),
            Some(location),
            Some(manager),
            Some(remarks),
            Some(os_version),
            Some(last_security_update),
            Some(antivirus),
            Some(remote_used),
            Some(remote_vendor),
            Some(remote_method),
            Some(mds_sds_received),
            Some(internet_connected),
            Some(segment),
            Some(ip_addresses),
            Some(mac_addresses),
            Some(initial_password_changed),
            Some(external_media_restricted),
            Some(external_media_how),
            Some(status),
        ) if errors.0.is_empty() => Ok(NewDevice {
            kind,
            asset_number,
            maker_model,
            location,
            manager,
            remarks,
            os_version,
            last_security_update,
            antivirus,
            remote: RemoteMaintenance {
                used: remote_used,
                vendor: remote_vendor,
                method: remote_method,
            },
            mds_sds_received,
            internet_connected,
            segment,
            ip_addresses,
            mac_addresses,
            initial_password_changed,
            external_media: ExternalMedia {
                restricted: external_media_restricted,
                how: external_media_how,
            },
            status,
        }),
        _ => Err(errors.0),
    }
}

/// Collects every field's error while parsing goes on.
#[derive(Default)]
pub(crate) struct Errors(pub(crate) Vec<ParseError>);

impl Errors {
    /// The value, or `None` with the error kept.
    pub(crate) fn take<T>(&mut self, result: Result<T, ParseError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.0.push(error);
                None
            }
        }
    }
}

fn parse_list<T: PartialEq>(
    field: &'static str,
    raw: &str,
    parse: impl Fn(&str) -> Result<T, ParseError>,
) -> Result<Vec<T>, ParseError> {
    let too_many = || {
        ParseError::new(
            field,
            ParseErrorKind::OutOfRange {
                min: 0,
                max: MAX_ADDRESSES as i64,
            },
        )
    };
    let mut values = Vec::new();
    for part in list_items(raw) {
        let value = parse(part)?;
        if !values.contains(&value) {
            // Stop at once: a huge cell must not cost quadratic time.
            if values.len() == MAX_ADDRESSES {
                return Err(too_many());
            }
            values.push(value);
        }
    }
    Ok(values)
}

impl NewDevice {
    /// IP addresses as one field: `192.168.1.10 192.168.2.10`.
    pub fn ip_text(&self) -> String {
        join(&self.ip_addresses)
    }

    /// MAC addresses as one field.
    pub fn mac_text(&self) -> String {
        join(&self.mac_addresses)
    }
}

fn join<T: std::fmt::Display>(values: &[T]) -> String {
    values
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> civil::Date {
        civil::date(2026, 11, 25)
    }

    fn minimal<'a>() -> RawDevice<'a> {
        RawDevice {
            kind: "端末PC",
            asset_number: "PC-001",
            ..RawDevice::default()
        }
    }

    #[test]
    fn a_row_like_the_seeds_example_is_a_device_with_unknowns_left_unknown() {
        let device = parse_device(
            &RawDevice {
                kind: "パソコン",
                asset_number: " PC-001 ",
                maker_model: "〇〇",
                location: "医事課",
                manager: "医事課長",
                ..RawDevice::default()
            },
            today(),
        )
        .expect("a device");
        assert_eq!(device.kind, DeviceKind::Pc);
        assert_eq!(device.asset_number, "PC-001");
        assert_eq!(device.status, DeviceStatus::Active);
        assert_eq!(device.antivirus, Antivirus::Unknown);
        assert_eq!(device.initial_password_changed, None);
        assert!(device.ip_addresses.is_empty());
    }

    #[test]
    fn every_wrong_field_is_reported_at_once() {
        let errors = parse_device(
            &RawDevice {
                kind: "冷蔵庫",
                asset_number: "",
                last_security_update: "令和7年13月1日",
                ip_addresses: "192.168.1.300",
                mac_addresses: "00:11:22",
                internet_connected: "たぶん",
                ..RawDevice::default()
            },
            today(),
        )
        .expect_err("refused");
        let fields: Vec<&str> = errors.iter().map(ParseError::field).collect();
        assert_eq!(
            fields,
            vec![
                "kind",
                "asset_number",
                "last_security_update",
                "internet_connected",
                "ip_addresses",
                "mac_addresses"
            ]
        );
    }

    #[test]
    fn addresses_are_normalised_and_deduplicated() {
        let device = parse_device(
            &RawDevice {
                ip_addresses: "192.168.1.10, 192.168.1.10 fe80::1",
                mac_addresses: "00-1a-2b-3c-4d-5e\n001a.2b3c.4d5f",
                ..minimal()
            },
            today(),
        )
        .expect("a device");
        assert_eq!(device.ip_text(), "192.168.1.10 fe80::1");
        assert_eq!(device.mac_text(), "00:1A:2B:3C:4D:5E 00:1A:2B:3C:4D:5F");
    }

    #[test]
    fn remote_maintenance_names_its_vendor_and_disposal_is_not_a_status_to_type() {
        let errors = parse_device(
            &RawDevice {
                remote_used: "はい",
                status: "廃棄",
                ..minimal()
            },
            today(),
        )
        .expect_err("refused");
        let fields: Vec<&str> = errors.iter().map(ParseError::field).collect();
        assert_eq!(fields, vec!["remote_vendor", "status"]);
        let future = parse_device(
            &RawDevice {
                last_security_update: "2026-11-26",
                ..minimal()
            },
            today(),
        )
        .expect_err("refused");
        assert_eq!(future[0].field(), "last_security_update");
    }

    #[test]
    fn a_huge_address_list_is_refused_at_the_seventeenth_address() {
        let many: String = (0..100_000)
            .map(|n| format!("10.{}.{}.{} ", n / 65536, n / 256 % 256, n % 256))
            .collect();
        let errors = parse_device(
            &RawDevice {
                ip_addresses: &many,
                ..minimal()
            },
            today(),
        )
        .expect_err("refused");
        assert_eq!(errors[0].field(), "ip_addresses");
    }

    #[test]
    fn choices_read_codes_names_and_aliases_and_refuse_the_rest() {
        for kind in DeviceKind::ALL {
            assert_eq!(DeviceKind::parse("kind", kind.code()), Ok(*kind));
            assert_eq!(DeviceKind::parse("kind", kind.name_ja()), Ok(*kind));
        }
        assert_eq!(DeviceKind::parse("kind", "USB"), Ok(DeviceKind::Media));
        assert!(DeviceKind::parse("kind", "pc ").is_ok());
        assert!(DeviceKind::parse("kind", "パソコンX").is_err());
        assert_eq!(parse_yes_no("f", "○"), Ok(Some(true)));
        assert_eq!(parse_yes_no("f", "いいえ"), Ok(Some(false)));
        assert_eq!(parse_yes_no("f", " "), Ok(None));
        assert!(parse_yes_no("f", "maybe").is_err());
    }
}
