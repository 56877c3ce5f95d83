//! The audit trail page (監査証跡): who did what and when, filtered by person,
//! record and date, for the 安全管理責任者, 企画管理者 and inspectors.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use mamori_domain::institution::permissions;
use mamori_store::audit_log::{AuditEvent, AuditFilter};

use crate::auth::Authorized;
use crate::i18n::Locale;
use crate::page::Chrome;
use crate::{AppError, AppState};

const PAGE_SIZE: i64 = 100;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/audit", get(list))
}

/// The filter form as sent (GET).
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct FilterForm {
    actor: String,
    target: String,
    action: String,
    from: String,
    to: String,
    page: String,
}

/// One row as shown.
struct EventRow {
    when: String,
    actor: String,
    action: &'static str,
    action_code: String,
    target: String,
    target_link: Option<String>,
    detail: String,
    /// The recorded detail holds Japanese (column names, names as typed).
    detail_is_ja: bool,
}

#[derive(Template)]
#[template(path = "audit_log/list.html")]
struct AuditPage {
    chrome: Chrome,
    form: FilterForm,
    events: Vec<EventRow>,
    errors: Vec<String>,
    has_next: bool,
    /// (code, label) of every action, by label, for the filter's list.
    actions: Vec<(&'static str, &'static str)>,
    next_query: String,
    /// The query of the newer page, when this is not the first.
    previous_query: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewAuditTrail>,
    Query(form): Query<FilterForm>,
) -> Result<Response, AppError> {
    let mut errors = Vec::new();
    let (filter, page) = parse_filter(&form, chrome.locale, &mut errors);
    let mut events = mamori_store::audit_log::search(
        &state.store,
        &authorized.grant,
        &filter,
        PAGE_SIZE + 1,
        page * PAGE_SIZE,
    )
    .await?;
    let has_next = events.len() as i64 > PAGE_SIZE;
    events.truncate(usize::try_from(PAGE_SIZE).unwrap_or(100));
    let rows = events
        .into_iter()
        .map(|event| row(event, chrome.locale))
        .collect();
    let query = |page: i64| {
        format!(
            "actor={}&target={}&action={}&from={}&to={}&page={page}",
            encode(&form.actor),
            encode(&form.target),
            encode(&form.action),
            encode(&form.from),
            encode(&form.to),
        )
    };
    let next_query = query(page + 1);
    let previous_query = (page > 0).then(|| query(page - 1));
    let mut actions: Vec<(&'static str, &'static str)> = ACTIONS
        .iter()
        .map(|(code, ja, en)| (*code, chrome.locale.pick(ja, en)))
        .collect();
    actions.sort_by_key(|(_, label)| *label);
    chrome.render(&AuditPage {
        chrome: chrome.clone(),
        form,
        events: rows,
        errors,
        has_next,
        actions,
        next_query,
        previous_query,
    })
}

/// Empty fields mean "any"; a date that does not parse is reported and ignored.
fn parse_filter(form: &FilterForm, locale: Locale, errors: &mut Vec<String>) -> (AuditFilter, i64) {
    let t = locale.messages();
    let mut date = |raw: &str, label: &str| -> Option<jiff::civil::Date> {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        match raw.parse::<jiff::civil::Date>() {
            Ok(date) => Some(date),
            Err(_) => {
                errors.push(format!("{label}: {}", t.audit_bad_date));
                None
            }
        }
    };
    let from = date(&form.from, t.audit_from);
    let to = date(&form.to, t.audit_to);
    let start_of = |date: jiff::civil::Date| {
        date.to_zoned_datetime(crate::tokyo())
            .ok()
            .map(|zoned| zoned.timestamp())
    };
    let filter = AuditFilter {
        actor: Some(form.actor.trim().to_owned()).filter(|actor| !actor.is_empty()),
        target: Some(form.target.trim().to_owned()).filter(|target| !target.is_empty()),
        // Only a known code: anything else (a hand-edited address) means "any".
        action: ACTIONS
            .iter()
            .find(|(code, _, _)| *code == form.action.trim())
            .map(|(code, _, _)| (*code).to_owned()),
        from: from.and_then(start_of),
        until: to.and_then(|date| date.tomorrow().ok()).and_then(start_of),
    };
    let page = form
        .page
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|page| (0..100_000).contains(page))
        .unwrap_or(0);
    (filter, page)
}

fn row(event: AuditEvent, locale: Locale) -> EventRow {
    let zoned = event.occurred_at.to_zoned_datetime(crate::tokyo());
    let when = format!(
        "{} {}",
        match locale {
            Locale::Ja => mamori_domain::calendar::format_date_ja(zoned.date()),
            Locale::En => mamori_domain::calendar::format_date_en(zoned.date()),
        },
        zoned.strftime("%H:%M:%S")
    );
    EventRow {
        when,
        actor: event.actor_label,
        action: action_label(&event.action, locale).unwrap_or(if locale == Locale::Ja {
            "（不明な操作）"
        } else {
            "(unknown action)"
        }),
        action_code: event.action,
        target: target_text(&event.target, locale).0,
        target_link: target_text(&event.target, locale).1,
        detail_is_ja: event
            .detail
            .chars()
            .any(|c| matches!(c, '\u{3040}'..='\u{30FF}' | '\u{3400}'..='\u{9FFF}')),
        detail: event.detail,
    }
}

/// Every action code the store writes, in words (Japanese, English). A test
/// (`tests/tidy.rs`) checks that each code written in the sources is here.
const ACTIONS: &[(&str, &str, &str)] = &[
    ("sign_in.success", "ログイン成功", "Signed in"),
    (
        "checklist_version.create",
        "チェックリストの版の作成",
        "Checklist version made",
    ),
    (
        "checklist_version.discard",
        "チェックリストの版（下書き）の破棄",
        "Checklist version draft discarded",
    ),
    (
        "checklist_version.edit",
        "チェックリストの版の編集",
        "Checklist version edited",
    ),
    (
        "checklist_version.publish",
        "チェックリストの版の公開",
        "Checklist version published",
    ),
    (
        "checklist_version.share",
        "チェックリストの版の全施設への共有",
        "Checklist version shared with every institution",
    ),
    (
        "vendor.certificate.add",
        "事業者の認証の記録",
        "Vendor certificate recorded",
    ),
    (
        "vendor.contract.add",
        "事業者との契約の記録",
        "Vendor contract recorded",
    ),
    (
        "log_source.add",
        "ログ収集元の登録",
        "Log source registered",
    ),
    (
        "log_source.token",
        "ログ送信用トークンの発行",
        "Log-sending token issued",
    ),
    (
        "access_log.review",
        "アクセスログの月次確認",
        "Access-log review signed off",
    ),
    (
        "access_log.verify",
        "アクセスログの改ざん検証",
        "Access log checked for alteration",
    ),
    (
        "access_log.archive",
        "保存期間を過ぎたアクセスログの移動",
        "Access logs past retention moved",
    ),
    (
        "access_log.finding",
        "アクセスログの事象の確認",
        "Access-log finding noted",
    ),
    (
        "access_log.rules",
        "アクセスログ確認の基準の変更",
        "Access-log review rules changed",
    ),
    (
        "access_log.export",
        "アクセスログの出力",
        "Access log exported",
    ),
    (
        "access_log.import",
        "アクセスログの取込",
        "Access log imported",
    ),
    (
        "institution.code_change",
        "施設コードの変更",
        "Institution code changed",
    ),
    ("sign_in.failure", "ログイン失敗", "Failed sign-in"),
    (
        "sign_in.second_factor",
        "二要素認証でログイン",
        "Signed in with the second factor",
    ),
    (
        "reauth.failure",
        "現在のパスワードの誤り",
        "Wrong current password",
    ),
    ("sign_out", "ログアウト", "Signed out"),
    ("user.create", "利用者の追加", "User added"),
    ("user.update", "利用者の変更", "User changed"),
    ("user.locked", "アカウントのロック", "Account locked"),
    ("user.unlock", "ロックの解除", "Account unlocked"),
    ("user.sign_in_failed", "ログイン失敗", "Failed sign-in"),
    ("user.password_change", "パスワード変更", "Password changed"),
    (
        "user.password_reset",
        "パスワードの再設定",
        "Password reset",
    ),
    (
        "user.two_factor_enabled",
        "二要素認証の設定",
        "Two-factor turned on",
    ),
    (
        "user.two_factor_disabled",
        "二要素認証の解除",
        "Two-factor turned off",
    ),
    (
        "break_glass.used",
        "非常時用アカウントの使用",
        "Break-glass account used",
    ),
    (
        "break_glass.acknowledged",
        "非常時用アカウント使用の確認",
        "Break-glass use acknowledged",
    ),
    (
        "institution.create",
        "医療機関の登録",
        "Institution registered",
    ),
    (
        "institution.update",
        "医療機関情報の変更",
        "Institution changed",
    ),
    (
        "institution.password_rule",
        "パスワード規則の変更",
        "Password rule changed",
    ),
    (
        "institution.two_factor_policy",
        "二要素認証の規則の変更",
        "Two-factor rule changed",
    ),
    (
        "checklist.start",
        "チェックリストの開始",
        "Checklist started",
    ),
    (
        "checklist.answer",
        "チェックリストの回答",
        "Checklist answered",
    ),
    (
        "checklist.system_in_use",
        "医療情報システムの有無",
        "Information systems in use",
    ),
    (
        "checklist.evidence.add",
        "証拠ファイルの追加",
        "Evidence added",
    ),
    (
        "checklist.evidence.remove",
        "証拠ファイルの取り消し",
        "Evidence removed",
    ),
    (
        "checklist.export",
        "チェックリストの出力",
        "Checklist exported",
    ),
    (
        "tokushima.save",
        "徳島県チェックリストの保存",
        "Tokushima list saved",
    ),
    ("vendor.create", "事業者の登録", "Vendor added"),
    (
        "vendor.request.issue",
        "事業者への回答依頼",
        "Vendor link issued",
    ),
    (
        "vendor.request.revoke",
        "回答用リンクの取り消し",
        "Vendor link revoked",
    ),
    ("vendor.request.answer", "事業者の回答", "Vendor answered"),
    ("device.create", "機器の登録", "Device added"),
    ("device.update", "機器の変更", "Device changed"),
    ("device.dispose", "機器の廃棄", "Device disposed of"),
    (
        "backup.plan.add",
        "バックアップ台帳への登録",
        "System added to the backup register",
    ),
    (
        "backup.plan.update",
        "バックアップ台帳の変更",
        "Backup register line changed",
    ),
    (
        "backup.restore_test.add",
        "復旧テストの記録",
        "Restore test recorded",
    ),
    (
        "backup.run",
        "mamori 自身のバックアップ",
        "mamori's own backup",
    ),
    ("bcp.answers", "BCPの記入", "BCP answers saved"),
    ("bcp.approve", "BCPの承認", "BCP version approved"),
    (
        "policy.answers",
        "安全管理方針の選択",
        "Security policy choices saved",
    ),
    (
        "policy.approve",
        "安全管理方針の承認",
        "Security policy version approved",
    ),
    (
        "policy.acknowledge",
        "安全管理方針を読んだ記録",
        "Security policy read",
    ),
    (
        "policy.acknowledge.paper",
        "安全管理方針の確認（署名した紙）",
        "Security policy acknowledged on paper",
    ),
    (
        "training.add",
        "研修・訓練の記録",
        "Training session recorded",
    ),
    ("user.email", "お知らせメールのアドレス", "Reminder address"),
    (
        "calendar.feed.issue",
        "予定のカレンダー用アドレスの発行",
        "Calendar feed issued",
    ),
    (
        "calendar.feed.revoke",
        "予定のカレンダー用アドレスの無効化",
        "Calendar feed revoked",
    ),
    (
        "maintenance.request",
        "リモートメンテナンスの申請",
        "Remote maintenance requested",
    ),
    (
        "maintenance.step",
        "リモートメンテナンスの承認・実施・報告",
        "Remote maintenance step",
    ),
    ("bcp.acknowledge", "BCPを読んだ記録", "BCP read"),
    ("incident.report", "インシデント報告", "Incident reported"),
    (
        "incident.report.poster",
        "インシデント報告（ポスターのリンク・アカウントなし）",
        "Incident reported through the poster link (no account)",
    ),
    (
        "contact.save",
        "連絡体制図を更新",
        "Contact chart line updated",
    ),
    (
        "incident.export",
        "インシデント記録の出力",
        "Incident record exported",
    ),
    (
        "contact.save_own",
        "自分の連絡先を更新",
        "Own contact updated",
    ),
    (
        "incident.link.issue",
        "報告用ポスターのリンクを発行",
        "Reporting poster link issued",
    ),
    (
        "incident.link.revoke",
        "報告用ポスターのリンクを無効化",
        "Reporting poster link revoked",
    ),
    (
        "incident.report.join",
        "インシデントへの追加報告",
        "Report added to an incident",
    ),
    (
        "incident.change",
        "インシデント対応の記録",
        "Incident response recorded",
    ),
    (
        "backup.run.failed",
        "mamori 自身のバックアップの失敗",
        "mamori's own backup failed",
    ),
    (
        "device.import",
        "使用機器一覧表の取り込み",
        "Device ledger imported",
    ),
    (
        "device.review",
        "使用機器一覧表の棚卸",
        "Device ledger reviewed",
    ),
    ("device.use", "使用管理簿の記録", "Device use recorded"),
    ("ledger.export", "台帳の出力", "Ledger exported"),
    ("staff.create", "職員の登録", "Staff added"),
    ("staff.update", "職員の変更", "Staff changed"),
    (
        "staff.import",
        "職員台帳の取り込み",
        "Staff ledger imported",
    ),
    ("account.create", "アカウントの登録", "Account added"),
    ("account.update", "アカウントの変更", "Account changed"),
    ("account.delete", "アカウントの削除", "Account deleted"),
    (
        "account.import",
        "アカウント台帳の取り込み",
        "Account ledger imported",
    ),
    ("account.inventory", "アカウントの棚卸", "Accounts reviewed"),
    (
        "access_rules.update",
        "アクセス権限の変更",
        "Access rights changed",
    ),
    (
        "network.segment",
        "セグメントの登録・変更",
        "Network segment saved",
    ),
    (
        "network.segment_remove",
        "セグメントの削除",
        "Network segment removed",
    ),
    ("network.link", "接続の登録・変更", "Network link saved"),
    ("network.link_remove", "接続の削除", "Network link removed"),
    (
        "network.review",
        "全体構成図の確認",
        "Network diagram reviewed",
    ),
    ("carry_out.request", "持ち出しの申請", "Carry-out requested"),
    ("carry_out.approve", "持ち出しの承認", "Carry-out approved"),
    ("carry_out.reject", "持ち出しの却下", "Carry-out rejected"),
    ("carry_out.take", "持ち出し", "Carried out"),
    ("carry_out.return", "返却", "Returned"),
    (
        "private_device.permit",
        "私物の機器の許可",
        "Private device permitted",
    ),
    (
        "private_device.data_deleted",
        "私物の機器のデータ削除",
        "Private device data deleted",
    ),
];

/// The words for an action code, if it is one mamori writes.
pub fn action_label(action: &str, locale: Locale) -> Option<&'static str> {
    ACTIONS
        .iter()
        .find(|(code, _, _)| *code == action)
        .map(|(_, ja, en)| if locale == Locale::Ja { *ja } else { *en })
}

/// What a target such as `device:12` names, in words, with a link where the
/// record has a page.
fn target_text(target: &str, locale: Locale) -> (String, Option<String>) {
    let Some((kind, id)) = target.split_once(':') else {
        return (target.to_owned(), None);
    };
    let (ja, en, link) = match kind {
        "user" => ("利用者", "User", Some(format!("/users/{id}/edit"))),
        "device" => ("機器", "Device", Some(format!("/ledger/devices/{id}"))),
        "staff" => ("職員", "Staff", Some(format!("/ledger/staff/{id}/edit"))),
        "account" => ("アカウント", "Account", None),
        "carry_out" => (
            "持ち出し申請",
            "Carry-out",
            Some(format!("/carry-outs/{id}")),
        ),
        "institution" => ("医療機関", "Institution", Some("/institution".to_owned())),
        "login_id" => ("ログインID", "Login ID", None),
        "vendor" => ("事業者", "Vendor", None),
        "checklist" => ("チェックリスト", "Checklist", None),
        "evidence" => ("証拠ファイル", "Evidence", None),
        "tokushima" => ("徳島県チェックリスト", "Tokushima list", None),
        "request" => ("回答依頼", "Vendor request", None),
        "device_import" => ("取り込みファイル", "Import file", None),
        "ledger_review" => ("棚卸", "Review", None),
        "ledger" => ("台帳", "Ledger", None),
        "network_segment" => ("セグメント", "Segment", None),
        "network_link" => ("接続", "Link", None),
        "private_device" => ("私物の機器", "Private device", None),
        "break_glass_use" => ("非常時用アカウントの使用", "Break-glass use", None),
        _ => return (target.to_owned(), None),
    };
    let link = link.filter(|_| id.bytes().all(|b| b.is_ascii_digit()));
    let word = if locale == Locale::Ja { ja } else { en };
    (format!("{word} {id}"), link)
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}
