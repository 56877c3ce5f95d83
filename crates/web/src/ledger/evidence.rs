//! The device ledger beside the checklist: its live state for the items it
//! speaks to (台帳管理, remote maintenance, MDS/SDS, patches, external media;
//! the backup register for the backup item),
//! its last change and review (棚卸), and a warning where it contradicts an はい.

use mamori_domain::institution::{Grant, permissions};
use mamori_domain::ledger::{
    ACCOUNT_ITEM_KEYS, AccountFacts, AccountFlag, Contradiction, DEVICE_ITEM_KEYS, DeviceFacts,
    STALE_UPDATE_DAYS, account_contradictions, account_flags, contradictions,
};

use crate::i18n::{LedgerText, fill};
use crate::page::Chrome;
use crate::{AppError, AppState};

/// What the item page shows from the ledger.
pub(crate) struct LedgerBox {
    /// Facts, one sentence each.
    pub lines: Vec<String>,
    /// Where the ledger contradicts the はい.
    pub warnings: Vec<String>,
}

fn warning(l: &LedgerText, contradiction: Contradiction) -> String {
    let text = match contradiction {
        Contradiction::NoDevices => l.contra_no_devices.to_owned(),
        Contradiction::RemoteUnknown(n) => fill(l.contra_remote_unknown, &[&n]),
        Contradiction::MdsSdsMissing(n) => fill(l.contra_mds_sds, &[&n]),
        Contradiction::StaleUpdates(n) => fill(l.contra_stale, &[&STALE_UPDATE_DAYS, &n]),
        Contradiction::MediaUnrestricted(n) => fill(l.contra_media, &[&n]),
        Contradiction::AccessRightsUnset => l.contra_access.to_owned(),
        Contradiction::LeaversAccountsActive(n) => fill(l.contra_leavers, &[&n]),
    };
    format!("{}{text}", l.contra_yes)
}

/// The box for the items the account ledger speaks to.
async fn account_box(
    state: &AppState,
    chrome: &Chrome,
    grant: &Grant<permissions::ViewLedger>,
    key: &str,
    answered_yes: bool,
) -> Result<LedgerBox, AppError> {
    let today = state.clock.today();
    let accounts = mamori_store::staff::list_accounts(&state.store, grant).await?;
    let rules = mamori_store::staff::access_rules(&state.store, grant).await?;
    let mut facts = AccountFacts {
        access_rules: rules.len(),
        ..AccountFacts::default()
    };
    for account in accounts.iter().filter(|a| a.deleted_on.is_none()) {
        facts.active += 1;
        if account.account.admin {
            facts.admins += 1;
        }
        let flags = account_flags(
            &account.account,
            account.owner.as_ref().and_then(|(_, left)| *left),
            today,
            mamori_domain::ledger::UNUSED_DAYS,
        );
        for flag in flags {
            match flag {
                AccountFlag::OwnerLeft => facts.owner_left += 1,
                AccountFlag::Unused => facts.unused += 1,
                AccountFlag::Shared | AccountFlag::NoOwner => facts.shared_or_ownerless += 1,
            }
        }
    }
    let l = chrome.l;
    let mut lines = vec![fill(l.box_accounts, &[&facts.active, &facts.admins])];
    if key == "access-rights" {
        lines.push(if facts.access_rules == 0 {
            l.box_access_unset.to_owned()
        } else {
            fill(l.box_access_set, &[&facts.access_rules])
        });
    } else {
        lines.push(fill(
            l.box_account_flags,
            &[&facts.owner_left, &facts.unused, &facts.shared_or_ownerless],
        ));
    }
    lines.push(
        match mamori_store::staff::last_inventory(&state.store, grant).await? {
            Some((day, who)) => fill(l.box_account_review, &[&chrome.date(&day), &who]),
            None => l.box_account_review_none.to_owned(),
        },
    );
    let warnings = if answered_yes {
        account_contradictions(key, &facts)
            .into_iter()
            .map(|contradiction| warning(l, contradiction))
            .collect()
    } else {
        Vec::new()
    };
    Ok(LedgerBox { lines, warnings })
}

/// The box for checklist item `key`, or `None` when the ledger does not speak to it.
pub(crate) async fn checklist_box(
    state: &AppState,
    chrome: &Chrome,
    grant: &Grant<permissions::ViewLedger>,
    key: &str,
    answered_yes: bool,
) -> Result<Option<LedgerBox>, AppError> {
    if let Some(backups) =
        crate::continuity::backup_box(state, chrome, grant, key, answered_yes).await?
    {
        return Ok(Some(backups));
    }
    if ACCOUNT_ITEM_KEYS.contains(&key) {
        return account_box(state, chrome, grant, key, answered_yes)
            .await
            .map(Some);
    }
    if !DEVICE_ITEM_KEYS.contains(&key) {
        return Ok(None);
    }
    let devices = mamori_store::device::all(&state.store, grant).await?;
    let facts = DeviceFacts::of(devices.iter().map(|d| &d.device), state.clock.today());
    let l = chrome.l;
    let mut lines = vec![fill(
        l.box_devices,
        &[&facts.active, &facts.servers, &facts.pcs, &facts.network],
    )];
    match key {
        "remote-maintenance" => {
            lines.push(fill(l.box_remote, &[&facts.remote, &facts.remote_unknown]))
        }
        "mds-sds" => lines.push(fill(
            l.box_mds_sds,
            &[&facts.remote, &facts.remote_without_mds_sds],
        )),
        "patch" => lines.push(fill(
            l.box_patch,
            &[
                &STALE_UPDATE_DAYS,
                &facts.stale_updates,
                &facts.no_update_date,
            ],
        )),
        "external-media" => lines.push(fill(
            l.box_media,
            &[&facts.media_unrestricted, &facts.media_unknown],
        )),
        _ => {}
    }
    let last_change = mamori_store::device::last_change(&state.store, grant).await?;
    lines.push(match last_change {
        Some(at) => fill(
            l.box_last_change,
            &[&chrome.date(&at.to_zoned_datetime(crate::tokyo()).date())],
        ),
        None => l.box_last_change_none.to_owned(),
    });
    let review = mamori_store::device::last_review(&state.store, grant).await?;
    lines.push(match review {
        Some(review) => fill(
            l.box_device_review,
            &[&chrome.date(&review.reviewed_on), &review.reviewed_by],
        ),
        None => l.box_device_review_none.to_owned(),
    });
    let warnings = if answered_yes {
        contradictions(key, &facts)
            .into_iter()
            .map(|contradiction| warning(l, contradiction))
            .collect()
    } else {
        Vec::new()
    };
    Ok(Some(LedgerBox { lines, warnings }))
}
