//! The device ledger beside the checklist: its live state for the items it
//! speaks to (台帳管理, remote maintenance, MDS/SDS, patches, external media),
//! its last change and review (棚卸), and a warning where it contradicts an はい.

use mamori_domain::institution::{Grant, permissions};
use mamori_domain::ledger::{
    ACCOUNT_ITEM_KEYS, AccountFacts, AccountFlag, Contradiction, DEVICE_ITEM_KEYS, DeviceFacts,
    STALE_UPDATE_DAYS, account_contradictions, account_flags, contradictions,
};

use crate::page::Chrome;
use crate::{AppError, AppState};

/// What the item page shows from the ledger.
pub(crate) struct LedgerBox {
    /// Facts, one sentence each.
    pub lines: Vec<String>,
    /// Where the ledger contradicts the はい.
    pub warnings: Vec<String>,
}

fn warning(contradiction: Contradiction) -> String {
    let yes = "「はい」と回答されていますが、";
    match contradiction {
        Contradiction::NoDevices => {
            format!("{yes}使用機器一覧表にサーバ・端末PC・ネットワーク機器が登録されていません。")
        }
        Contradiction::RemoteUnknown(n) => {
            format!("{yes}リモート保守の有無が不明な機器が {n} 台あります。")
        }
        Contradiction::MdsSdsMissing(n) => {
            format!("{yes}リモート保守ありで MDS/SDS を受領していない機器が {n} 台あります。")
        }
        Contradiction::StaleUpdates(n) => format!(
            "{yes}最終セキュリティ更新が{STALE_UPDATE_DAYS}日より前のサーバ・端末PCが {n} 台あります。"
        ),
        Contradiction::MediaUnrestricted(n) => {
            format!("{yes}外部記録媒体を制限していないサーバ・端末PCが {n} 台あります。")
        }
        Contradiction::AccessRightsUnset => {
            format!("{yes}職種ごとのアクセス権限（台帳）が設定されていません。")
        }
        Contradiction::LeaversAccountsActive(n) => {
            format!("{yes}退職者のアカウントが {n} 件、削除されずに残っています。")
        }
    }
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
    let mut lines = vec![format!(
        "アカウント台帳: 有効 {} 件（管理者権限 {} 件）",
        facts.active, facts.admins
    )];
    if key == "access-rights" {
        lines.push(if facts.access_rules == 0 {
            "職種ごとのアクセス権限: 未設定".to_owned()
        } else {
            format!(
                "職種ごとのアクセス権限: {} 件の権限を設定済み",
                facts.access_rules
            )
        });
    } else {
        lines.push(format!(
            "退職者のアカウント {} 件・長期間未使用 {} 件・共用または利用者不明 {} 件",
            facts.owner_left, facts.unused, facts.shared_or_ownerless
        ));
    }
    lines.push(
        match mamori_store::staff::last_inventory(&state.store, grant).await? {
            Some((day, who)) => format!(
                "最終棚卸（アカウントの照合）: {}（{who}）",
                chrome.date(&day)
            ),
            None => "最終棚卸（アカウントの照合）: 記録がありません".to_owned(),
        },
    );
    let warnings = if answered_yes {
        account_contradictions(key, &facts)
            .into_iter()
            .map(warning)
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
    let mut lines = vec![format!(
        "使用機器一覧表: {} 台（サーバ {}・端末PC {}・ネットワーク機器 {}）",
        facts.active, facts.servers, facts.pcs, facts.network
    )];
    match key {
        "remote-maintenance" => lines.push(format!(
            "リモート保守あり {} 台・有無が不明 {} 台",
            facts.remote, facts.remote_unknown
        )),
        "mds-sds" => lines.push(format!(
            "リモート保守あり {} 台のうち MDS/SDS 未受領 {} 台",
            facts.remote, facts.remote_without_mds_sds
        )),
        "patch" => lines.push(format!(
            "サーバ・端末PCのうち、最終セキュリティ更新が{STALE_UPDATE_DAYS}日より前 {} 台・日付の記録なし {} 台",
            facts.stale_updates, facts.no_update_date
        )),
        "external-media" => lines.push(format!(
            "サーバ・端末PCのうち、外部記録媒体を制限していない {} 台・不明 {} 台",
            facts.media_unrestricted, facts.media_unknown
        )),
        _ => {}
    }
    let last_change = mamori_store::device::last_change(&state.store, grant).await?;
    lines.push(match last_change {
        Some(at) => format!(
            "台帳の最終更新: {}",
            chrome.date(&at.to_zoned_datetime(crate::tokyo()).date())
        ),
        None => "台帳の最終更新: まだ登録がありません".to_owned(),
    });
    let review = mamori_store::device::last_review(&state.store, grant).await?;
    lines.push(match review {
        Some(review) => format!(
            "最終棚卸（現物との照合）: {}（{}）",
            chrome.date(&review.reviewed_on),
            review.reviewed_by
        ),
        None => "最終棚卸（現物との照合）: 記録がありません".to_owned(),
    });
    let warnings = if answered_yes {
        contradictions(key, &facts)
            .into_iter()
            .map(warning)
            .collect()
    } else {
        Vec::new()
    };
    Ok(Some(LedgerBox { lines, warnings }))
}
