//! What the ledger says about the checklist's items: the facts shown beside
//! an answer, and where the ledger contradicts an はい (e.g. はい to 台帳管理
//! while no device is registered).

use jiff::civil;

use super::device::{Antivirus, DeviceKind, DeviceStatus, NewDevice};

/// Days after which a last security update counts as stale.
pub const STALE_UPDATE_DAYS: i32 = 180;

/// The device ledger, summed up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceFacts {
    /// Devices in the active ledger (not disposed).
    pub active: usize,
    /// Servers, PCs and network devices among them (what 2(1) asks about).
    pub servers: usize,
    pub pcs: usize,
    pub network: usize,
    /// Devices maintained remotely, and those whose remote maintenance is unknown.
    pub remote: usize,
    pub remote_unknown: usize,
    /// Remotely maintained devices without MDS/SDS received.
    pub remote_without_mds_sds: usize,
    /// Servers and PCs whose last security update is older than [`STALE_UPDATE_DAYS`],
    /// and those with no date recorded.
    pub stale_updates: usize,
    pub no_update_date: usize,
    /// Servers and PCs with external media not restricted, or unknown.
    pub media_unrestricted: usize,
    pub media_unknown: usize,
    /// Devices whose initial password was not changed.
    pub initial_password_kept: usize,
    /// Devices without anti-virus where one applies.
    pub antivirus_missing: usize,
}

impl DeviceFacts {
    /// Sums up `devices` (disposed ones are skipped) as of `today`.
    pub fn of<'a>(devices: impl IntoIterator<Item = &'a NewDevice>, today: civil::Date) -> Self {
        let mut facts = Self::default();
        for device in devices {
            if device.status == DeviceStatus::Disposed {
                continue;
            }
            facts.active += 1;
            let computer = matches!(device.kind, DeviceKind::Server | DeviceKind::Pc);
            match device.kind {
                DeviceKind::Server => facts.servers += 1,
                DeviceKind::Pc => facts.pcs += 1,
                DeviceKind::Network => facts.network += 1,
                _ => {}
            }
            match device.remote.used {
                Some(true) => {
                    facts.remote += 1;
                    if device.mds_sds_received != Some(true) {
                        facts.remote_without_mds_sds += 1;
                    }
                }
                Some(false) => {}
                None => facts.remote_unknown += 1,
            }
            if computer {
                match device.last_security_update {
                    None => facts.no_update_date += 1,
                    Some(date)
                        if today
                            .since(date)
                            .is_ok_and(|span| span.get_days() > STALE_UPDATE_DAYS) =>
                    {
                        facts.stale_updates += 1
                    }
                    Some(_) => {}
                }
                match device.external_media.restricted {
                    Some(false) => facts.media_unrestricted += 1,
                    None => facts.media_unknown += 1,
                    Some(true) => {}
                }
            }
            if device.initial_password_changed == Some(false) {
                facts.initial_password_kept += 1;
            }
            if device.antivirus == Antivirus::Missing {
                facts.antivirus_missing += 1;
            }
        }
        facts
    }
}

/// Where the ledger contradicts an はい.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contradiction {
    /// はい to 台帳管理, but no server, PC or network device is registered.
    NoDevices,
    /// はい to having checked remote maintenance, but some devices' is unknown.
    RemoteUnknown(usize),
    /// はい to MDS/SDS, but remotely maintained devices lack it.
    MdsSdsMissing(usize),
    /// はい to patches, but servers or PCs have stale updates.
    StaleUpdates(usize),
    /// はい to restricting external media, but servers or PCs do not.
    MediaUnrestricted(usize),
    /// はい to access rights per 職種, but the matrix is empty.
    AccessRightsUnset,
    /// はい to deleting unneeded accounts, but leavers' accounts are active.
    LeaversAccountsActive(usize),
}

/// The account ledger, summed up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountFacts {
    /// Accounts not deleted.
    pub active: usize,
    /// Active accounts whose owner has left.
    pub owner_left: usize,
    /// Active accounts unused for long.
    pub unused: usize,
    /// Active shared or ownerless accounts.
    pub shared_or_ownerless: usize,
    /// Active accounts with 管理者権限.
    pub admins: usize,
    /// Cells of the access matrix that grant something.
    pub access_rules: usize,
}

/// The checklist items the account ledger speaks to, by topic key.
pub const ACCOUNT_ITEM_KEYS: [&str; 2] = ["access-rights", "unneeded-accounts"];

/// What the account ledger contradicts if item `key` is answered はい.
pub fn account_contradictions(key: &str, facts: &AccountFacts) -> Vec<Contradiction> {
    match key {
        "access-rights" if facts.access_rules == 0 => vec![Contradiction::AccessRightsUnset],
        "unneeded-accounts" if facts.owner_left > 0 => {
            vec![Contradiction::LeaversAccountsActive(facts.owner_left)]
        }
        _ => Vec::new(),
    }
}

/// The checklist items the device ledger speaks to, by topic key.
pub const DEVICE_ITEM_KEYS: [&str; 5] = [
    "ledger",
    "remote-maintenance",
    "mds-sds",
    "patch",
    "external-media",
];

/// What the ledger contradicts if item `key` is answered はい.
pub fn contradictions(key: &str, facts: &DeviceFacts) -> Vec<Contradiction> {
    let mut found = Vec::new();
    match key {
        "ledger" if facts.servers + facts.pcs + facts.network == 0 => {
            found.push(Contradiction::NoDevices)
        }
        "remote-maintenance" if facts.remote_unknown > 0 => {
            found.push(Contradiction::RemoteUnknown(facts.remote_unknown))
        }
        "mds-sds" if facts.remote_without_mds_sds > 0 => {
            found.push(Contradiction::MdsSdsMissing(facts.remote_without_mds_sds))
        }
        "patch" if facts.stale_updates > 0 => {
            found.push(Contradiction::StaleUpdates(facts.stale_updates))
        }
        "external-media" if facts.media_unrestricted > 0 => {
            found.push(Contradiction::MediaUnrestricted(facts.media_unrestricted))
        }
        _ => {}
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::device::{ExternalMedia, RemoteMaintenance};

    fn device(kind: DeviceKind) -> NewDevice {
        NewDevice {
            kind,
            asset_number: "X".into(),
            maker_model: String::new(),
            location: String::new(),
            manager: String::new(),
            remarks: String::new(),
            os_version: String::new(),
            last_security_update: Some(civil::date(2026, 10, 1)),
            antivirus: Antivirus::Installed,
            remote: RemoteMaintenance {
                used: Some(false),
                ..RemoteMaintenance::default()
            },
            mds_sds_received: None,
            internet_connected: None,
            segment: String::new(),
            ip_addresses: Vec::new(),
            mac_addresses: Vec::new(),
            initial_password_changed: Some(true),
            external_media: ExternalMedia {
                restricted: Some(true),
                how: String::new(),
            },
            status: DeviceStatus::Active,
        }
    }

    #[test]
    fn an_empty_ledger_contradicts_a_yes_to_ledger_keeping_only() {
        let today = civil::date(2026, 11, 25);
        let empty = DeviceFacts::of(&[], today);
        assert_eq!(
            contradictions("ledger", &empty),
            vec![Contradiction::NoDevices]
        );
        assert!(contradictions("patch", &empty).is_empty());
        let media = device(DeviceKind::Media);
        let only_media = DeviceFacts::of([&media], today);
        assert_eq!(
            contradictions("ledger", &only_media),
            vec![Contradiction::NoDevices],
            "a USB stick is not a server, PC or network device"
        );
    }

    #[test]
    fn stale_patches_missing_mds_and_open_usb_ports_are_counted() {
        let today = civil::date(2026, 11, 25);
        let mut old = device(DeviceKind::Pc);
        old.last_security_update = Some(civil::date(2026, 1, 5));
        old.external_media.restricted = Some(false);
        let mut remote = device(DeviceKind::Server);
        remote.remote.used = Some(true);
        let mut unknown = device(DeviceKind::Network);
        unknown.remote.used = None;
        let mut disposed = device(DeviceKind::Pc);
        disposed.status = DeviceStatus::Disposed;
        disposed.last_security_update = None;
        let facts = DeviceFacts::of([&old, &remote, &unknown, &disposed], today);
        assert_eq!(facts.active, 3);
        assert_eq!(
            contradictions("patch", &facts),
            vec![Contradiction::StaleUpdates(1)]
        );
        assert_eq!(
            contradictions("mds-sds", &facts),
            vec![Contradiction::MdsSdsMissing(1)]
        );
        assert_eq!(
            contradictions("remote-maintenance", &facts),
            vec![Contradiction::RemoteUnknown(1)]
        );
        assert_eq!(
            contradictions("external-media", &facts),
            vec![Contradiction::MediaUnrestricted(1)]
        );
        assert!(contradictions("ledger", &facts).is_empty());
        assert_eq!(facts.no_update_date, 0, "the disposed PC does not count");
    }

    #[test]
    fn a_leavers_active_account_contradicts_a_yes_to_deleting_unneeded_ones() {
        let clean = AccountFacts {
            active: 3,
            access_rules: 4,
            ..AccountFacts::default()
        };
        assert!(account_contradictions("unneeded-accounts", &clean).is_empty());
        assert!(account_contradictions("access-rights", &clean).is_empty());
        let left = AccountFacts {
            owner_left: 2,
            ..clean
        };
        assert_eq!(
            account_contradictions("unneeded-accounts", &left),
            vec![Contradiction::LeaversAccountsActive(2)]
        );
        assert_eq!(
            account_contradictions("access-rights", &AccountFacts::default()),
            vec![Contradiction::AccessRightsUnset]
        );
    }
}
