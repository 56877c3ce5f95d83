//! Remote maintenance sessions (issue #15) over HTTP: a request for a device
//! the ledger marks as remotely maintained, approval by the 企画管理者 only,
//! the work recorded, the vendor's report with its log; a session without its
//! report is flagged; bad input refused with nothing stored.

use reqwest::StatusCode;

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_session_is_requested_approved_carried_out_and_closed_with_the_vendors_report() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    admin
        .add_user("operator", "運用 三郎", "system_operator")
        .await;
    admin.add_user("inspector", "保健所 太郎", "viewer").await;
    for (number, remote) in [("SV-01", "yes"), ("PC-01", "no")] {
        let added = admin
            .submit(
                "/ledger/devices/new",
                "/ledger/devices/new",
                &[
                    ("kind", "server".into()),
                    ("asset_number", number.into()),
                    ("status", "active".into()),
                    ("antivirus", "installed".into()),
                    ("remote_used", remote.into()),
                    ("remote_vendor", "阿波メディカル".into()),
                ],
            )
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{:?}", added.errors());
    }
    let operator = app.signed_in("operator").await;
    let inspector = app.signed_in("inspector").await;

    // Only the remotely maintained device is offered; another is refused.
    let page = operator.get("/ledger/remote").await;
    assert_eq!(page.attributes("#asset_number option", "value"), ["SV-01"]);
    let request = |number: &str, purpose: &str| {
        vec![
            ("asset_number", number.to_owned()),
            ("planned_on", "2026-11-01".to_owned()),
            ("purpose", purpose.to_owned()),
        ]
    };
    let refused = operator
        .submit(
            "/ledger/remote",
            "/ledger/remote",
            &request("PC-01", "更新"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let empty = operator
        .submit("/ledger/remote", "/ledger/remote", &request("SV-01", " "))
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        empty.errors().join(" ").contains("目的"),
        "{:?}",
        empty.errors()
    );
    assert!(
        operator
            .get("/ledger/remote")
            .await
            .attribute("#remote-none", "id")
            .is_some(),
        "nothing stored"
    );
    let requested = operator
        .submit(
            "/ledger/remote",
            "/ledger/remote",
            &request("SV-01", "OSの更新"),
        )
        .await;
    assert_eq!(
        requested.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        requested.errors()
    );
    let session = requested
        .location
        .as_deref()
        .and_then(|l| l.split('?').next())
        .unwrap_or_default()
        .to_owned();
    let step = format!("{session}/step");
    assert!(
        operator
            .get(&session)
            .await
            .text("#remote-facts")
            .contains("阿波メディカル"),
        "the ledger's vendor"
    );

    // The system operator may not approve; the work cannot be recorded first.
    let approve = [("step", "approve".to_owned())];
    assert_eq!(
        operator.upload(&session, &step, &approve, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let done = |day: &str, start: &str, end: &str| {
        vec![
            ("step", "done".to_owned()),
            ("done_on", day.to_owned()),
            ("start_time", start.to_owned()),
            ("end_time", end.to_owned()),
            ("operator", "保守 一郎".to_owned()),
        ]
    };
    let early = operator
        .upload(&session, &step, &done("2026-11-01", "09:00", "10:00"), &[])
        .await;
    assert_eq!(
        early.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not approved yet"
    );
    let approved = admin.upload(&session, &step, &approve, &[]).await;
    assert_eq!(
        approved.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        approved.errors()
    );
    let again = admin.upload(&session, &step, &approve, &[]).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The work: an end before the start is refused; then recorded, the report awaited.
    let backwards = operator
        .upload(&session, &step, &done("2026-11-01", "10:00", "09:00"), &[])
        .await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        backwards.errors().join(" ").contains("終了"),
        "{:?}",
        backwards.errors()
    );
    let recorded = operator
        .upload(&session, &step, &done("2026-11-01", "09:00", "10:30"), &[])
        .await;
    assert_eq!(
        recorded.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        recorded.errors()
    );
    let list = inspector.get("/ledger/remote").await;
    assert_eq!(
        list.attributes("#remote-sessions tr.awaiting", "class")
            .len(),
        1
    );
    let steps = admin.get("/dashboard").await.texts("#next-steps li");
    assert!(
        steps.iter().any(|s| s.contains("作業報告がまだ")),
        "{steps:?}"
    );

    // The report: a binary that is not a document is refused, nothing stored;
    // then the report with its text log, kept with its SHA-256.
    let report = [
        ("step", "report".to_owned()),
        ("report", "OS更新、再起動、動作確認".to_owned()),
    ];
    let bad = operator
        .upload(
            &session,
            &step,
            &report,
            &[("log", "tool.exe", b"MZ\x90\x00".to_vec())],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        operator
            .get(&session)
            .await
            .attribute("#remote-report", "id")
            .is_none(),
        "nothing stored"
    );
    let log = b"2026/11/01 09:00:12 VPN login vendor01 from 203.0.113.5\n".to_vec();
    let closed = operator
        .upload(&session, &step, &report, &[("log", "vpn.log", log.clone())])
        .await;
    assert_eq!(
        closed.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        closed.errors()
    );
    let page = inspector.get(&session).await;
    assert!(page.text("#remote-report").contains("OS更新"));
    let sha = {
        use sha2::Digest;
        mamori_store::hex(&sha2::Sha256::digest(&log))
    };
    assert!(page.text("#remote-file").contains(&sha));
    let (status, content_type, bytes) = inspector.get_bytes(&format!("{session}/file")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    assert_eq!(bytes, log);
    assert!(
        inspector
            .get("/ledger/remote")
            .await
            .attributes("#remote-sessions tr.awaiting", "class")
            .is_empty()
    );
    // The inspector reads but records nothing.
    assert_eq!(
        inspector
            .submit("/ledger/remote", "/ledger/remote", &request("SV-01", "x"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let actions: Vec<String> = app
        .audit_events()
        .await
        .into_iter()
        .map(|e| e.action)
        .filter(|a| a.starts_with("maintenance."))
        .collect();
    assert_eq!(
        actions,
        [
            "maintenance.step",
            "maintenance.step",
            "maintenance.step",
            "maintenance.request"
        ]
    );
}

/// The vendor asks through the link it already has (the 事業者確認用 form):
/// only for the devices the ledger says it maintains remotely; the request
/// waits for the 企画管理者 like any other, marked as the link's.
#[tokio::test]
async fn a_vendor_asks_through_its_link_for_its_own_devices_only() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for (number, vendor) in [("SV-01", "阿波メディカル"), ("SV-02", "ほかの業者")] {
        let added = admin
            .submit(
                "/ledger/devices/new",
                "/ledger/devices/new",
                &[
                    ("kind", "server".into()),
                    ("asset_number", number.into()),
                    ("status", "active".into()),
                    ("antivirus", "installed".into()),
                    ("remote_used", "yes".into()),
                    ("remote_vendor", vendor.into()),
                ],
            )
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{:?}", added.errors());
    }
    let added = admin
        .submit(
            "/vendors",
            "/vendors",
            &[
                ("name", "阿波メディカル".into()),
                ("systems", "電子カルテ".into()),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let vendor_id = admin
        .get("/vendors")
        .await
        .attribute("#vendors tr.vendor", "data-vendor-id")
        .expect("a vendor id");
    let issued = admin
        .submit(
            "/vendors",
            &format!("/vendors/{vendor_id}/requests"),
            &[("days", "14".into())],
        )
        .await;
    assert_eq!(
        issued.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        issued.errors()
    );
    let link = admin
        .get(issued.location.as_deref().unwrap_or("/vendors"))
        .await
        .text("#issued-link code.link");
    let path = link
        .split_once("/v/")
        .map(|(_, token)| format!("/v/{}", token.trim()))
        .expect("a link");
    let vendor = app.browser();
    let form = vendor.get(&path).await;
    assert_eq!(
        form.attribute("#remote-link a", "href").as_deref(),
        Some(format!("{path}/remote").as_str())
    );
    let remote = format!("{path}/remote");
    let page = vendor.get(&remote).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.attributes("#asset_number option", "value"), ["SV-01"]);
    // Another vendor's device, or an empty purpose: refused, nothing stored.
    for (number, purpose) in [("SV-02", "更新"), ("SV-01", " ")] {
        let refused = vendor
            .submit(
                &remote,
                &remote,
                &[
                    ("asset_number", number.into()),
                    ("planned_on", "2026-12-20".into()),
                    ("purpose", purpose.into()),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{number}");
    }
    assert!(
        admin
            .get("/ledger/remote")
            .await
            .attribute("#remote-none", "id")
            .is_some()
    );
    let sent = vendor
        .submit(
            &remote,
            &remote,
            &[
                ("asset_number", "SV-01".into()),
                ("planned_on", "2026-12-20".into()),
                ("purpose", "ファームウェア更新".into()),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{:?}", sent.errors());
    assert!(
        vendor
            .get(sent.location.as_deref().unwrap_or_default())
            .await
            .attribute("#remote-sent", "id")
            .is_some()
    );
    let list = admin.get("/ledger/remote").await;
    let href = list
        .attribute("#remote-sessions a", "href")
        .expect("the request");
    let session = admin.get(&href).await;
    assert!(session.text("#remote-facts").contains("回答用リンクから"));
    assert!(session.attribute("#remote-approve", "id").is_some());
    let event = app
        .audit_events()
        .await
        .into_iter()
        .find(|e| e.action == "maintenance.request")
        .expect("audited");
    assert!(
        event.actor_label.contains("vendor link"),
        "{}",
        event.actor_label
    );
    // A dead link opens nothing.
    assert_eq!(
        vendor.get("/v/not-a-token/remote").await.status,
        StatusCode::NOT_FOUND
    );
}
