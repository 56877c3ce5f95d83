//! English mode: every page, walked with the `mamori_lang=en` cookie over an
//! institution whose data is ASCII only, shows no Japanese outside the
//! passages marked `lang="ja"` (official catalog wording, file column names).

use jiff::civil::Date;
use mamori_domain::calendar::FiscalYear;
use mamori_web::ROUTES;
use reqwest::StatusCode;
use scraper::{ElementRef, Html, Node, Selector};

use crate::helpers::{Browser, PASSWORD, Page, TestApp, spawn_app};

fn today() -> Date {
    jiff::Timestamp::now()
        .to_zoned_datetime(mamori_web::tokyo())
        .date()
}

/// Hiragana, Katakana or Han.
fn is_japanese(c: char) -> bool {
    matches!(
        c,
        '\u{3040}'..='\u{30FF}'
            | '\u{31F0}'..='\u{31FF}'
            | '\u{3400}'..='\u{4DBF}'
            | '\u{4E00}'..='\u{9FFF}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{FF66}'..='\u{FF9F}'
    )
}

fn has_japanese(text: &str) -> bool {
    text.chars().any(is_japanese)
}

/// Whether `element` or its nearest ancestor with a `lang` says Japanese; the
/// page's own `<html lang>` is left out, so that a Japanese page fails the check.
fn in_japanese(element: ElementRef<'_>) -> bool {
    std::iter::once(element)
        .chain(element.ancestors().filter_map(ElementRef::wrap))
        .filter(|e| e.value().name() != "html")
        .find_map(|e| e.value().attr("lang"))
        .is_some_and(|lang| lang == "ja" || lang.starts_with("ja-"))
}

/// Every Japanese text and attribute of the page outside `lang="ja"`.
fn japanese_outside_ja(html: &Html) -> Vec<String> {
    let mut found = Vec::new();
    for node in html.tree.nodes() {
        match node.value() {
            Node::Text(text) if has_japanese(text) => {
                let Some(parent) = node.parent().and_then(ElementRef::wrap) else {
                    continue;
                };
                if !in_japanese(parent) {
                    found.push(format!("<{}> {}", parent.value().name(), text.trim()));
                }
            }
            Node::Element(_) => {
                let Some(element) = ElementRef::wrap(node) else {
                    continue;
                };
                let e = element.value();
                let mut attributes = vec!["title", "placeholder", "aria-label", "alt"];
                let visible_value = match e.name() {
                    "button" => true,
                    "input" => !matches!(e.attr("type"), Some("hidden")),
                    _ => false,
                };
                if visible_value {
                    attributes.push("value");
                }
                for name in attributes {
                    if let Some(value) = e.attr(name)
                        && has_japanese(value)
                        && !in_japanese(element)
                    {
                        found.push(format!("<{} {name}=\"{value}\">", e.name()));
                    }
                }
            }
            _ => {}
        }
    }
    found
}

/// The ids the routes' parameters take.
#[derive(Default)]
pub(crate) struct Ids {
    user: String,
    vendor: String,
    device: String,
    disposed: String,
    staff: String,
    pub(crate) carry_out: String,
    pub(crate) evidence: String,
    vendor_document: String,
    version: String,
    pub(crate) backup: String,
    backup_test: String,
    bcp_version: String,
    policy_version: String,
    training: String,
    remote: String,
    /// A calendar feed's token (`/calendar/feed/{token}`).
    feed: String,
    pub(crate) incident: String,
    incident_file: String,
    /// The poster link's token (`/report/{token}`).
    poster: String,
    token: String,
    year: String,
    items: Vec<String>,
}

/// The paths of `route` with its parameters filled; none when an id is missing.
pub(crate) fn paths(route: &str, ids: &Ids) -> Vec<String> {
    let mut path = route
        .replace("{form}", "medical")
        .replace("{year}", &ids.year);
    if path.contains("{id}") || path.contains("{token}") {
        let id = if route.ends_with("/certificate") {
            &ids.disposed
        } else if route.starts_with("/users/") {
            &ids.user
        } else if route.starts_with("/ledger/devices/") {
            &ids.device
        } else if route.starts_with("/ledger/staff/") {
            &ids.staff
        } else if route.starts_with("/carry-outs/") {
            &ids.carry_out
        } else if route.starts_with("/evidence/") {
            &ids.evidence
        } else if route.starts_with("/vendor-documents/") {
            &ids.vendor_document
        } else if route.starts_with("/checklist-versions/") {
            &ids.version
        } else if route.starts_with("/v/") {
            &ids.token
        } else if route.starts_with("/vendors/") {
            &ids.vendor
        } else if route.starts_with("/ledger/backups/") {
            &ids.backup
        } else if route.starts_with("/bcp/versions/") {
            &ids.bcp_version
        } else if route.starts_with("/policy/versions/") {
            &ids.policy_version
        } else if route.starts_with("/training/") {
            &ids.training
        } else if route.starts_with("/ledger/remote/") {
            &ids.remote
        } else if route.starts_with("/calendar/feed/") {
            &ids.feed
        } else if route.starts_with("/incidents/") {
            &ids.incident
        } else if route.starts_with("/incident-files/") {
            &ids.incident_file
        } else if route.starts_with("/report/") {
            &ids.poster
        } else {
            // A new route with a parameter must be walked too, not skipped.
            panic!("the English walk cannot fill {route}: give it an id in paths()")
        };
        if id.is_empty() {
            return Vec::new();
        }
        path = path.replace("{id}", id).replace("{token}", id);
    }
    if path.contains("{test}") {
        if ids.backup_test.is_empty() {
            return Vec::new();
        }
        path = path.replace("{test}", &ids.backup_test);
    }
    if path.contains("{key}") {
        return ids
            .items
            .iter()
            .map(|key| path.replace("{key}", key))
            .collect();
    }
    vec![path]
}

/// Routes that answer a signed-in person with a redirect.
const REDIRECTS: [&str; 6] = [
    "/",
    "/checklist",
    "/setup",
    "/login",
    "/login/two-factor",
    "/break-glass",
];

/// A page's leftovers: (path, Japanese strings outside `lang="ja"`).
type Leftovers = Vec<(String, Vec<String>)>;

/// GETs `path`, checks it is a 200 HTML page in `lang`, and returns its Japanese.
async fn check_page(browser: &Browser, path: &str, lang: &str) -> Option<Vec<String>> {
    let page = browser.get(path).await;
    let content_type = page
        .headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if page.status.is_success() && !content_type.starts_with("text/html") {
        return None;
    }
    assert_eq!(page.status, StatusCode::OK, "GET {path}: {}", page.body);
    let html = page.html();
    let root_lang = html
        .select(&Selector::parse("html").expect("selector"))
        .next()
        .and_then(|e| e.value().attr("lang"))
        .map(str::to_owned);
    assert_eq!(root_lang.as_deref(), Some(lang), "<html lang> of {path}");
    Some(japanese_outside_ja(&html))
}

/// Walks every GET route (with its parameters from `ids`) and returns the leftovers.
async fn walk(browser: &Browser, ids: &Ids, lang: &str) -> Leftovers {
    let mut leftovers = Vec::new();
    // The language switch only redirects, and would change the walk's language.
    // The walker is the 安全管理責任者: every page but the vendor's own, which
    // a vendor's account walks below.
    let routes = ROUTES.iter().filter(|route| {
        route.method == "GET"
            && route.path != "/lang/{code}"
            && route
                .permission
                .is_none_or(|p| mamori_domain::institution::Role::SecurityManager.has(p))
    });
    for route in routes {
        for path in paths(route.path, ids) {
            if REDIRECTS.contains(&route.path) {
                let page = browser.get(&path).await;
                if page.status.is_redirection() {
                    continue;
                }
            }
            if let Some(found) = check_page(browser, &path, lang).await {
                leftovers.push((path, found));
            }
        }
    }
    leftovers
}

fn report(leftovers: &Leftovers) -> String {
    leftovers
        .iter()
        .filter(|(_, found)| !found.is_empty())
        .map(|(path, found)| format!("{path}:\n    {}", found.join("\n    ")))
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_no_japanese(leftovers: &Leftovers) {
    let text = report(leftovers);
    assert!(text.is_empty(), "Japanese in English pages:\n{text}");
}

/// A browser in English.
async fn english(app: &TestApp) -> Browser {
    let browser = app.browser();
    let switched = browser.get("/lang/en?next=/login").await;
    assert!(switched.status.is_redirection(), "{}", switched.status);
    browser
}

fn ok(page: Page, what: &str) -> Page {
    assert!(
        page.status == StatusCode::SEE_OTHER || page.status == StatusCode::OK,
        "{what}: {} {:?}",
        page.status,
        page.errors()
    );
    page
}

fn id_at_end(page: &Page) -> String {
    page.location_path()
        .and_then(|path| path.rsplit('/').next().map(str::to_owned))
        .unwrap_or_default()
}

fn device_fields(asset_number: &str, kind: &str) -> Vec<(&'static str, String)> {
    vec![
        ("kind", kind.into()),
        ("asset_number", asset_number.into()),
        ("maker_model", "Acme X1".into()),
        ("location", "Server room".into()),
        ("manager", "IT lead".into()),
        ("os_version", "Linux 6.1".into()),
        ("last_security_update", "2025-04-01".into()),
        ("antivirus", "installed".into()),
        ("remote_used", "yes".into()),
        ("remote_vendor", "Karte Support".into()),
        ("remote_method", "VPN".into()),
        ("mds_sds_received", "no".into()),
        ("internet_connected", "no".into()),
        ("segment", "EHR LAN".into()),
        ("ip_addresses", "192.168.10.2".into()),
        ("mac_addresses", "00-1a-2b-3c-4d-5e".into()),
        ("initial_password_changed", "no".into()),
        ("external_media_restricted", "no".into()),
        ("remarks", "Main server".into()),
    ]
}

/// Sets up an institution with ASCII data and signs its security manager in.
pub(crate) async fn set_up(app: &TestApp) -> Browser {
    let browser = english(app).await;
    let fields = [
        ("name", "Mamori Clinic".to_owned()),
        ("kind", "clinic_without_beds".to_owned()),
        ("bed_count", "0".to_owned()),
        ("prefecture", "徳島県".to_owned()),
        ("address", "1-1 Saiwai-cho, Tokushima".to_owned()),
        ("phone", "088-123-4567".to_owned()),
        ("display_name", "Taro Mamori".to_owned()),
        ("login_id", "admin".to_owned()),
        ("password", PASSWORD.to_owned()),
        ("password_confirm", PASSWORD.to_owned()),
    ];
    let done = browser.submit("/setup", "/setup", &fields).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{:?}", done.errors());
    let signed_in = browser.sign_in("admin", PASSWORD).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    browser
}

/// Fills every ledger, the checklist, vendors and carry-outs; returns the ids.
pub(crate) async fn fill(app: &TestApp, admin: &Browser) -> Ids {
    let day = today().to_string();
    let year = FiscalYear::containing(today()).to_string();
    let mut ids = Ids {
        year: year.clone(),
        ..Ids::default()
    };
    ok(
        admin
            .add_user("planner", "Hana Plan", "planning_manager")
            .await,
        "user",
    );
    ids.user = admin.user_id_of("planner").await.to_string();

    // Devices: one with warnings and a history, one disposed of with a certificate.
    let created = ok(
        admin
            .submit(
                "/ledger/devices/new",
                "/ledger/devices/new",
                &device_fields("SV-01", "server"),
            )
            .await,
        "device",
    );
    ids.device = id_at_end(&created);
    let mut changed = device_fields("SV-01", "server");
    changed.retain(|(name, _)| *name != "location");
    changed.push(("location", "Room 2".into()));
    let edit = format!("/ledger/devices/{}/edit", ids.device);
    ok(admin.submit(&edit, &edit, &changed).await, "device edit");
    let spare = ok(
        admin
            .submit(
                "/ledger/devices/new",
                "/ledger/devices/new",
                &device_fields("PC-09", "pc"),
            )
            .await,
        "device",
    );
    ids.disposed = id_at_end(&spare);
    let spare = format!("/ledger/devices/{}", ids.disposed);
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
    ok(
        admin
            .upload(
                &spare,
                &format!("{spare}/dispose"),
                &[
                    ("disposed_on", day.clone()),
                    ("contractor", "Recycle Inc.".into()),
                    ("method", "Shredded".into()),
                ],
                &[("certificate", "certificate.pdf", pdf.clone())],
            )
            .await,
        "disposal",
    );
    ok(
        admin
            .submit(
                "/ledger/devices",
                "/ledger/devices/review",
                &[("reviewed_on", day.clone()), ("note", "All checked".into())],
            )
            .await,
        "device review",
    );

    // Staff, a leaver among them, and their accounts.
    for (name, job, left_on) in [
        ("Hanako Tanaka", "nurse", ""),
        ("Ichiro Suzuki", "clerk", "2025-03-31"),
    ] {
        ok(
            admin
                .submit(
                    "/ledger/staff",
                    "/ledger/staff",
                    &[
                        ("name", name.into()),
                        ("job", job.into()),
                        ("department", "Ward 1".into()),
                        ("joined_on", "2024-04-01".into()),
                        ("left_on", left_on.into()),
                    ],
                )
                .await,
            "staff",
        );
    }
    let staff_page = admin.get("/ledger/staff").await;
    // The backup register: a line on the server, a restore test with its evidence.
    let plan = ok(
        admin
            .submit(
                "/ledger/backups",
                "/ledger/backups",
                &[
                    ("system", "EHR".into()),
                    ("asset_number", "SV-01".into()),
                    ("data", "EHR database".into()),
                    ("method", "nas".into()),
                    ("frequency", "daily".into()),
                    ("generations", "2".into()),
                    ("offline_copy", "".into()),
                    ("location", "NAS".into()),
                    ("responsible", "Acme Medical".into()),
                    ("last_success", day.clone()),
                    ("note", "".into()),
                ],
            )
            .await,
        "backup plan",
    );
    ids.backup = id_at_end(&plan);
    let backup = format!("/ledger/backups/{}", ids.backup);
    ok(
        admin
            .upload(
                &backup,
                &format!("{backup}/tests"),
                &[
                    ("tested_on", day.clone()),
                    ("restored", "Yesterday's database".into()),
                    ("minutes", "30".into()),
                    ("outcome", "failed".into()),
                    ("performed_by", "Hana Plan".into()),
                    ("note", "Images did not come back".into()),
                ],
                &[("evidence", "report.pdf", pdf.clone())],
            )
            .await,
        "restore test",
    );
    ids.backup_test = admin
        .get(&backup)
        .await
        .attributes("a.evidence", "href")
        .iter()
        .find_map(|href| {
            href.strip_suffix("/evidence")
                .and_then(|rest| rest.rsplit('/').next())
                .map(str::to_owned)
        })
        .unwrap_or_default();
    // The BCP: answers written, a first version approved.
    ok(
        admin
            .submit(
                "/bcp/draft",
                "/bcp/answers",
                &[("meeting_members", "Director, office manager".into())],
            )
            .await,
        "BCP answers",
    );
    let fingerprint = admin
        .get("/bcp/draft")
        .await
        .attribute("input[name=fingerprint]", "value")
        .unwrap_or_default();
    ok(
        admin
            .submit(
                "/bcp/draft",
                "/bcp/approve",
                &[("fingerprint", fingerprint)],
            )
            .await,
        "BCP approval",
    );
    ids.bcp_version = "1".to_owned();
    // The security policy, approved as it is drafted (the defaults).
    let fingerprint = admin
        .get("/policy/draft")
        .await
        .attribute("input[name=fingerprint]", "value")
        .unwrap_or_default();
    ok(
        admin
            .submit(
                "/policy/draft",
                "/policy/approve",
                &[("fingerprint", fingerprint)],
            )
            .await,
        "policy approval",
    );
    ids.policy_version = "1".to_owned();
    // An incident: a report with a photo, taken in charge, a step ticked.
    let jpeg = b"\xFF\xD8\xFF\xE0 a photo of the screen".to_vec();
    let reported = ok(
        admin
            .upload(
                "/incidents/report",
                "/incidents/report",
                &[
                    ("reporter", "Hana Front".into()),
                    ("place", "Reception".into()),
                    ("asset_number", "SV-01".into()),
                    ("pattern_1", "1".into()),
                    ("details", "A ransom note on the screen".into()),
                    ("cut_network", "1".into()),
                ],
                &[("photos", "screen.jpg", jpeg)],
            )
            .await,
        "incident report",
    );
    ids.incident = reported
        .location
        .as_deref()
        .and_then(|location| location.split("n=").nth(1))
        .unwrap_or_default()
        .to_owned();
    let incident = format!("/incidents/{}", ids.incident);
    ok(
        admin
            .submit(&incident, &incident, &[("action", "take_charge".into())])
            .await,
        "take charge",
    );
    ok(
        admin
            .submit(
                &incident,
                &incident,
                &[
                    ("action", "step_done".into()),
                    ("step", "II-2-1".into()),
                    ("text", "Cable unplugged".into()),
                ],
            )
            .await,
        "step",
    );
    ok(
        admin
            .submit(
                &incident,
                &incident,
                &[
                    ("action", "assessment".into()),
                    ("personal_data", "1".into()),
                    ("sensitive", "1".into()),
                    ("wrongful_purpose", "1".into()),
                    ("people", "3".into()),
                ],
            )
            .await,
        "assessment",
    );
    ok(
        admin
            .submit(
                &incident,
                &incident,
                &[
                    ("action", "meeting".into()),
                    ("attendees", "Director, office manager".into()),
                    ("care", "Paper records".into()),
                ],
            )
            .await,
        "meeting",
    );
    // A vendor's account called in to answer manual IV (its page is walked
    // by that vendor, in English, in the test).
    ok(
        admin
            .add_user("vendor-en", "Vendor Engineer", "vendor")
            .await,
        "vendor account",
    );
    let vendor_id = admin.user_id_of("vendor-en").await;
    ok(
        admin
            .submit(
                &incident,
                &incident,
                &[
                    ("action", "call_vendor".into()),
                    ("vendor", vendor_id.to_string()),
                ],
            )
            .await,
        "call the vendor in",
    );
    ids.incident_file = admin
        .get(&incident)
        .await
        .attributes("#files a", "href")
        .first()
        .and_then(|href| href.rsplit('/').next().map(str::to_owned))
        .unwrap_or_default();
    ok(
        admin
            .submit(
                "/incidents/poster",
                "/incidents/poster",
                &[("action", "issue".into())],
            )
            .await,
        "poster link",
    );
    ids.poster = admin
        .get("/incidents/poster")
        .await
        .text("#poster-url")
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    ids.staff = staff_page
        .attributes("#staff a", "href")
        .first()
        .and_then(|href| href.split('/').nth(3).map(str::to_owned))
        .unwrap_or_default();
    // A drill with its attendee.
    let drill = ok(
        admin
            .submit(
                "/training",
                "/training",
                &[
                    ("held_on", "2026-11-20".into()),
                    ("kind", "phishing".into()),
                    ("topic", "Phishing drill".into()),
                    ("scenario", "An invoice e-mail".into()),
                    ("lessons", "Two opened it".into()),
                    ("attendees", ids.staff.clone()),
                ],
            )
            .await,
        "training",
    );
    ids.training = drill
        .location
        .as_deref()
        .and_then(|l| l.split('/').nth(2))
        .and_then(|l| l.split('?').next())
        .unwrap_or_default()
        .to_owned();
    // A remote maintenance session, approved, carried out and reported with its log.
    let asset = admin
        .get("/ledger/remote")
        .await
        .attribute("#asset_number option", "value")
        .unwrap_or_default();
    let requested = ok(
        admin
            .submit(
                "/ledger/remote",
                "/ledger/remote",
                &[
                    ("asset_number", asset),
                    ("planned_on", "2026-11-01".into()),
                    ("purpose", "OS update".into()),
                ],
            )
            .await,
        "remote maintenance request",
    );
    ids.remote = requested
        .location
        .as_deref()
        .and_then(|l| l.split('/').nth(3))
        .and_then(|l| l.split('?').next())
        .unwrap_or_default()
        .to_owned();
    let session = format!("/ledger/remote/{}", ids.remote);
    let step = format!("{session}/step");
    for (fields, files) in [
        (vec![("step", "approve".to_owned())], vec![]),
        (
            vec![
                ("step", "done".to_owned()),
                ("done_on", "2026-11-01".to_owned()),
                ("start_time", "09:00".to_owned()),
                ("end_time", "10:00".to_owned()),
                ("operator", "Karte engineer".to_owned()),
            ],
            vec![],
        ),
        (
            vec![
                ("step", "report".to_owned()),
                ("report", "Updated, rebooted".to_owned()),
            ],
            vec![("log", "vpn.log", b"2026-11-01 09:00 login".to_vec())],
        ),
    ] {
        ok(
            admin.upload(&session, &step, &fields, &files).await,
            "remote maintenance step",
        );
    }
    // The admin's calendar feed.
    ok(
        admin
            .submit("/calendar", "/calendar/feed", &[("action", "issue".into())])
            .await,
        "calendar feed",
    );
    ids.feed = admin
        .get("/calendar")
        .await
        .text("#feed-address")
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let accounts = admin.get("/ledger/accounts").await;
    let staff_ids = accounts.attributes("#staff_id option", "value");
    let staff_ids: Vec<&String> = staff_ids.iter().filter(|v| !v.is_empty()).collect();
    for (system, login, owner, shared, admin_right, used) in [
        ("EHR", "tanaka", 0, "", "yes", day.clone()),
        ("Windows", "suzuki", 1, "", "", day.clone()),
        ("VPN", "shared-vpn", 9, "yes", "", "2024-01-01".to_owned()),
    ] {
        let owner = staff_ids
            .get(owner)
            .map(|id| (*id).clone())
            .unwrap_or_default();
        ok(
            admin
                .submit(
                    "/ledger/accounts",
                    "/ledger/accounts",
                    &[
                        ("system", system.into()),
                        ("login", login.into()),
                        ("staff_id", owner),
                        ("shared", shared.into()),
                        ("admin", admin_right.into()),
                        ("last_used_on", used),
                    ],
                )
                .await,
            "account",
        );
    }
    ok(
        admin
            .submit(
                "/ledger/accounts",
                "/ledger/accounts/inventory",
                &[("date", day.clone()), ("note", "All matched".into())],
            )
            .await,
        "inventory",
    );
    ok(
        admin
            .submit(
                "/ledger/access",
                "/ledger/access",
                &[
                    ("doctor.medical-record", "update".into()),
                    ("it.system-admin", "admin".into()),
                    ("nurse.medical-record", "read".into()),
                ],
            )
            .await,
        "access",
    );

    // Use log, private devices, network.
    ok(
        admin
            .submit(
                "/ledger/usage",
                "/ledger/usage",
                &[
                    ("asset_number", "SV-01".into()),
                    ("used_on", day.clone()),
                    ("start_time", "09:00".into()),
                    ("end_time", "10:00".into()),
                    ("user_name", "Hanako Tanaka".into()),
                    ("virus_checked", "yes".into()),
                ],
            )
            .await,
        "use",
    );
    for device in ["USB stick", "Camera"] {
        ok(
            admin
                .submit(
                    "/ledger/private-devices",
                    "/ledger/private-devices",
                    &[
                        ("owner_name", "Hanako Tanaka".into()),
                        ("device", device.into()),
                        ("purpose", "Conference slides".into()),
                        ("permitted_by", "Head nurse".into()),
                        ("permitted_on", day.clone()),
                        ("virus_checked", "yes".into()),
                    ],
                )
                .await,
            "private device",
        );
    }
    let private = admin.get("/ledger/private-devices").await;
    if let Some(action) = private
        .attributes("#private-devices form", "action")
        .first()
    {
        ok(
            admin
                .submit(
                    "/ledger/private-devices",
                    action,
                    &[("data_deleted_on", day.clone())],
                )
                .await,
            "data deleted",
        );
    }
    for (name, kind) in [("Internet", "internet"), ("EHR LAN", "lan")] {
        ok(
            admin
                .submit(
                    "/ledger/network",
                    "/ledger/network/segments",
                    &[
                        ("segment_name", name.into()),
                        ("segment_kind", kind.into()),
                        ("note", "192.168.10.0/24".into()),
                    ],
                )
                .await,
            "segment",
        );
    }
    let network = admin.get("/ledger/network").await;
    let segments = network.attributes("#link-form select[name=from] option", "value");
    if let [from, to, ..] = segments.as_slice() {
        ok(
            admin
                .submit(
                    "/ledger/network",
                    "/ledger/network/links",
                    &[
                        ("from", from.clone()),
                        ("to", to.clone()),
                        ("via", "SV-01".into()),
                    ],
                )
                .await,
            "link",
        );
    }
    ok(
        admin
            .submit(
                "/ledger/network",
                "/ledger/network/review",
                &[("date", day.clone()), ("note", "Checked on site".into())],
            )
            .await,
        "network review",
    );

    // Carry-outs: one taken out (approved by the planner), one waiting.
    let request = |what: &'static str| {
        vec![
            ("what", what.to_owned()),
            ("asset_number", "SV-01".to_owned()),
            ("purpose", "Home visits".to_owned()),
            ("destination", "Patient home".to_owned()),
            ("out_on", today().to_string()),
            ("return_by", today().to_string()),
            ("encrypted", "yes".to_owned()),
        ]
    };
    let taken = ok(
        admin
            .submit("/carry-outs/new", "/carry-outs/new", &request("Laptop"))
            .await,
        "carry-out",
    );
    let taken = taken.location_path().unwrap_or_default();
    let planner = app.signed_in("planner").await;
    ok(
        planner
            .submit(
                "/dashboard",
                &format!("{taken}/step"),
                &[
                    ("action", "approve".into()),
                    ("encryption_confirmed", "yes".into()),
                    ("note", "Fine".into()),
                ],
            )
            .await,
        "approve",
    );
    ok(
        admin
            .submit(
                "/dashboard",
                &format!("{taken}/step"),
                &[("action", "take".into())],
            )
            .await,
        "take",
    );
    let waiting = ok(
        admin
            .submit("/carry-outs/new", "/carry-outs/new", &request("Letters"))
            .await,
        "carry-out",
    );
    ids.carry_out = id_at_end(&waiting);

    // The checklist: started, answered, with evidence.
    let base = format!("/checklist/medical/{year}");
    ok(
        admin.submit(&base, &format!("{base}/start"), &[]).await,
        "start",
    );
    admin
        .submit(
            &base,
            &format!("{base}/gate"),
            &[("in_use", "yes".into()), ("checked_on", day.clone())],
        )
        .await;
    let overview = admin.get(&base).await;
    let mut items: Vec<String> = overview
        .attributes("#items a", "href")
        .iter()
        .filter_map(|href| href.rsplit('/').next().map(str::to_owned))
        .collect();
    items.dedup();
    for (index, key) in items.iter().enumerate().take(3) {
        let item = format!("{base}/items/{key}");
        let fields: Vec<(&str, String)> = if index == 1 {
            vec![
                ("first_answer", "no".into()),
                ("first_date", day.clone()),
                (
                    "target_date",
                    FiscalYear::containing(today()).last_day().to_string(),
                ),
                ("remarks", "Planned".into()),
            ]
        } else {
            vec![
                ("first_answer", "yes".into()),
                ("first_date", day.clone()),
                ("remarks", "Done".into()),
            ]
        };
        ok(admin.submit(&item, &item, &fields).await, "answer");
    }
    for key in ["ledger", "access-rights", "mds-sds", "remote-maintenance"] {
        let item = format!("{base}/items/{key}");
        admin
            .submit(
                &item,
                &item,
                &[("first_answer", "yes".into()), ("first_date", day.clone())],
            )
            .await;
    }
    let evidence_item = format!(
        "{base}/items/{}",
        items.first().cloned().unwrap_or_default()
    );
    ok(
        admin
            .upload(
                &evidence_item,
                &format!("{evidence_item}/evidence"),
                &[("label", "Contact chart".into())],
                &[("file", "chart.pdf", pdf.clone())],
            )
            .await,
        "evidence",
    );
    ok(
        admin
            .submit(
                &evidence_item,
                &format!("{evidence_item}/links"),
                &[("path", "/users".into()), ("label", "User list".into())],
            )
            .await,
        "link",
    );
    ids.evidence = admin
        .get(&evidence_item)
        .await
        .attributes(".evidence-item a", "href")
        .iter()
        .find_map(|href| href.strip_prefix("/evidence/").map(str::to_owned))
        .unwrap_or_default();
    ids.items = items;
    // A draft of next year's version (a draft changes nothing in force).
    let next_year = (FiscalYear::containing(today()).start_year() + 1).to_string();
    let version = ok(
        admin
            .submit(
                "/checklist-versions",
                "/checklist-versions",
                &[("base", "R7-medical".into()), ("fiscal_year", next_year)],
            )
            .await,
        "checklist version",
    );
    ids.version = version
        .location_path()
        .and_then(|path| {
            path.strip_prefix("/checklist-versions/")
                .map(|rest| rest.split('?').next().unwrap_or_default().to_owned())
        })
        .unwrap_or_default();
    ok(
        admin
            .submit(
                "/tokushima",
                &format!("/tokushima/{year}"),
                &[
                    ("level-1", "2".into()),
                    ("note-1", "Backups checked".into()),
                ],
            )
            .await,
        "tokushima",
    );

    // A vendor, its request link and its answer with an MDS.
    ok(
        admin
            .submit(
                "/vendors",
                "/vendors",
                &[
                    ("name", "Karte Support Inc.".into()),
                    ("systems", "EHR".into()),
                    ("contact", "support@example.com".into()),
                ],
            )
            .await,
        "vendor",
    );
    let vendors = admin.get("/vendors").await;
    let vendor_id = vendors
        .attribute("#vendors tr.vendor", "data-vendor-id")
        .unwrap_or_default();
    ok(
        admin
            .submit(
                "/vendors",
                &format!("/vendors/{vendor_id}/requests"),
                &[("days", "14".into())],
            )
            .await,
        "request",
    );
    // Its contract, which lacks most of annex 1's items and has ended.
    ok(
        admin
            .submit(
                &format!("/vendors/{vendor_id}/contracts"),
                &format!("/vendors/{vendor_id}/contracts"),
                &[
                    ("title", "EHR maintenance".into()),
                    ("signed_on", "2024-04-01".into()),
                    ("expires_on", "2025-03-31".into()),
                    ("note", "Renewed yearly".into()),
                    ("clause", "mds-sds".into()),
                ],
            )
            .await,
        "contract",
    );
    ok(
        admin
            .submit(
                &format!("/vendors/{vendor_id}/contracts"),
                &format!("/vendors/{vendor_id}/certificates"),
                &[
                    ("kind", "privacy_mark".into()),
                    ("number", "P-10820001".into()),
                    ("expires_on", "2025-03-31".into()),
                ],
            )
            .await,
        "certificate",
    );
    ids.vendor = vendor_id;
    ids
}

/// The vendor's side: the form in English, then its answer with a document.
pub(crate) async fn vendor_answers(app: &TestApp, admin: &Browser, ids: &mut Ids) -> Leftovers {
    let issued = admin.get("/vendors?done=issued").await;
    let mut leftovers = vec![(
        "/vendors?done=issued".to_owned(),
        japanese_outside_ja(&issued.html()),
    )];
    let link = issued.text("#issued-link code.link");
    let path = link
        .split_once("/v/")
        .map(|(_, token)| format!("/v/{token}"))
        .unwrap_or_default();
    assert!(!path.is_empty(), "a link in {}", issued.body);
    ids.token = path.trim_start_matches("/v/").to_owned();
    let vendor = english(app).await;
    if let Some(found) = check_page(&vendor, &path, "en").await {
        leftovers.push((format!("{path} (form)"), found));
    }
    let form = vendor.get(&path).await;
    let mut fields: Vec<(&str, String)> = vec![("officer_name", "Ken Vendor".into())];
    let names = form.attributes("input[type=radio][value=yes]", "name");
    let mut owned: Vec<(String, String)> = Vec::new();
    for name in &names {
        owned.push((name.clone(), "yes".into()));
        owned.push((name.replace("answer-", "date-"), today().to_string()));
    }
    fields.extend(owned.iter().map(|(k, v)| (k.as_str(), v.clone())));
    let mds = b"%PDF-1.4\n% MDS\n%%EOF\n".to_vec();
    ok(
        vendor
            .upload(&path, &path, &fields, &[("documents", "MDS.pdf", mds)])
            .await,
        "vendor answer",
    );
    let year = &ids.year;
    let mds_item = admin
        .get(&format!("/checklist/medical/{year}/items/mds-sds"))
        .await;
    ids.vendor_document = mds_item
        .attributes("#vendor-facts a", "href")
        .iter()
        .find_map(|href| href.strip_prefix("/vendor-documents/").map(str::to_owned))
        .unwrap_or_default();
    leftovers
}

#[tokio::test]
async fn every_page_in_english_shows_no_japanese_outside_marked_passages() {
    let app = spawn_app().await;
    let anonymous = english(&app).await;
    let mut leftovers = Leftovers::new();
    for path in ["/setup"] {
        if let Some(found) = check_page(&anonymous, path, "en").await {
            leftovers.push((format!("{path} (signed out)"), found));
        }
    }
    let admin = set_up(&app).await;
    if let Some(found) = check_page(&anonymous, "/login", "en").await {
        leftovers.push(("/login (after setup)".to_owned(), found));
    }

    // Empty states first, then every page with data.
    let empty = Ids {
        year: FiscalYear::containing(today()).to_string(),
        ..Ids::default()
    };
    for (path, found) in walk(&admin, &empty, "en").await {
        leftovers.push((format!("{path} (empty)"), found));
    }
    let mut ids = fill(&app, &admin).await;
    leftovers.extend(vendor_answers(&app, &admin, &mut ids).await);
    for (what, id) in [
        ("a user", &ids.user),
        ("a device", &ids.device),
        ("a disposed device", &ids.disposed),
        ("a member of staff", &ids.staff),
        ("a carry-out", &ids.carry_out),
        ("a vendor link", &ids.token),
    ] {
        assert!(!id.is_empty(), "{what}");
    }
    assert!(
        ids.items.len() > 10,
        "the checklist's items: {:?}",
        ids.items
    );
    assert!(!ids.evidence.is_empty(), "an evidence file");
    assert!(!ids.backup_test.is_empty(), "a restore test's evidence");
    assert!(!ids.vendor_document.is_empty(), "a vendor document");
    leftovers.extend(walk(&admin, &ids, "en").await);
    let disposed = format!("/ledger/devices/{}", ids.disposed);
    if let Some(found) = check_page(&admin, &disposed, "en").await {
        leftovers.push((format!("{disposed} (disposed)"), found));
    }
    let vendor = english(&app).await;
    if let Some(found) = check_page(&vendor, &format!("/v/{}", ids.token), "en").await {
        leftovers.push(("/v/{token} (answered)".to_owned(), found));
    }
    // The vendor's account, called into the incident, answers manual IV.
    let called = english(&app).await;
    let signed = called.sign_in("vendor-en", PASSWORD).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "vendor sign-in");
    let step = format!("/incidents/{}/vendor-steps", ids.incident);
    ok(
        called
            .submit(
                "/incidents/vendor",
                &step,
                &[
                    ("step", "IV-2-1-a".into()),
                    ("text", "Disk full on SV-01".into()),
                ],
            )
            .await,
        "vendor step",
    );
    let page = called.get("/incidents/vendor").await;
    assert!(
        page.text(&format!("#vendor-step-{}-IV-2-1-a", ids.incident))
            .contains("Disk full on SV-01")
    );
    if let Some(found) = check_page(&called, "/incidents/vendor", "en").await {
        leftovers.push(("/incidents/vendor (vendor)".to_owned(), found));
    }
    // The import preview and a refused import answer a POST: checked too.
    for (name, csv) in [
        (
            "devices.csv",
            "種別,管理番号,管理場所\r\nserver,SV-01,Room 3\r\npc,PC-20,Desk\r\n",
        ),
        ("bad.csv", "種別,colour\r\nfridge,x\r\n"),
    ] {
        let page = admin
            .upload(
                "/ledger/devices/import",
                "/ledger/devices/import",
                &[],
                &[("file", name, csv.as_bytes().to_vec())],
            )
            .await;
        leftovers.push((
            format!("POST /ledger/devices/import ({name})"),
            japanese_outside_ja(&page.html()),
        ));
    }
    assert_no_japanese(&leftovers);

    // The same walk in Japanese finds Japanese on every page: the check can fail.
    let switched = admin.get("/lang/ja?next=/dashboard").await;
    assert!(switched.status.is_redirection());
    let japanese = walk(&admin, &ids, "ja").await;
    assert!(japanese.len() > 30, "{} pages", japanese.len());
    for (path, found) in &japanese {
        assert!(!found.is_empty(), "{path} shows no Japanese in Japanese");
    }
}

/// The pages the walk above meets only as redirects — the second sign-in step,
/// the break-glass reason and the chooser of a ledger printed in parts — in
/// English too, reached the way a person reaches them.
#[tokio::test]
async fn the_second_step_the_break_glass_reason_and_the_print_parts_are_english() {
    let app = spawn_app().await;
    let admin = set_up(&app).await;
    let mut leftovers = Leftovers::new();
    for (login_id, break_glass) in [("emergency", "on"), ("totp-user", "")] {
        let fields = [
            ("login_id", login_id.to_owned()),
            ("display_name", format!("User {login_id}")),
            ("role", "system_operator".to_owned()),
            ("password", PASSWORD.to_owned()),
            ("break_glass", break_glass.to_owned()),
        ];
        ok(
            admin.submit("/users/new", "/users/new", &fields).await,
            login_id,
        );
    }

    // 非常時用アカウント: its first page asks for the reason.
    let emergency = english(&app).await;
    assert_eq!(
        emergency.sign_in("emergency", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        emergency.get("/dashboard").await.location.as_deref(),
        Some("/break-glass")
    );
    if let Some(found) = check_page(&emergency, "/break-glass", "en").await {
        leftovers.push(("/break-glass".to_owned(), found));
    }

    // Two-factor: enrol, then sign in again up to the code page.
    let enrolling = english(&app).await;
    assert_eq!(
        enrolling.sign_in("totp-user", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let page = enrolling.get("/account/two-factor").await;
    let secret = mamori_domain::institution::TotpSecret::from_stored(page.text("#totp-secret"));
    let now = u64::try_from(jiff::Timestamp::now().as_second()).expect("after 1970");
    let code = secret.code_at(now).expect("code");
    let enrolled = enrolling
        .submit(
            "/account/two-factor",
            "/account/two-factor",
            &[("code", code)],
        )
        .await;
    assert_eq!(enrolled.status, StatusCode::OK, "{:?}", enrolled.errors());
    leftovers.push((
        "/account/two-factor (recovery codes)".to_owned(),
        japanese_outside_ja(&enrolled.html()),
    ));
    let second_step = english(&app).await;
    assert_eq!(
        second_step
            .sign_in("totp-user", PASSWORD)
            .await
            .location
            .as_deref(),
        Some("/login/two-factor")
    );
    if let Some(found) = check_page(&second_step, "/login/two-factor", "en").await {
        leftovers.push(("/login/two-factor".to_owned(), found));
    }

    // A ledger longer than one printed part: the print link lists the parts.
    let mut csv = "種別,管理番号,管理場所\r\n".to_owned();
    for n in 1..=1_001 {
        csv.push_str(&format!("pc,PC-{n:04},Room {n}\r\n"));
    }
    let preview = admin
        .upload(
            "/ledger/devices/import",
            "/ledger/devices/import",
            &[],
            &[("file", "many.csv", csv.into_bytes())],
        )
        .await;
    let action = preview
        .attribute("#import-preview form", "action")
        .expect("an apply form");
    ok(
        admin.submit("/ledger/devices", &action, &[]).await,
        "import",
    );
    let parts = check_page(&admin, "/ledger/devices/print.pdf", "en")
        .await
        .expect("an HTML page listing the parts, not a PDF");
    leftovers.push(("/ledger/devices/print.pdf (parts)".to_owned(), parts));
    let chooser = admin.get("/ledger/devices/print.pdf").await;
    assert!(
        chooser.body.contains("part=2"),
        "the chooser links the second part"
    );
    assert_no_japanese(&leftovers);
}
