//! Checklist versions made in mamori (issue #16): a new 年度's version made
//! through the web forms from the previous one, answered with last year's
//! answers carried over by key and printed with its own columns; bad items
//! refused naming the item with nothing stored; versions seen by their own
//! institution only, or by every institution once the operator shares them.

use mamori_domain::checklist::{CatalogOrigin, CatalogSet};
use reqwest::StatusCode;

use crate::helpers::{Browser, Page, pdf_text, spawn_app_at};

/// 2026-06-01 09:00 in Tokyo: inside 令和8年度, for which mamori ships no form.
const IN_FY2026: &str = "2026-06-01T00:00:00Z";

const NEW_TITLE: &str = "医療機関・薬局におけるサイバーセキュリティ対策チェックリスト";
const NEW_WORDING: &str = "医療情報システム安全管理責任者を設置し、その役割を文書で定めている。";
const R7_GROUPS: &str =
    "1 体制構築\n2 医療情報システムの管理・運用\n3 インシデント発生に備えた対応\n4 規程類";
const NEW_ITEM: &str = "二要素認証の導入計画を、システム更新の予定とあわせて定めている。";

fn seen(page: &Page) -> String {
    page.attribute("input[name=seen]", "value")
        .unwrap_or_default()
}

/// Makes a draft of 令和8年度 from R7-medical; returns its page path.
async fn make_draft(admin: &Browser, combined: bool) -> String {
    let mut fields = vec![
        ("base", "R7-medical".to_owned()),
        ("fiscal_year", "2026".to_owned()),
    ];
    if combined {
        fields.push(("combined", "on".to_owned()));
    }
    let created = admin
        .submit("/checklist-versions", "/checklist-versions", &fields)
        .await;
    assert_eq!(
        created.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        created.errors()
    );
    created.location_path().expect("the version's page")
}

fn item_fields(key: &str, number: &str, group: &str, text: &str) -> Vec<(&'static str, String)> {
    vec![
        ("item_key", key.to_owned()),
        ("item_number", number.to_owned()),
        ("item_group", group.to_owned()),
        ("item_target", "全般".to_owned()),
        ("item_text", text.to_owned()),
        ("item_due", "2026".to_owned()),
    ]
}

async fn post_with_seen(
    admin: &Browser,
    page_path: &str,
    action: &str,
    fields: &[(&'static str, String)],
) -> Page {
    let page = admin.get(page_path).await;
    let mut all = fields.to_vec();
    all.push(("seen", seen(&page)));
    admin.submit(page_path, action, &all).await
}

async fn catalog_file(admin: &Browser, version: &str) -> String {
    let (status, content_type, bytes) = admin.get_bytes(&format!("{version}/catalog.yaml")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        content_type.starts_with("application/yaml"),
        "{content_type}"
    );
    String::from_utf8(bytes).expect("UTF-8")
}

#[tokio::test]
async fn a_version_made_in_the_web_forms_carries_last_years_answers_and_prints_its_own_columns() {
    let app = spawn_app_at(IN_FY2026.parse().expect("instant")).await;
    let admin = app.admin().await;

    // 令和7年度 answered on the R7 form.
    let r7 = "/checklist/medical/2025";
    assert_eq!(
        admin.submit(r7, &format!("{r7}/start"), &[]).await.status,
        StatusCode::SEE_OTHER
    );
    let answered = admin
        .submit(
            &format!("{r7}/items/security-officer"),
            &format!("{r7}/items/security-officer"),
            &[
                ("first_answer", "yes".into()),
                ("first_date", "2025-06-02".into()),
            ],
        )
        .await;
    assert_eq!(
        answered.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        answered.errors()
    );

    // 令和8年度 has no form of its own yet: the page says so and points to the versions.
    let overview = admin.get("/checklist/medical/2026").await;
    assert!(overview.text("#earlier-form").contains("令和7年度"));
    assert_eq!(
        overview.attribute("#make-version", "href").as_deref(),
        Some("/checklist-versions")
    );

    // The 安全管理責任者 makes 令和8年度's version, one form for clinics and pharmacies.
    let version = make_draft(&admin, true).await;
    let page = admin.get(&version).await;
    assert_eq!(page.status, StatusCode::OK);
    let r7_keys = CatalogSet::builtin()
        .expect("catalogs")
        .by_id("R7-medical")
        .expect("R7")
        .items
        .len();
    assert_eq!(page.texts("#version-items .version-item").len(), r7_keys);
    assert_eq!(
        page.texts("#version-items .unchanged").len(),
        r7_keys,
        "every item starts unchanged"
    );

    // Reword an item (same key) and record where its wording was checked.
    let item = format!("{version}/items/security-officer");
    let mut fields = item_fields("security-officer", "①", "体制構築", NEW_WORDING);
    fields.retain(|(name, _)| *name != "item_target");
    fields.extend([
        ("verified", "on".to_owned()),
        (
            "check_document",
            "医療機関・薬局におけるサイバーセキュリティ対策チェックリスト（令和8年度）".to_owned(),
        ),
        (
            "check_url",
            "https://www.mhlw.go.jp/stf/shingi/0000516275_00006.html".to_owned(),
        ),
        ("check_on", "2026-05-30".to_owned()),
        ("check_by", "管理 太郎".to_owned()),
    ]);
    let saved = post_with_seen(&admin, &item, &item, &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{:?}", saved.errors());

    // A new item with a new key and its own guidance.
    let mut new_item = item_fields(
        "two-factor-plan",
        "⑭",
        "医療情報システムの管理・運用",
        NEW_ITEM,
    );
    new_item.extend([
        (
            "meaning",
            "二要素認証をいつ入れるかを、システム更新の計画に書いておくことです。".to_owned(),
        ),
        ("evidence_text", "システム更新計画の該当部分。".to_owned()),
        ("who", "企画管理者".to_owned()),
    ]);
    let added = post_with_seen(&admin, &version, &format!("{version}/items"), &new_item).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{:?}", added.errors());

    // The form's own title and columns: 確認日 without 目標日.
    let header = post_with_seen(
        &admin,
        &version,
        &format!("{version}/header"),
        &[
            ("form_title", NEW_TITLE.to_owned()),
            (
                "form_source",
                "https://www.mhlw.go.jp/stf/shingi/0000516275_00006.html".to_owned(),
            ),
            (
                "gate_text",
                "医療情報システムを導入、運用している。".to_owned(),
            ),
            ("groups", R7_GROUPS.replace("4 規程類", "4 規程類・教育")),
            (
                "notes",
                "立入検査時、本チェックリストを確認します。".to_owned(),
            ),
            ("columns", "first".to_owned()),
            ("columns", "second".to_owned()),
            ("columns", "checked_on".to_owned()),
            ("columns", "remarks".to_owned()),
            ("combined", "on".to_owned()),
        ],
    )
    .await;
    assert_eq!(
        header.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        header.errors()
    );

    // The file it downloads is a catalog file the shipped validation accepts.
    let file = catalog_file(&admin, &version).await;
    let parsed = CatalogSet::builtin()
        .expect("catalogs")
        .parse_version("r8-medical.yaml", &file, CatalogOrigin::Shipped)
        .expect("the downloaded file validates like a shipped one");
    assert_eq!(parsed.id(), "R8-medical");
    assert_eq!(parsed.title, NEW_TITLE);
    let reworded = parsed.item("security-officer").expect("kept its key");
    assert_eq!(reworded.text, NEW_WORDING);
    assert!(!parsed.needs_wording_check(reworded), "verified per item");
    assert!(parsed.needs_wording_check(parsed.item("two-factor-plan").expect("added")));

    // Nothing is in force before it is published.
    assert!(
        !admin
            .get("/checklist/medical/2026")
            .await
            .texts("#earlier-form")
            .is_empty()
    );
    let published = post_with_seen(&admin, &version, &format!("{version}/publish"), &[]).await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        published.errors()
    );
    let page = admin.get(&version).await;
    assert!(
        page.texts("#publish").is_empty(),
        "a published version has no edit forms"
    );
    let refused = admin
        .submit(
            &item,
            &item,
            &item_fields("security-officer", "①", "体制構築", "変更"),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::BAD_REQUEST,
        "a published version does not change"
    );

    // 令和8年度 now uses it: no banner; the pharmacy form is the same combined form.
    let overview = admin.get("/checklist/medical/2026").await;
    assert!(
        overview.texts("#earlier-form").is_empty(),
        "{}",
        overview.text("#earlier-form")
    );
    assert!(overview.body.contains(NEW_TITLE));
    assert!(
        admin
            .get("/checklist/pharmacy/2026")
            .await
            .body
            .contains(NEW_TITLE)
    );

    // Starting the year carries last year's answer over by key, marked 要再確認.
    let r8 = "/checklist/medical/2026";
    assert_eq!(
        admin.submit(r8, &format!("{r8}/start"), &[]).await.status,
        StatusCode::SEE_OTHER
    );
    let confirmed = admin
        .submit(
            &format!("{r8}/items/two-factor-plan"),
            &format!("{r8}/items/two-factor-plan"),
            &[
                ("first_answer", "yes".into()),
                ("first_date", "2026-05-20".into()),
                ("checked_on", "2026-05-31".into()),
            ],
        )
        .await;
    assert_eq!(
        confirmed.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        confirmed.errors()
    );
    let item_page = admin.get(&format!("{r8}/items/two-factor-plan")).await;
    assert_eq!(
        item_page.attribute("#checked_on", "value").as_deref(),
        Some("2026-05-31")
    );

    let (status, _, pdf) = admin.get_bytes(&format!("{r8}/print.pdf")).await;
    assert_eq!(status, StatusCode::OK);
    let text = pdf_text(&pdf).split_whitespace().collect::<String>();
    for expected in [
        NEW_TITLE,
        "医療機関・薬局確認用",
        "確認日",
        "令和8年5月31日",
        NEW_ITEM,
        "前年度の回答（要再確認）",
        "4規程類・教育",
        "はい（令和7年6月2日）",
    ] {
        assert!(text.contains(expected), "{expected} missing from: {text}");
    }
    assert!(
        !text.contains("目標日"),
        "the version has no 目標日 column: {text}"
    );
    assert!(!text.contains("まだmamoriに登録されていない"), "{text}");

    // Every step is in the audit trail.
    let actions: Vec<String> = app
        .audit_events()
        .await
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in [
        "checklist_version.create",
        "checklist_version.edit",
        "checklist_version.publish",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} not in {actions:?}"
        );
    }
}

#[tokio::test]
async fn an_item_with_a_used_key_an_empty_wording_or_an_unknown_group_is_refused_naming_it() {
    let app = spawn_app_at(IN_FY2026.parse().expect("instant")).await;
    let admin = app.admin().await;
    let version = make_draft(&admin, false).await;
    let before = catalog_file(&admin, &version).await;
    let add = format!("{version}/items");
    let group = "医療情報システムの管理・運用";

    let cases = [
        (
            item_fields("ledger", "⑭", group, NEW_ITEM),
            "⑭ ledger",
            "キー",
        ),
        (
            item_fields("new-item", "⑭", group, "   "),
            "⑭ new-item",
            "文言",
        ),
        (
            item_fields("new-item", "⑭", "存在しない区分", NEW_ITEM),
            "⑭ new-item",
            "区分",
        ),
    ];
    for (fields, item, field) in cases {
        let refused = post_with_seen(&admin, &version, &add, &fields).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{item} {field}"
        );
        let errors = refused.errors().join(" ");
        assert!(
            errors.contains(item) && errors.contains(field),
            "{item} {field}: {errors}"
        );
        // What was typed stays in the form.
        assert_eq!(
            refused.attribute("#item_number", "value").as_deref(),
            Some("⑭")
        );
    }
    // Renaming an item to another item's key is refused the same way.
    let item = format!("{version}/items/backup");
    let renamed = post_with_seen(
        &admin,
        &item,
        &item,
        &item_fields(
            "ledger",
            "③",
            "インシデント発生に備えた対応",
            "バックアップ",
        ),
    )
    .await;
    assert_eq!(renamed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        renamed.errors().join(" ").contains("ledger"),
        "{:?}",
        renamed.errors()
    );
    // A bad year for a new version is refused, naming the field.
    let old = admin
        .submit(
            "/checklist-versions",
            "/checklist-versions",
            &[
                ("base", "R7-medical".into()),
                ("fiscal_year", "2024".into()),
            ],
        )
        .await;
    assert_eq!(old.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        old.errors().join(" ").contains("適用する年度"),
        "{:?}",
        old.errors()
    );

    assert_eq!(
        catalog_file(&admin, &version).await,
        before,
        "nothing was stored"
    );
    let edits = app
        .audit_events()
        .await
        .into_iter()
        .filter(|event| event.action == "checklist_version.edit")
        .count();
    assert_eq!(edits, 0);

    // An edit based on an older page is refused rather than lost.
    let stale = admin.get(&version).await;
    let first = post_with_seen(&admin, &version, &add, &{
        let mut fields = item_fields("plan-a", "⑮", group, NEW_ITEM);
        fields.extend([
            ("meaning", "意味".to_owned()),
            ("evidence_text", "証拠".to_owned()),
            ("who", "企画管理者".to_owned()),
        ]);
        fields
    })
    .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{:?}", first.errors());
    let mut late = item_fields("plan-b", "⑯", group, NEW_ITEM);
    late.extend([
        ("meaning", "意味".to_owned()),
        ("evidence_text", "証拠".to_owned()),
        ("who", "企画管理者".to_owned()),
        ("seen", seen(&stale)),
    ]);
    let conflict = admin.submit(&version, &add, &late).await;
    assert_eq!(conflict.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        conflict.errors().join(" ").contains("別の人が変更"),
        "{:?}",
        conflict.errors()
    );
    assert!(!catalog_file(&admin, &version).await.contains("plan-b"));

    // A draft no longer wanted is discarded; its text stays in the audit trail.
    let discarded = post_with_seen(&admin, &version, &format!("{version}/discard"), &[]).await;
    assert_eq!(discarded.status, StatusCode::SEE_OTHER);
    assert_eq!(admin.get(&version).await.status, StatusCode::NOT_FOUND);
    let event = app
        .audit_events()
        .await
        .into_iter()
        .find(|event| event.action == "checklist_version.discard")
        .expect("a discard event");
    assert!(
        event.detail.contains("plan-a"),
        "the text is kept: {}",
        event.detail
    );
    let version = make_draft(&admin, false).await;
    let add = format!("{version}/items");

    // Only the 安全管理責任者 makes versions.
    admin
        .add_user("planner", "企画 花子", "planning_manager")
        .await;
    let planner = app.signed_in("planner").await;
    assert_eq!(
        planner.get(&version).await.status,
        StatusCode::OK,
        "others may read"
    );
    let forbidden = planner
        .submit(&version, &add, &item_fields("plan-c", "⑰", group, NEW_ITEM))
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_version_is_seen_by_its_institution_only_until_the_operator_shares_it_with_everyone() {
    let app = spawn_app_at(IN_FY2026.parse().expect("instant")).await;
    let admin = app.admin().await;
    let version = make_draft(&admin, false).await;
    let header = post_with_seen(
        &admin,
        &version,
        &format!("{version}/header"),
        &[
            ("form_title", NEW_TITLE.to_owned()),
            (
                "form_source",
                "https://www.mhlw.go.jp/stf/shingi/0000516275_00006.html".to_owned(),
            ),
            (
                "gate_text",
                "医療情報システムを導入、運用している。".to_owned(),
            ),
            ("groups", R7_GROUPS.to_owned()),
            ("columns", "first".to_owned()),
            ("columns", "target".to_owned()),
            ("columns", "second".to_owned()),
            ("columns", "remarks".to_owned()),
        ],
    )
    .await;
    assert_eq!(
        header.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        header.errors()
    );
    let published = post_with_seen(&admin, &version, &format!("{version}/publish"), &[]).await;
    assert_eq!(published.status, StatusCode::SEE_OTHER);
    assert!(
        admin
            .get("/checklist/medical/2026")
            .await
            .body
            .contains(NEW_TITLE)
    );

    // Another institution on the same server sees neither the version nor its use.
    let code = app
        .create_institution("別院クリニック", "other-admin")
        .await;
    let other = app.signed_in_at(&code, "other-admin").await;
    assert_eq!(other.get(&version).await.status, StatusCode::NOT_FOUND);
    let (status, _, _) = other.get_bytes(&format!("{version}/catalog.yaml")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let theirs = other.get("/checklist/medical/2026").await;
    assert!(!theirs.body.contains(NEW_TITLE));
    assert!(theirs.text("#earlier-form").contains("令和7年度"));

    // The operator shares it: now every institution answers 令和8年度 on it.
    let first = mamori_store::institution::list_all_for_operator(&app.store)
        .await
        .expect("institutions")
        .into_iter()
        .next()
        .expect("the first institution");
    mamori_store::checklist_version::share_by_operator(
        &app.store,
        first.id,
        "R8-medical",
        jiff::Timestamp::now(),
    )
    .await
    .expect("shared");
    let theirs = other.get("/checklist/medical/2026").await;
    assert!(theirs.body.contains(NEW_TITLE));
    assert!(theirs.texts("#earlier-form").is_empty());
    let list = other.get("/checklist-versions").await;
    assert!(
        list.texts("#versions .origin")
            .iter()
            .any(|o| o.contains("全施設に共有")),
        "{:?}",
        list.texts("#versions .origin")
    );
    // Shared twice is refused; an unknown version is not found.
    assert!(matches!(
        mamori_store::checklist_version::share_by_operator(
            &app.store,
            first.id,
            "R8-medical",
            jiff::Timestamp::now()
        )
        .await,
        Err(mamori_store::Error::Conflict(_))
    ));
    assert!(matches!(
        mamori_store::checklist_version::share_by_operator(
            &app.store,
            first.id,
            "R9-medical",
            jiff::Timestamp::now()
        )
        .await,
        Err(mamori_store::Error::NotFound)
    ));
    // A shared version is read-only for the institutions it is shared with.
    let shared_id = list
        .attributes("#versions a", "href")
        .into_iter()
        .next()
        .expect("a link to the shared version");
    let shared = other.get(&shared_id).await;
    assert_eq!(shared.status, StatusCode::OK);
    assert!(shared.texts("#publish").is_empty());
}
