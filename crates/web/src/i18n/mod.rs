//! Japanese first, English second: the locale of a request and every UI string.
//!
//! All strings of both locales live in one table, side by side, so a string can
//! not be added to one locale and forgotten in the other; templates read them as
//! fields, so a missing string is a compile error.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use mamori_domain::{ParseError, ParseErrorKind};

/// The cookie that holds the chosen locale.
pub const LOCALE_COOKIE: &str = "mamori_lang";

/// A UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    /// 日本語, the default.
    #[default]
    Ja,
    /// English.
    En,
}

impl Locale {
    /// The locale chosen by the request's cookie; Japanese unless it says `en`.
    pub fn from_parts(parts: &Parts) -> Self {
        match crate::auth::cookie(parts, LOCALE_COOKIE) {
            Some("en") => Self::En,
            _ => Self::Ja,
        }
    }

    /// The BCP 47 code for `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Ja => "ja",
            Self::En => "en",
        }
    }

    /// The strings of this locale.
    pub fn messages(self) -> &'static Messages {
        match self {
            Self::Ja => &JA,
            Self::En => &EN,
        }
    }

    /// The ledger and carry-out strings of this locale.
    pub fn ledger(self) -> &'static LedgerText {
        match self {
            Self::Ja => &ledger::JA,
            Self::En => &ledger::EN,
        }
    }

    /// The checklist, vendor and Tokushima list strings of this locale.
    pub fn checklist(self) -> &'static ChecklistText {
        match self {
            Self::Ja => &checklist::JA,
            Self::En => &checklist::EN,
        }
    }

    /// The incident strings of this locale.
    pub fn incident(self) -> &'static IncidentText {
        match self {
            Self::Ja => &incident::JA,
            Self::En => &incident::EN,
        }
    }

    /// The continuity strings (backup register, restore tests) of this locale.
    pub fn continuity(self) -> &'static ContinuityText {
        match self {
            Self::Ja => &continuity::JA,
            Self::En => &continuity::EN,
        }
    }

    /// Whether this is English.
    pub fn is_en(self) -> bool {
        self == Self::En
    }

    /// Picks the Japanese or the English of a pair.
    pub fn pick<'a>(self, ja: &'a str, en: &'a str) -> &'a str {
        match self {
            Self::Ja => ja,
            Self::En => en,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Locale {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::from_parts(parts))
    }
}

/// Declares one table of UI strings: a struct with a field per string and its
/// Japanese and English instances, side by side.
macro_rules! messages {
    ($(#[$meta:meta])* $name:ident, $ja_static:ident, $en_static:ident { $($field:ident: $ja:expr, $en:expr;)* }) => {
        $(#[$meta])*
        #[derive(Debug)]
        pub struct $name {
            $(#[allow(missing_docs)] pub $field: &'static str,)*
        }
        pub(crate) static $ja_static: $name = $name { $($field: $ja,)* };
        pub(crate) static $en_static: $name = $name { $($field: $en,)* };
    };
}

mod checklist;
mod continuity;
mod incident;
mod ledger;

pub use checklist::ChecklistText;
pub use continuity::ContinuityText;
pub use incident::IncidentText;
pub use ledger::LedgerText;

messages! {
    /// Every UI string of one locale shared by all pages.
    Messages, JA, EN {
    app_name: "mamori（守り）", "mamori";
    app_tagline: "医療機関のサイバーセキュリティ管理", "Cybersecurity management for medical institutions";
    nav_dashboard: "ホーム", "Home";
    nav_bcp: "BCP", "BCP";
    nav_users: "利用者", "Users";
    nav_institution: "医療機関情報", "Institution";
    nav_account: "パスワード変更", "Change password";
    sign_out: "ログアウト", "Sign out";
    switch_language: "English", "日本語";
    switch_language_code: "en", "ja";
    skip_to_content: "本文へ移動", "Skip to content";
    required: "必須", "required";
    save: "保存する", "Save";
    cancel: "戻る", "Back";
    errors_heading: "入力内容を確認してください", "Please check the form";
    paren_open: "（", " (";
    paren_close: "）", ")";

    error_title_not_found: "ページが見つかりません", "Page not found";
    error_title_forbidden: "権限がありません", "Not permitted";
    error_title_bad_request: "リクエストを処理できません", "The request cannot be processed";
    error_title_unexpected: "エラーが発生しました", "Something went wrong";
    error_not_found: "お探しのページまたは記録は存在しないか、閲覧できません。", "The page or record does not exist or is not visible to you.";
    error_forbidden: "この操作を行う権限がありません。必要な場合は安全管理責任者にご相談ください。", "Your role does not allow this. Ask your security manager if you need it.";
    error_unexpected: "サーバーで予期しないエラーが発生しました。入力した内容は保存されていない可能性があります。時間をおいてもう一度お試しください。", "An unexpected error occurred on the server. Your input may not have been saved. Please try again later.";
    error_csrf: "フォームの有効期限が切れたか、不正な送信です。ページを再読み込みしてからもう一度送信してください。", "The form expired or the request was forged. Reload the page and submit again.";
    error_form_unreadable: "フォームの内容を読み取れません", "The form could not be read";
    back_to_top: "ホームへ戻る", "Back to home";

    field_name: "名称", "Name";
    field_kind: "種別", "Kind";
    field_bed_count: "病床数", "Number of beds";
    field_prefecture: "都道府県", "Prefecture";
    field_address: "住所", "Address";
    field_phone: "電話番号", "Telephone";
    field_login_id: "ログインID", "Login ID";
    field_institution_code: "施設コード", "Institution code";
    field_contract_title: "契約の名称", "Contract";
    field_signed_on: "締結日", "Signed on";
    field_expires_on: "契約期限", "Ends on";
    field_clauses: "別紙1の項目", "Annex 1 items";
    field_certificate_kind: "認証の種類", "Certificate kind";
    field_certificate_number: "登録番号", "Registration number";
    field_certificate_expires_on: "有効期限", "Valid until";
    field_version_year: "適用する年度", "Fiscal year it applies from";
    field_combined: "医療機関・薬局共通の様式", "One form for institutions and pharmacies";
    field_base: "元にする版", "Version to start from";
    field_item_key: "キー", "Key";
    field_item_number: "番号", "Number";
    field_item_group: "区分", "Group";
    field_item_target: "対象", "Target";
    field_item_text: "文言", "Wording";
    field_item_due: "期限の年度", "Due fiscal year";
    field_item_note: "注記", "Note";
    field_vendor_contract_only: "事業者と契約していない場合は記入不要", "Blank without a vendor contract";
    field_check_document: "確認した資料", "Document checked";
    field_check_url: "資料のURL", "Document URL";
    field_check_on: "文言の確認日", "Wording checked on";
    field_check_by: "確認者", "Checked by";
    field_meaning: "ガイダンス（意味）", "Guidance (meaning)";
    field_evidence_text: "ガイダンス（求められる証拠）", "Guidance (evidence)";
    field_who: "ガイダンス（担当）", "Guidance (who)";
    field_for_vendor: "ガイダンス（事業者向け）", "Guidance (for vendors)";
    field_form_title: "様式の題名", "Form title";
    field_form_source: "出典", "Source";
    field_published_on: "公表日", "Published on";
    field_gate_text: "医療情報システムの有無の設問", "Systems-in-use question";
    field_notes: "様式の注記", "Notes on the form";
    field_columns: "記入欄", "Columns";
    field_groups: "区分（グループ）", "Groups";
    institution_sign_in_link: "施設コードを入力済みのログイン画面のアドレス:", "The sign-in address with the code filled in:";
    institution_code_help: "このサーバーは複数の医療機関が使っています。ログインするときは、この施設コードとログインIDの両方を入力します。職員に伝えてください。", "Several institutions share this server. Signing in takes this institution code as well as the login ID; tell your staff.";
    sign_in_institution_code_help: "医療機関ごとの施設コードです。わからないときは、施設の安全管理責任者に聞いてください。", "Your institution's code; ask your institution's security manager if you do not know it.";
    field_display_name: "氏名", "Name";
    field_role: "役割", "Role";
    field_password: "パスワード", "Password";
    field_first_answer: "確認結果（1回目）", "First check";
    field_first_date: "確認日（1回目）", "First check date";
    field_target_date: "目標日", "Target date";
    field_second_answer: "確認結果（2回目）", "Second check";
    field_second_date: "確認日（2回目）", "Second check date";
    field_remarks: "備考", "Remarks";
    field_noticed_on: "気づいた日", "Day noticed";
    field_noticed_at: "気づいた時刻", "Time noticed";
    field_place: "場所", "Place";
    field_device_name: "機器名称", "Device name";
    field_reporter: "報告者の氏名", "Your name";
    field_patterns: "何が起きたか", "What happened";
    field_other: "その他の内容", "Other: what";
    field_details: "詳しい状況", "Details";
    field_measures: "すでにしたこと", "Already done";
    field_measure_time: "緊急措置の時刻", "Time of a first measure";
    field_severity: "重大度", "Severity";
    field_people: "対象の人数", "Number of people";
    field_photos: "写真", "Photo";
    field_convened_on: "開催日", "Day of the meeting";
    field_convened_time: "開始時刻", "Time of the meeting";
    field_attendees: "出席者", "Attendees";
    field_topic: "題目", "Title";
    field_planned_on: "予定日", "Planned day";
    field_done_on: "実施日", "Day carried out";
    field_operator: "作業者（事業者）", "Engineer (vendor)";
    field_report: "作業報告", "Work report";
    field_log: "ログファイル", "Log file";
    field_held_on: "実施日", "Day held";
    field_content: "内容", "Content";
    field_materials: "資料", "Materials";
    field_scenario: "訓練のシナリオ", "Drill scenario";
    field_lessons: "振り返り（学んだこと）", "What was learned";
    field_choice: "選択", "Choice";
    field_review_month: "見直しの月", "Month of the review";
    field_check_day: "チェックの日", "Day of the check";
    field_email: "メール", "E-mail";
    field_hours: "対応時間", "Hours";
    field_page: "ページ", "Page";
    field_contact_key: "連絡先", "Contact line";
    field_task: "再発防止策", "Preventive measure";
    field_owner: "担当者", "Responsible";
    field_due_on: "期限", "Due";
    field_recipient: "連絡・報告先", "To";
    field_notified_on: "実施日", "Day made";
    field_care: "診療継続の可否と条件", "Whether care continues";
    field_recovery: "データ復旧の可否", "Whether the data can be recovered";
    field_leak: "情報漏洩の可能性", "Whether information may have leaked";
    field_containment: "被害拡大防止策", "How the damage is kept from spreading";
    field_told_staff: "職員への周知", "What staff were told";
    field_told_patients: "患者への説明", "What patients were told";
    field_backup_system: "対象システム", "System";
    field_backup_data: "対象データ", "What is backed up";
    field_backup_method: "取得方法", "Method";
    field_backup_frequency: "取得頻度", "How often";
    field_generations: "保存世代数", "Generations kept";
    field_offline_copy: "ネットワークから切り離した複製", "Copy off the network";
    field_backup_location: "保管場所", "Where the copies are";
    field_responsible: "担当者", "Responsible";
    field_last_success: "最終成功日", "Last successful backup";
    field_tested_on: "実施日", "Date of the test";
    field_restored: "復元した内容", "What was restored";
    field_minutes: "所要時間（分）", "Time taken (minutes)";
    field_outcome: "結果", "Result";
    field_performed_by: "実施者", "Done by";
    field_meeting_members: "対策会議の構成員", "Members of the response meeting";
    field_police_desk: "警察の相談窓口", "Police desk";
    field_paper_records: "紙カルテでの診療", "Care on paper records";
    field_insurance_check: "保険証・資格確認の目視確認", "Checking insurance by eye";
    field_reception_billing: "レセコンを使わない受付・会計", "Reception and billing without the receipt computer";
    field_announcements: "職員への周知と患者への広報", "Telling staff and patients";
    field_restore_priority: "復旧の優先順位", "Order of recovery";
    field_disaster: "災害への備え", "Disaster preparedness";
    field_not_applicable: "対象外", "Not applicable";
    field_not_applicable_reason: "対象外の理由", "Reason it does not apply";
    field_file: "ファイル", "File";
    field_link_path: "リンク先", "Link";
    field_label: "説明", "Description";
    field_officer_name: "管理責任者の氏名", "Name of the responsible manager";
    field_in_use: "医療情報システムの有無", "Medical information systems in use";
    field_checked_on: "確認日", "Check date";
    field_contact: "連絡先", "Contact";
    field_systems: "担当システム", "Systems";
    field_days: "有効日数", "Days valid";
    field_level: "レベル", "Level";
    field_asset_number: "管理番号", "Asset number";
    field_maker_model: "メーカー・型番", "Maker and model";
    field_location: "管理場所", "Location";
    field_manager: "管理責任者", "Responsible person";
    field_os_version: "OS・ファームウェア", "OS or firmware";
    field_last_security_update: "最終セキュリティ更新日", "Last security update";
    field_antivirus: "ウイルス対策", "Anti-virus";
    field_remote_used: "リモート保守", "Remote maintenance";
    field_remote_vendor: "リモート保守事業者", "Remote maintenance vendor";
    field_remote_method: "リモート保守の方法", "Remote maintenance method";
    field_mds_sds_received: "MDS/SDS受領", "MDS/SDS received";
    field_internet_connected: "インターネット接続", "Internet connection";
    field_segment: "ネットワークセグメント", "Network segment";
    field_ip_addresses: "IPアドレス", "IP addresses";
    field_senders: "送信元アドレス", "Sender addresses";
    field_time_zone: "タイムゾーン", "Time zone";
    field_retention_years: "保存期間（年）", "Kept for (years)";
    field_mapping: "列の対応", "Column mapping";
    field_burst_threshold: "ログイン失敗の回数", "Failed sign-ins";
    field_burst_window_minutes: "時間（分）", "Window (minutes)";
    field_opens_at: "診療開始", "Opens";
    field_closes_at: "診療終了", "Closes";
    field_many_patients: "1日の患者数の上限", "Patients a day";
    field_silent_hours: "ログが届かない時間", "Silent hours";
    field_mac_addresses: "MACアドレス", "MAC addresses";
    field_initial_password_changed: "初期パスワード変更", "Initial password changed";
    field_external_media_restricted: "外部記録媒体の制限", "External media restricted";
    field_external_media_how: "外部記録媒体の制限方法", "How external media are restricted";
    field_status: "状態", "Status";
    field_disposed_on: "廃棄日", "Disposal date";
    field_contractor: "廃棄業者", "Disposal contractor";
    field_method: "廃棄方法", "Disposal method";
    field_reviewed_on: "棚卸日", "Review date";
    field_job: "職種", "Job";
    field_department: "部署", "Department";
    field_joined_on: "入職日", "Joined on";
    field_left_on: "退職日", "Left on";
    field_system: "システム", "System";
    field_login: "アカウント", "Account";
    field_staff_id: "利用者", "User";
    field_last_used_on: "最終利用日", "Last used";
    field_date: "日付", "Date";
    field_segment_name: "セグメント名", "Segment name";
    field_unused_days: "未使用とみなす日数", "Days before an account counts as unused";
    field_shared: "共用", "Shared";
    field_admin: "管理者権限", "Administrator rights";
    field_segment_kind: "セグメントの種類", "Segment kind";
    field_used_on: "使用年月日", "Day of use";
    field_start_time: "開始時間", "Start";
    field_end_time: "終了時間", "End";
    field_user_name: "使用者", "User";
    field_owner_name: "所有者", "Owner";
    field_device: "機器", "Device";
    field_permitted_by: "許可した所属長", "Allowed by";
    field_permitted_on: "許可日", "Allowed on";
    field_virus_checked: "ウイルスチェック", "Virus check";
    field_data_deleted_on: "データ削除日", "Data deleted on";
    nav_ledger: "台帳", "Ledgers";
    nav_carry_outs: "持ち出し", "Carry-out";
    field_what: "持ち出す情報・機器", "What is taken out";
    field_purpose: "目的", "Purpose";
    field_destination: "持ち出し先", "Destination";
    field_out_on: "持ち出し日", "Day out";
    field_return_by: "返却予定日", "Expected return";
    error_upload_too_large: "ファイルが大きすぎます。10MB以下のファイルにしてください。", "The file is too large: at most 10 MB.";
    nav_checklist: "チェックリスト", "Checklist";
    nav_vendors: "事業者", "Vendors";
    nav_tokushima: "企画管理者チェック", "Planning check";
    field_password_confirm: "パスワード（確認）", "Password (again)";
    field_current_password: "現在のパスワード", "Current password";
    field_active: "利用中", "Active";
    field_setup_token: "初期設定トークン", "Setup token";
    choose: "選択してください", "Please choose";

    login_id_help: "半角英小文字・数字・「.」「_」「-」で3〜64文字。1人に1つ発行し、共有しないでください。", "3–64 characters: a–z, 0–9, '.', '_' or '-'. One per person; never share it.";
    password_help: "13文字以上を推奨・既定とします（二要素認証がない場合、定期変更を不要とする条件です）。ログインIDや氏名を含めないでください。", "At least 13 characters by default (without two-factor authentication this is what waives periodic changes). Do not include your login ID or name.";
    bed_count_help: "病院は20床以上、有床診療所は1〜19床、無床診療所・薬局は0です。", "Hospitals have 20 or more beds, clinics with beds 1–19, clinics without beds and pharmacies 0.";

    setup_title: "初期設定", "First-run setup";
    setup_intro: "mamori へようこそ。医療機関の情報と、最初の利用者（医療情報システム安全管理責任者）を登録してください。登録後はこの画面は使えなくなります。", "Welcome to mamori. Register your institution and its first user, the security manager. This page closes once setup is done.";
    setup_institution_heading: "医療機関", "Institution";
    setup_admin_heading: "医療情報システム安全管理責任者", "Security manager";
    setup_admin_note: "この方が最初の管理者になり、他の職員の利用者登録を行います（安全管理方針 第3条）。", "This person becomes the first administrator and registers the other staff (policy article 3).";
    setup_token_help: "このサーバーを起動した画面（コンソール）に表示された初期設定トークンを入力してください。", "Enter the setup token printed on the console where this server was started.";
    setup_submit: "登録して始める", "Register and start";
    setup_token_wrong: "初期設定トークンが正しくありません。", "The setup token is wrong.";
    setup_closed: "初期設定はすでに完了しています。ログインしてください。", "Setup is already complete. Please sign in.";
    setup_done: "初期設定が完了しました。登録したログインIDとパスワードでログインしてください。", "Setup is complete. Sign in with the login ID and password you registered.";
    password_mismatch: "確認用のパスワードが一致しません。", "The two passwords differ.";

    sign_in_title: "ログイン", "Sign in";
    sign_in_submit: "ログイン", "Sign in";
    sign_in_failed: "ログインIDまたはパスワードが正しくありません。", "The login ID or password is wrong.";
    sign_in_lockout_before: "続けて", "After ";
    sign_in_lockout_middle: "回間違えると、そのアカウントは", " failures in a row the account is locked for ";
    sign_in_lockout_after: "分間ロックされます。ロックされたときやパスワードを忘れたときは、医療情報システム安全管理責任者か企画管理者に連絡してください（ロックを解除できます）。", " minutes. If it is locked or you forgot your password, ask the security manager or the planning manager: they can unlock it.";
    error_busy: "ほかの取り込みや印刷を処理中です。少し待ってから、もう一度お試しください。", "The server is busy with other imports or prints. Wait a moment and try again.";
    too_many_attempts: "ログインの試行が多すぎます。1分ほど待ってから、もう一度お試しください。", "Too many sign-in attempts. Wait a minute and try again.";
    signed_out: "ログアウトしました。", "You have signed out.";

    dashboard_title: "ホーム", "Home";
    dashboard_today: "今日", "Today";
    dashboard_fiscal_year: "年度", "Fiscal year";
    dashboard_fiscal_year_ends: "年度末", "Fiscal year ends";
    dashboard_next_steps: "次にやること", "What to do next";
    dashboard_signed_in_as: "ログイン中", "Signed in as";
    next_add_users: "職員ごとに利用者を登録しましょう。アカウントの共有は禁止されています（別紙2 1.）。", "Register a user for each member of staff. Shared accounts are not allowed (annex 2, 1).";
    next_check_institution: "医療機関情報（住所・電話番号）が正しいか確認しましょう。", "Check that your institution's address and telephone number are right.";
    next_start_checklist: "今年度の厚生労働省「サイバーセキュリティ対策チェックリスト」を始めましょう。立入検査で確認されます。", "Start this fiscal year's MHLW cybersecurity checklist: the inspection checks it.";
    next_checklist_overdue: "チェックリストに期限を過ぎた項目が {n} 件あります。下の「チェックリスト」の上から順に対応しましょう。", "{n} checklist items are past their date. Work through the list below from the top.";
    next_checklist_open: "チェックリストの未完了の項目が {n} 件あります。", "{n} checklist items are still open.";
    next_carry_outs_overdue: "返却予定日を過ぎた持ち出しが {n} 件あります。「持ち出し」で確認し、持ち出した人に連絡しましょう。", "{n} carry-outs are past their return date. Check them under Carry-out and contact the people who took them.";
    next_decide_carry_outs: "承認を待っている持ち出し申請が {n} 件あります。「持ち出し」で承認または却下してください。", "{n} carry-out requests wait for your decision under Carry-out.";
    next_delete_leavers_accounts: "退職した職員のアカウントが {n} 件、削除を待っています。各システムで削除し、「アカウント台帳」に記録しましょう。", "{n} accounts of staff who left wait to be deleted. Delete them on each system and record it under Accounts.";
    next_checklist_overdue_one: "チェックリストに期限を過ぎた項目が 1 件あります。下の「チェックリスト」の上から順に対応しましょう。", "1 checklist item is past its date. Work through the list below from the top.";
    next_checklist_open_one: "チェックリストの未完了の項目が 1 件あります。", "1 checklist item is still open.";
    next_carry_outs_overdue_one: "返却予定日を過ぎた持ち出しが 1 件あります。「持ち出し」で確認し、持ち出した人に連絡しましょう。", "1 carry-out is past its return date. Check it under Carry-out and contact the person who took it.";
    next_decide_carry_outs_one: "承認を待っている持ち出し申請が 1 件あります。「持ち出し」で承認または却下してください。", "1 carry-out request waits for your decision under Carry-out.";
    next_delete_leavers_accounts_one: "退職した職員のアカウントが 1 件、削除を待っています。各システムで削除し、「アカウント台帳」に記録しましょう。", "1 account of a member of staff who left waits to be deleted. Delete it on its system and record it under Accounts.";
    next_maintenance_reports: "実施済みで事業者の作業報告がまだのリモートメンテナンスが {n} 件あります。報告とログを受け取って記録しましょう。", "{n} remote maintenance sessions were carried out without the vendor's report yet. Get the report and log and record them.";
    next_maintenance_reports_one: "実施済みで事業者の作業報告がまだのリモートメンテナンスが 1 件あります。報告とログを受け取って記録しましょう。", "1 remote maintenance session was carried out without the vendor's report yet. Get the report and log and record it.";
    next_train_staff: "研修を受けていない職員が {n} 人います（入職時、または1年以上受講なし）。研修・訓練を記録しましょう。", "{n} members of staff are due for training (none since joining, or none for a year). Record the session under Training.";
    next_train_staff_one: "研修を受けていない職員が 1 人います（入職時、または1年以上受講なし）。研修・訓練を記録しましょう。", "1 member of staff is due for training (none since joining, or none for a year). Record the session under Training.";
    next_approve_policy: "医療情報システム安全管理方針（第1条〜第16条）をまだ承認していません。選択に答えて案を確かめ、承認しましょう。立入検査で確認されます。", "The security policy (articles 1–16) is not approved yet. Answer the choices, check the draft and approve it; the inspection asks for it.";
    next_acknowledge_policy: "安全管理方針（別紙2 職員業務方針）を確認していない職員が {n} 人います。", "{n} members of staff have not acknowledged the security policy (annex 2, staff rules).";
    next_acknowledge_policy_one: "安全管理方針（別紙2 職員業務方針）を確認していない職員が 1 人います。", "1 member of staff has not acknowledged the security policy (annex 2, staff rules).";
    next_own_backup_failed: "mamori 自身の直近のバックアップが失敗しました。「バックアップ台帳」の mamori の行で原因を確かめてください。", "mamori's own last backup failed. See why on mamori's line in the Backup register.";
    next_secure_backups: "バックアップに問題のあるシステムが {n} 件あります（直近の復旧テストの失敗、オフライン複製なし、3世代未満）。「バックアップ台帳」で確かめましょう。", "{n} systems have a backup problem (last restore test failed, no offline copy, or fewer than three generations). Check them in the Backup register.";
    next_secure_backups_one: "バックアップに問題のあるシステムが 1 件あります（直近の復旧テストの失敗、オフライン複製なし、3世代未満）。「バックアップ台帳」で確かめましょう。", "1 system has a backup problem (last restore test failed, no offline copy, or fewer than three generations). Check it in the Backup register.";
    next_complete_contact_chart: "連絡体制図に足りないところが {n} か所あります（電話番号がない、1年以上確認していない など）。「連絡体制図」で確かめて書き足しましょう。", "The contact chart lacks {n} things (a missing number, a line not checked for a year…). Check and complete it on the Contact chart page.";
    next_complete_contact_chart_one: "連絡体制図に足りないところが 1 か所あります。「連絡体制図」で確かめて書き足しましょう。", "The contact chart lacks one thing. Check and complete it on the Contact chart page.";
    next_test_restores: "復旧テストの時期が来ているシステムが {n} 件あります。バックアップから実際に戻して確かめ、「バックアップ台帳」に記録しましょう。", "{n} systems are due for a restore test. Bring data back from a backup, check it, and record it in the Backup register.";
    next_test_restores_one: "復旧テストの時期が来ているシステムが 1 件あります。バックアップから実際に戻して確かめ、「バックアップ台帳」に記録しましょう。", "1 system is due for a restore test. Bring data back from a backup, check it, and record it in the Backup register.";
    dashboard_checklist: "チェックリスト", "Checklist";
    dashboard_checklist_progress: "完了", "Complete";
    dashboard_checklist_all: "すべての項目を見る", "See every item";
    time_sync_label: "時刻の同期", "Clock synchronisation";
    time_sync_ok: "NTP で同期されています", "synchronised by NTP";
    time_sync_not: "NTP で同期されていません。記録の日時が信頼できなくなるため、ベンダに NTP（時刻同期）の設定を依頼してください（第10条(4)③ 信頼できる時刻源）。", "not synchronised by NTP. Recorded times cannot be trusted: ask your vendor to set up NTP (article 10(4)③).";
    time_sync_unknown: "確認できませんでした。サーバーの時刻が正確か、NTP（時刻同期）が設定されているかをベンダに確認してください（第10条(4)③）。", "could not be checked. Ask your vendor whether the server's clock is kept by NTP (article 10(4)③).";
    next_all_done: "今すぐ必要な作業はありません。", "Nothing needs doing right now.";

    users_title: "利用者", "Users";
    users_intro: "職員1人に1つのログインIDを発行します。退職者のアカウントは速やかに「利用停止」にしてください。", "Issue one login ID per member of staff. Deactivate leavers' accounts promptly.";
    users_add: "利用者を追加", "Add a user";
    users_new_title: "利用者の追加", "Add a user";
    users_edit_title: "利用者の変更", "Change a user";
    users_status: "状態", "Status";
    users_actions: "操作", "Actions";
    users_edit: "変更", "Change";
    status_active: "利用中", "Active";
    status_inactive: "利用停止", "Deactivated";
    status_locked: "ロック中", "Locked";
    users_locked_notice: "この利用者は、続けてログインに失敗したためロックされています。本人からの依頼であることを確かめてから解除してください。", "This user is locked after repeated failed sign-ins. Unlock only when you have confirmed the request came from the person.";
    users_locked_until: "まで", "until";
    users_unlock: "ロックを解除する", "Unlock";
    users_unlocked: "ロックを解除しました。", "The user was unlocked.";
    users_initial_password_help: "初回のパスワードは本人に直接伝え、本人が変更してください。", "Hand the first password to the person directly and have them change it.";
    users_created: "利用者を追加しました。", "The user was added.";
    users_updated: "利用者を変更しました。", "The user was changed.";
    users_active_help: "チェックを外すと、その方はログインできなくなり、ログイン中の画面も切断されます。", "Unchecking this stops the person from signing in and ends their open sessions.";
    login_id_taken: "このログインIDはすでに使われています。別のIDにしてください。", "This login ID is taken. Choose another.";
    rule_security_manager_reserved: "安全管理責任者の役割の付与・変更は、安全管理責任者だけが行えます。", "Only a security manager may assign or change the security manager role.";
    rule_last_security_manager: "有効な安全管理責任者がいなくなるため、この変更はできません。先に別の方を安全管理責任者にしてください。", "This would leave no active security manager. Make someone else security manager first.";
    rule_own_account: "自分自身のアカウントを利用停止にしたり、役割を変えたりすることはできません。", "You cannot deactivate your own account or change your own role.";

    institution_title: "医療機関情報", "Institution";
    institution_edit: "変更する", "Change";
    institution_edit_title: "医療機関情報の変更", "Change institution details";
    saved: "保存しました。", "Saved.";
    imported: "ファイルを取り込みました。", "The file was imported.";
    log_verified: "アクセスログの改ざんの検証が終わりました。結果を「改ざんの検証」に表示しています。", "The access log has been checked for alteration: the result is under “Checking for alteration”.";
    link_issued: "依頼リンクを発行しました（リンクは発行した直後に一度だけ表示されます）。", "The link was issued (it is shown once, right after issuing).";
    institution_updated: "医療機関情報を保存しました。", "The institution details were saved.";
    institution_created_at: "登録日", "Registered";

    nav_audit: "監査証跡", "Audit trail";
    audit_title: "監査証跡", "Audit trail";
    audit_intro: "すべてのログインと変更の記録です。記録は改ざんを検知できる形（署名付きのハッシュ木）で保存され、「mamori audit verify」で検証できます。", "Every sign-in and change. The records are kept in a tamper-evident form (a signed hash tree) that `mamori audit verify` checks.";
    audit_actor: "操作者（ログインID・接続元）", "Actor (login ID or address)";
    audit_target: "対象", "Record";
    audit_from: "開始日", "From";
    audit_to: "終了日", "To";
    audit_filter: "絞り込む", "Filter";
    audit_when: "日時", "When";
    audit_action: "操作", "Action";
    audit_any_action: "（すべての操作）", "(any action)";
    audit_detail: "内容", "Details";
    audit_none: "該当する記録はありません。", "No matching records.";
    audit_older: "さらに古い記録", "Older records";
    audit_newer: "← 新しい記録", "← Newer";
    audit_bad_date: "日付は 2025-04-01 の形で入力してください。", "Enter dates as 2025-04-01.";
    account_title: "パスワード変更", "Change password";
    nav_two_factor: "二要素認証", "Two-factor";
    two_factor_title: "二要素認証（ワンタイムコード）", "Two-factor authentication";
    two_factor_intro: "パスワードに加えて、スマートフォンの認証アプリ（Google Authenticator、Microsoft Authenticator など）が6桁のコードを表示します。パスワードが漏れても、スマートフォンがなければログインできません。", "Besides the password, an authenticator app on your phone shows a 6-digit code. A leaked password alone is then not enough to sign in.";
    two_factor_required: "この医療機関では、あなたの役割に二要素認証が必須です。設定を終えるまで他の画面は使えません。", "Your institution requires two-factor authentication for your role. Other pages open once it is set up.";
    two_factor_enabled: "二要素認証は有効です。", "Two-factor authentication is on.";
    two_factor_codes_left: "未使用の回復コード", "Unused recovery codes";
    two_factor_scan: "1. 認証アプリでこのQRコードを読み取ってください（読み取れない場合は下の文字列を入力）。", "1. Scan this QR code with your authenticator app (or type the text below).";
    two_factor_enter: "2. アプリに表示された6桁のコードを入力してください。", "2. Enter the 6-digit code the app shows.";
    two_factor_confirm: "有効にする", "Turn on";
    two_factor_wrong_code: "コードが正しくありません。スマートフォンの時刻が正しいか確認し、新しいコードを入力してください。", "The code is wrong. Check that your phone's clock is right and enter a fresh code.";
    two_factor_recovery_title: "回復コード（この画面でしか表示されません）", "Recovery codes (shown only now)";
    two_factor_recovery_help: "スマートフォンをなくしたときに、6桁のコードの代わりに1回ずつ使えます。印刷するか書き写して、鍵のかかる場所に保管してください。", "Each can replace a 6-digit code once if you lose your phone. Print or copy them and keep them locked away.";
    two_factor_disable: "二要素認証を無効にする", "Turn off two-factor authentication";
    two_factor_disabled: "二要素認証を無効にしました。", "Two-factor authentication was turned off.";
    two_factor_reset: "二要素認証をリセット", "Reset two-factor";
    two_factor_reset_help: "スマートフォンを紛失した利用者の二要素認証を解除します。本人確認をしてから行ってください。", "Removes the two-factor set-up of a user who lost their phone. Confirm who is asking first.";
    two_factor_reset_done: "二要素認証をリセットしました。", "Two-factor authentication was reset.";
    second_factor_title: "ワンタイムコードの入力", "Enter your code";
    second_factor_help: "認証アプリに表示されている6桁のコード、または回復コードを入力してください。", "Enter the 6-digit code from your authenticator app, or a recovery code.";
    second_factor_failed: "コードが正しくありません。", "The code is wrong.";
    field_code: "コード", "Code";
    two_factor_policy_title: "二要素認証の必須化", "Require two-factor authentication";
    two_factor_policy_help: "令和7年度版チェックリストでは、令和9年度までに二要素認証の導入が求められています。", "The FY2025 checklist expects two-factor authentication by FY2027.";
    two_factor_policy_optional: "任意（各自で設定）", "Optional";
    two_factor_policy_administrators: "管理者（安全管理責任者・企画管理者・システム運用担当者）は必須", "Required for administrators";
    two_factor_policy_everyone: "全員必須", "Required for everyone";
    password_rule_title: "パスワードの最低文字数", "Minimum password length";
    password_rule_13: "13文字（推奨・既定）", "13 characters (recommended, default)";
    password_rule_10: "10文字（理由の記録が必要）", "10 characters (a recorded reason is required)";
    password_rule_help: "二要素認証を使わないアカウントは、13文字以上であれば定期的なパスワード変更が不要になります（令和7年度チェックリスト 2-⑦）。10文字にする場合は理由を記録します。二要素認証を使うアカウントは常に10文字以上です。", "Without two-factor authentication, 13 or more characters waive periodic password changes (FY2025 checklist 2-⑦). Relaxing to 10 needs a recorded reason. Accounts with two-factor authentication always need 10 or more.";
    password_rule_reason: "10文字にする理由", "Reason for 10 characters";
    password_rule_current_reason: "記録された理由", "Recorded reason";
    password_rule_reason_required: "10文字にする場合は、その理由を入力してください。", "Enter the reason for allowing 10 characters.";
    password_rule_saved: "パスワードの規則を保存しました。", "The password rule was saved.";
    break_glass_title: "非常時用アカウントの使用", "Using an emergency account";
    break_glass_intro: "これは非常時用アカウントです（安全管理方針 第4条⑰）。使用する理由を入力してください。使用は記録され、安全管理責任者に通知されます。このログインが終わると、管理者がパスワードを再設定するまでこのアカウントは使えなくなります。", "This is an emergency account (policy article 4⑰). State why you are using it. The use is recorded and shown to the security manager. After this session the account stays locked until an administrator resets its password.";
    break_glass_reason: "使用する理由", "Reason";
    break_glass_submit: "理由を記録して続ける", "Record the reason and continue";
    break_glass_reason_required: "使用する理由を5文字以上で入力してください。", "State the reason in at least 5 characters.";
    break_glass_alert: "非常時用アカウントが使用されました。内容を確認してください。", "An emergency account was used. Please review it.";
    break_glass_acknowledge: "確認しました", "Acknowledge";
    break_glass_label: "非常時用", "Emergency";
    break_glass_spent: "使用済み（パスワード再設定待ち）", "Used (waiting for a password reset)";
    break_glass_checkbox: "非常時用アカウントにする（第4条⑰）", "Make this an emergency account (article 4⑰)";
    password_reset_title: "パスワードの再設定", "Reset password";
    password_reset_help: "本人がパスワードを忘れたとき、または使用済みの非常時用アカウントを再び使えるようにするときに使います。ログイン中の画面は切断されます。", "Use when someone forgot their password, or to make a used emergency account usable again. Open sessions end.";
    password_reset_done: "パスワードを再設定しました。", "The password was reset.";
    two_factor_policy_saved: "二要素認証の設定を保存しました。", "The two-factor rule was saved.";
    password_changed: "パスワードを変更しました。他の端末でのログインは終了しました。", "Your password was changed. Your other sessions have ended.";
    password_current_wrong: "現在のパスワードが正しくありません。", "The current password is wrong.";

    err_empty: "入力してください。", "Please fill this in.";
    err_choice: "一覧から選択してください。", "Please choose from the list.";
    err_format: "形式が正しくありません。", "The format is not valid.";
}}

/// `n` things in words: the singular text for one ("1 account"), else the
/// plural one with `{n}` filled in.
pub fn counted(many: &str, one: &str, n: impl std::fmt::Display) -> String {
    let n = n.to_string();
    if n == "1" {
        one.to_owned()
    } else {
        many.replace("{n}", &n)
    }
}

/// `text` with `{0}`, `{1}` … replaced by `args` in order, in one pass, so a
/// value that itself holds `{1}` (a name someone typed) stays as typed.
pub fn fill(text: &str, args: &[&dyn std::fmt::Display]) -> String {
    let mut filled = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        filled.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let placeholder = after.find('}').and_then(|end| {
            let index: usize = after[..end].parse().ok()?;
            Some((args.get(index)?, end))
        });
        match placeholder {
            Some((arg, end)) => {
                filled.push_str(&arg.to_string());
                rest = &after[end + 1..];
            }
            None => {
                filled.push('{');
                rest = after;
            }
        }
    }
    filled.push_str(rest);
    filled
}

/// One sentence naming the field and what is wrong with it, in `locale`.
/// Every problem of a form, each in words ([`describe`]).
pub fn describe_all(errors: &[ParseError], locale: Locale) -> Vec<String> {
    errors.iter().map(|error| describe(error, locale)).collect()
}

/// One problem of a form in words.
pub fn describe(error: &ParseError, locale: Locale) -> String {
    let field = field_label(error.field(), locale.messages());
    let reason = reason(error, locale);
    match error.subject() {
        Some(subject) => format!("{subject} {field}: {reason}"),
        None => format!("{field}: {reason}"),
    }
}

/// Why a value is refused, without naming its field (where the place is
/// named otherwise, e.g. a file's row and column).
pub fn reason(error: &ParseError, locale: Locale) -> String {
    let t = locale.messages();
    match (locale, error.kind()) {
        (_, ParseErrorKind::Empty) => t.err_empty.to_owned(),
        (_, ParseErrorKind::UnknownChoice) => t.err_choice.to_owned(),
        (Locale::Ja, ParseErrorKind::TooLong { max }) => {
            format!("{max}文字以内で入力してください。")
        }
        (Locale::En, ParseErrorKind::TooLong { max }) => format!("Use at most {max} characters."),
        (Locale::Ja, ParseErrorKind::TooShort { min }) => {
            format!("{min}文字以上で入力してください。")
        }
        (Locale::En, ParseErrorKind::TooShort { min }) => format!("Use at least {min} characters."),
        (Locale::Ja, ParseErrorKind::OutOfRange { min, max }) => {
            format!("{min}〜{max}の範囲で入力してください。")
        }
        (Locale::En, ParseErrorKind::OutOfRange { min, max }) => {
            format!("Enter a number from {min} to {max}.")
        }
        (Locale::Ja, ParseErrorKind::BadFormat(why) | ParseErrorKind::Inconsistent(why)) => {
            japanese_reason(why)
        }
        (Locale::En, ParseErrorKind::BadFormat(why) | ParseErrorKind::Inconsistent(why)) => {
            format!("{why}.")
        }
    }
}

/// The label of a form field, by its name.
pub(crate) fn field_label(field: &str, t: &Messages) -> &'static str {
    match field {
        "name" => t.field_name,
        "kind" => t.field_kind,
        "bed_count" => t.field_bed_count,
        "prefecture" => t.field_prefecture,
        "address" => t.field_address,
        "phone" => t.field_phone,
        "login_id" => t.field_login_id,
        "institution_code" => t.field_institution_code,
        "display_name" => t.field_display_name,
        "role" => t.field_role,
        "password" => t.field_password,
        "first_answer" | "vendor_answer" => t.field_first_answer,
        "first_date" => t.field_first_date,
        "target_date" => t.field_target_date,
        "second_answer" => t.field_second_answer,
        "second_date" => t.field_second_date,
        "remarks" => t.field_remarks,
        "not_applicable" => t.field_not_applicable,
        "not_applicable_reason" => t.field_not_applicable_reason,
        "file" => t.field_file,
        "path" => t.field_link_path,
        "label" => t.field_label,
        "officer_name" => t.field_officer_name,
        "in_use" => t.field_in_use,
        "checked_on" => t.field_checked_on,
        "contact" => t.field_contact,
        "systems" => t.field_systems,
        "days" => t.field_days,
        "level" => t.field_level,
        "asset_number" => t.field_asset_number,
        "maker_model" => t.field_maker_model,
        "location" => t.field_location,
        "manager" => t.field_manager,
        "os_version" => t.field_os_version,
        "last_security_update" => t.field_last_security_update,
        "antivirus" => t.field_antivirus,
        "remote_used" => t.field_remote_used,
        "remote_vendor" => t.field_remote_vendor,
        "remote_method" => t.field_remote_method,
        "mds_sds_received" => t.field_mds_sds_received,
        "internet_connected" => t.field_internet_connected,
        "segment" => t.field_segment,
        "noticed_on" => t.field_noticed_on,
        "noticed_at" => t.field_noticed_at,
        "place" => t.field_place,
        "device_name" => t.field_device_name,
        "reporter" => t.field_reporter,
        "patterns" => t.field_patterns,
        "other" => t.field_other,
        "details" => t.field_details,
        "measures" => t.field_measures,
        "cut_network" | "called_planner" | "kept_evidence" | "checked_similar" => {
            t.field_measure_time
        }
        "severity" => t.field_severity,
        "people" => t.field_people,
        "photos" => t.field_photos,
        "convened_on" => t.field_convened_on,
        "convened_time" => t.field_convened_time,
        "attendees" => t.field_attendees,
        "email" => t.field_email,
        "hours" => t.field_hours,
        "page" => t.field_page,
        "key" => t.field_contact_key,
        "task" => t.field_task,
        "owner" => t.field_owner,
        "due_on" => t.field_due_on,
        "recipient" => t.field_recipient,
        "notified_on" => t.field_notified_on,
        "care" => t.field_care,
        "recovery" => t.field_recovery,
        "leak" => t.field_leak,
        "containment" => t.field_containment,
        "told_staff" => t.field_told_staff,
        "told_patients" => t.field_told_patients,
        "ip_addresses" => t.field_ip_addresses,
        "mac_addresses" => t.field_mac_addresses,
        "initial_password_changed" => t.field_initial_password_changed,
        "external_media_restricted" => t.field_external_media_restricted,
        "external_media_how" => t.field_external_media_how,
        "status" => t.field_status,
        "disposed_on" => t.field_disposed_on,
        "contractor" => t.field_contractor,
        "method" => t.field_method,
        "reviewed_on" => t.field_reviewed_on,
        "job" => t.field_job,
        "department" => t.field_department,
        "joined_on" => t.field_joined_on,
        "left_on" => t.field_left_on,
        "system" => t.field_system,
        "login" => t.field_login,
        "staff_id" => t.field_staff_id,
        "last_used_on" => t.field_last_used_on,
        "note" => t.field_remarks,
        "date" => t.field_date,
        "segment_name" => t.field_segment_name,
        "unused_days" => t.field_unused_days,
        "shared" => t.field_shared,
        "admin" => t.field_admin,
        "segment_kind" => t.field_segment_kind,
        "used_on" => t.field_used_on,
        "start_time" => t.field_start_time,
        "end_time" => t.field_end_time,
        "user_name" => t.field_user_name,
        "owner_name" => t.field_owner_name,
        "device" => t.field_device,
        "permitted_by" => t.field_permitted_by,
        "permitted_on" => t.field_permitted_on,
        "virus_checked" => t.field_virus_checked,
        "data_deleted_on" => t.field_data_deleted_on,
        "what" => t.field_what,
        "purpose" => t.field_purpose,
        "destination" => t.field_destination,
        "out_on" => t.field_out_on,
        "return_by" => t.field_return_by,
        "title" => t.field_contract_title,
        "topic" => t.field_topic,
        "planned_on" => t.field_planned_on,
        "done_on" => t.field_done_on,
        "operator" => t.field_operator,
        "report" => t.field_report,
        "log" => t.field_log,
        "held_on" => t.field_held_on,
        "content" => t.field_content,
        "materials" => t.field_materials,
        "scenario" => t.field_scenario,
        "lessons" => t.field_lessons,
        "choice" => t.field_choice,
        "review_month" => t.field_review_month,
        "check_day" => t.field_check_day,
        "signed_on" => t.field_signed_on,
        "expires_on" => t.field_expires_on,
        "clauses" => t.field_clauses,
        "certificate_kind" => t.field_certificate_kind,
        "certificate_number" => t.field_certificate_number,
        "certificate_expires_on" => t.field_certificate_expires_on,
        "version_year" => t.field_version_year,
        "combined" => t.field_combined,
        "base" => t.field_base,
        "item_key" => t.field_item_key,
        "item_number" => t.field_item_number,
        "item_group" => t.field_item_group,
        "item_target" => t.field_item_target,
        "item_text" => t.field_item_text,
        "item_due" => t.field_item_due,
        "item_note" => t.field_item_note,
        "vendor_contract_only" => t.field_vendor_contract_only,
        "check_document" => t.field_check_document,
        "check_url" => t.field_check_url,
        "check_on" => t.field_check_on,
        "check_by" => t.field_check_by,
        "meaning" => t.field_meaning,
        "evidence_text" => t.field_evidence_text,
        "who" => t.field_who,
        "for_vendor" => t.field_for_vendor,
        "form_title" => t.field_form_title,
        "form_source" => t.field_form_source,
        "published_on" => t.field_published_on,
        "gate_text" => t.field_gate_text,
        "notes" => t.field_notes,
        "columns" => t.field_columns,
        "groups" => t.field_groups,
        "backup_system" => t.field_backup_system,
        "backup_data" => t.field_backup_data,
        "backup_method" => t.field_backup_method,
        "backup_frequency" => t.field_backup_frequency,
        "generations" => t.field_generations,
        "offline_copy" => t.field_offline_copy,
        "backup_location" => t.field_backup_location,
        "responsible" => t.field_responsible,
        "last_success" => t.field_last_success,
        "tested_on" => t.field_tested_on,
        "restored" => t.field_restored,
        "minutes" => t.field_minutes,
        "outcome" => t.field_outcome,
        "performed_by" => t.field_performed_by,
        "meeting_members" => t.field_meeting_members,
        "police_desk" => t.field_police_desk,
        "paper_records" => t.field_paper_records,
        "insurance_check" => t.field_insurance_check,
        "reception_billing" => t.field_reception_billing,
        "announcements" => t.field_announcements,
        "restore_priority" => t.field_restore_priority,
        "disaster" => t.field_disaster,
        "senders" => t.field_senders,
        "time_zone" => t.field_time_zone,
        "retention_years" => t.field_retention_years,
        "mapping" => t.field_mapping,
        "burst_threshold" => t.field_burst_threshold,
        "burst_window_minutes" => t.field_burst_window_minutes,
        "opens_at" => t.field_opens_at,
        "closes_at" => t.field_closes_at,
        "many_patients" => t.field_many_patients,
        "silent_hours" => t.field_silent_hours,
        _ => t.err_format,
    }
}

/// The domain states its reasons in English; these are their Japanese versions.
fn japanese_reason(why: &str) -> String {
    let reason = match why {
        "only digits and hyphens" => "半角数字とハイフンだけで入力してください。",
        "a domestic number of 10 or 11 digits starting with 0" => {
            "0から始まる10桁または11桁の番号を入力してください。"
        }
        "a whole number is expected" => "整数で入力してください。",
        "only a-z, 0-9, '.', '_' and '-' are allowed" => {
            "半角英小文字・数字・「.」「_」「-」だけが使えます。"
        }
        "must start with a letter or digit" => "英字または数字で始めてください。",
        "must not contain the login ID" => "ログインIDを含めないでください。",
        "must not contain the name" => "氏名を含めないでください。",
        "must not be one character repeated" => "同じ文字の繰り返しは使えません。",
        "too easy to guess: a common password, word or pattern" => {
            "推測されやすいパスワードです（よく使われるパスワード、単語、キーボードの並び、日付など）。関係のない単語をいくつか組み合わせてください。"
        }
        "control characters are not allowed" => "制御文字は使えません。",
        "a whole number" => "半角または全角の数字（整数）で入力してください。",
        "say what did not come back" => {
            "成功しなかったときは、戻らなかったものや原因を備考に書いてください。"
        }
        "a date like 2026-04-01" => "2026-04-01 の形式で日付を入力してください。",
        "a date that exists, like 2026-04-01" => {
            "存在する日付を入力してください（例: 2026-04-01）。"
        }
        "the check date cannot be in the future" => "確認日に未来の日付は入れられません。",
        "the target date must lie inside the fiscal year" => {
            "目標日は当該年度内（4月1日〜翌年3月31日）の日付にしてください。"
        }
        "the target date cannot be before the first check" => {
            "目標日は1回目の確認日より後にしてください。"
        }
        "a target date is set only when the first check is no" => {
            "目標日は1回目が「いいえ」のときだけ入力します。"
        }
        "the second check needs a first check" => "2回目の前に1回目を入力してください。",
        "the second check cannot be before the first" => {
            "2回目の確認日は1回目より後にしてください。"
        }
        "this item cannot be marked not applicable" => {
            "この項目は対象外にできません（対象外にできるのは、事業者と契約していない場合の2(2)・2(3)だけです）。"
        }
        "a not-applicable item takes no answers" => {
            "対象外にする場合は、回答と日付を空欄にしてください。"
        }
        "a photo: a JPEG, PNG, WebP or HEIC image" => {
            "写真は JPEG・PNG・WebP・HEIC の画像にしてください。"
        }
        "a PDF, PNG, JPEG or Office file (Word, Excel, PowerPoint)" => {
            "PDF、PNG、JPEG、Office文書（Word・Excel・PowerPoint）のファイルだけを添付できます。ファイルの中身と拡張子が一致している必要があります。"
        }
        "a file of at most 10 MB" => "10MB以下のファイルにしてください。",
        "a path inside mamori, starting with /" => {
            "mamori 内のページのパス（/ で始まるもの。例: /users）を入力してください。"
        }
        "at most two files (MDS and SDS)" => "添付できるのはMDSとSDSの2ファイルまでです。",
        "a date like 2026-04-01 or 令和8年4月1日" => {
            "2026-04-01、2026/4/1、令和8年4月1日、R8.4.1 のいずれかの形で、存在する日付を入力してください。"
        }
        "a date inside its era (令和 began on 2019-05-01)" => {
            "元号の期間内の日付にしてください（令和は2019年5月1日から、平成は1989年1月8日から）。"
        }
        "the date cannot be in the future" => "未来の日付は入れられません。",
        "a time like 08:40" => "08:40 のように時刻を入力してください。",
        "say what else happened (その他)" => "「その他」に何が起きたかを書いてください。",
        "tick what happened or describe it" => {
            "起きたことにチェックを入れるか、詳しい状況を書いてください。"
        }
        "ask before taking out: the day cannot be in the past" => {
            "持ち出しは事前に申請してください（持ち出し日に過去の日付は入れられません）。"
        }
        "the return cannot be before the day out" => "返却予定日は持ち出し日以降にしてください。",
        "the contract cannot end before it was signed" => "契約期限は締結日以降にしてください。",
        "the leaving day cannot be before the joining day" => "退職日は入職日以降にしてください。",
        "a time like 09:30" => "09:30 の形で時刻を入力してください。",
        "the end must be after the start" => "終了時間は開始時間より後にしてください。",
        "no one of that name is on the staff list" => {
            "職員台帳にこの氏名の職員がいません（先に職員台帳に登録してください）。"
        }
        "several staff have that name" => {
            "同じ氏名の職員が複数います。職員台帳の氏名を区別してから取り込んでください。"
        }
        "check the device for viruses before allowing it" => {
            "ウイルスチェックを行ってから許可してください（第7条(2)）。"
        }
        "the deletion cannot be before the permission" => {
            "データ削除日は許可日以降にしてください。"
        }
        "a carry-out lasts at most 90 days" => "持ち出し期間は90日以内にしてください。",
        "an address such as name@example.jp" => {
            "name@example.jp のような形でメールアドレスを入力してください。"
        }
        "an address starting with https://" => "https:// で始まるアドレスを入力してください。",
        "a day in the past" => "過去の日付は入れられません。",
        "a day in the future" => "未来の日付は入れられません。",
        "a new version must be for a later fiscal year than the one it is made from" => {
            "元にする版より後の年度を指定してください。"
        }
        "only an institution form can serve hospitals and pharmacies at once" => {
            "医療機関・薬局共通にできるのは医療機関・薬局の様式だけです（事業者確認用はできません）。"
        }
        "a form keeps at least one item" => "様式には少なくとも1つの項目が必要です。",
        "only a-z, 0-9 and - are allowed" => "半角英小文字・数字・「-」だけが使えます。",
        "another item of this form has this key" => {
            "この様式の別の項目が同じキーを使っています。文言を改めただけの項目は元のキーのまま、新しい項目には新しいキーを付けてください。"
        }
        "the due fiscal year cannot be before the form's own" => {
            "期限の年度は様式の年度より前にできません。"
        }
        "only institution forms have items blank without a vendor contract" => {
            "「事業者と契約していない場合は記入不要」は医療機関・薬局の様式の項目だけに付けられます。"
        }
        "a verified item needs where, when and by whom its wording was checked" => {
            "「公式様式で確認済み」にするには、確認した資料名・URL・確認日・確認者を入力してください。"
        }
        "a web address starting with https://" => "https:// で始まるURLを入力してください。",
        "a form needs its first check column" => "「1回目」の列は外せません。",
        "a group that still has items cannot be removed" => {
            "この区分にはまだ項目があるため削除できません。先に項目を別の区分に移すか削除してください。"
        }
        "one group a line: its number, a space and its name" => {
            "区分は1行に1つ、「番号 名前」（例: 1 体制構築）の形で書いてください。"
        }
        "each group's number and name are used once" => "区分の番号と名前は重複できません。",
        "this version has been made already" => {
            "この年度・様式の版はすでにあります。一覧から開いて編集してください。"
        }
        "name the vendor that maintains it remotely" => {
            "リモート保守が「はい」のときは、保守する事業者名を入力してください。"
        }
        "record a disposal to mark a device disposed" => {
            "「廃棄」は状態として入力できません。機器の画面の「廃棄を記録する」から、廃棄業者・方法・消去証明書とともに登録してください。"
        }
        "a MAC address like 00:1A:2B:3C:4D:5E" => {
            "MACアドレスは 00:1A:2B:3C:4D:5E の形で入力してください。"
        }
        "IP addresses such as 192.168.1.1" => {
            "IPアドレスは 192.168.1.1 の形で入力し、複数あるときは空白かカンマで区切ってください。"
        }
        "an IANA time zone such as Asia/Tokyo" => {
            "Asia/Tokyo のような地域名で入力してください（空欄なら日本時間）。"
        }
        "one line without control characters" => "1行で入力してください。",
        "a 管理番号 from the device ledger" => "機器台帳の管理番号を入力してください。",
        "the columns, e.g. time=日時,user=利用者ID,patient_id=患者ID" => {
            "電子カルテ等のCSVでは、列の対応（例：time=日時、user=利用者ID、patient_id=患者ID）を入力してください。"
        }
        "a column mapping is for ehr_csv sources only" => {
            "列の対応は「電子カルテ等のCSV」の収集元にだけ入力します。"
        }
        "key=value" => "「項目=見出し」の形で1行に1つ入力してください。",
        "a time such as 08:30" => "08:30 のように時:分で入力してください。",
        "a time like 2026-04-01 09:30:00 or 令和8年4月1日 9:30" => {
            "日時を 2026-04-01 09:30:00 や 令和8年4月1日 9:30 の形で書いてください。"
        }
        "an IP address like 192.168.1.10" => "IPアドレスを 192.168.1.10 の形で書いてください。",
        "one or more lines without control characters" => "制御文字を含めずに入力してください。",
        "a closing time other than the opening time" => {
            "診療終了は診療開始と違う時刻にしてください。"
        }
        "IP addresses like 192.168.1.10, separated by spaces" => {
            "IPアドレスは 192.168.1.10 の形で入力し、複数あるときは空白で区切ってください。"
        }
        _ => "形式が正しくありません。",
    };
    reason.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_each_placeholder_once_and_leaves_typed_braces_alone() {
        assert_eq!(fill("{0}の{1}", &[&"甲", &"乙"]), "甲の乙");
        assert_eq!(fill("{1} before {0}", &[&"a", &"b"]), "b before a");
        // A typed value holding a placeholder is not filled again.
        assert_eq!(fill("{0}: {1}", &[&"{1}", &"x"]), "{1}: x");
        // Braces that are not a placeholder of an argument stay.
        assert_eq!(fill("{x} {9} {", &[&"a"]), "{x} {9} {");
    }

    #[test]
    fn errors_name_the_field_in_both_locales() {
        let error = ParseError::new(
            "phone",
            ParseErrorKind::BadFormat("only digits and hyphens"),
        );
        assert_eq!(
            describe(&error, Locale::Ja),
            "電話番号: 半角数字とハイフンだけで入力してください。"
        );
        assert_eq!(
            describe(&error, Locale::En),
            "Telephone: only digits and hyphens."
        );
        let error = ParseError::new("password", ParseErrorKind::TooShort { min: 13 });
        assert_eq!(
            describe(&error, Locale::Ja),
            "パスワード: 13文字以上で入力してください。"
        );
    }
}
