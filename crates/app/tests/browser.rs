//! Real headless Chromium (through chromedriver) against the real server: first-run
//! setup and sign-in as a 事務長 would do them, on a desktop and a phone-sized window.
//!
//! Needs Debian's `chromium` and `chromium-driver`. Without them the tests say so and
//! pass, except when `MAMORI_BROWSER_TESTS=required` (set by `.ci/run` under CI),
//! where a missing browser is a failure.

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

use helpers::{PASSWORD, spawn_app};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Browser tests run one at a time: two Chromiums on two cores only make both slow.
static ONE_BROWSER_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
const CHROMIUM: &str = "/usr/bin/chromium";

/// chromedriver on a free port, killed on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts chromedriver, or returns `None` (after saying why) when the browser is absent
/// and not required.
fn start_driver() -> Option<Driver> {
    let present =
        std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists();
    if !present {
        let required = std::env::var("MAMORI_BROWSER_TESTS").is_ok_and(|value| value == "required");
        assert!(
            !required,
            "MAMORI_BROWSER_TESTS=required but {CHROMEDRIVER} or {CHROMIUM} is missing"
        );
        eprintln!(
            "SKIPPED: browser tests need {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)"
        );
        return None;
    }
    // Two tests may draw the same free port; the loser's chromedriver exits at once,
    // so start again on another port until our own process is the one listening.
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let mut child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if child.try_wait().ok().flatten().is_some() {
                break;
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                std::thread::sleep(Duration::from_millis(100));
                if child.try_wait().ok().flatten().is_none() {
                    return Some(Driver { child, port });
                }
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("chromedriver could not be started on a free port");
}

/// A desktop window, or with `phone` a phone's screen (mobile emulation: a headless
/// window cannot be narrower than 500 px).
async fn open_browser(driver: &Driver, width: u32, height: u32, phone: bool) -> Client {
    open_browser_with(driver, width, height, phone, None).await
}

/// [`open_browser`], saving downloads (PDFs too, not shown in a viewer) into `downloads`.
async fn open_browser_with(
    driver: &Driver,
    width: u32,
    height: u32,
    phone: bool,
    downloads: Option<&std::path::Path>,
) -> Client {
    let mut options = serde_json::json!({
        "binary": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 format!("--window-size={width},{height}"), "--lang=ja"]
    });
    if let Some(folder) = downloads {
        options["prefs"] = serde_json::json!({
            "download.default_directory": folder.display().to_string(),
            "download.prompt_for_download": false,
            "plugins.always_open_pdf_externally": true
        });
    }
    if phone {
        options["mobileEmulation"] = serde_json::json!({
            "deviceMetrics": { "width": width, "height": height, "pixelRatio": 3.0, "touch": true }
        });
    }
    let capabilities = serde_json::json!({ "goog:chromeOptions": options });
    let capabilities = match capabilities {
        serde_json::Value::Object(map) => map,
        _ => unreachable!("a JSON object literal"),
    };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a browser session")
}

async fn fill(client: &Client, name: &str, value: &str) {
    let field = client
        .find(Locator::Css(&format!("[name={name}]")))
        .await
        .expect(name);
    field.clear().await.expect("clear");
    field.send_keys(value).await.expect("type");
}

async fn choose(client: &Client, name: &str, value: &str) {
    let select = client
        .find(Locator::Css(&format!("select[name={name}]")))
        .await
        .expect(name);
    select.select_by_value(value).await.expect("choose");
}

async fn text_of(client: &Client, selector: &str) -> String {
    client
        .find(Locator::Css(selector))
        .await
        .expect(selector)
        .text()
        .await
        .expect("text")
}

async fn path_of(client: &Client) -> String {
    let url = client.current_url().await.expect("url");
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

/// Clicks `selector` (a submit button or link) and waits until the next page has
/// loaded: a marker set on the old page must be gone and the new one complete.
async fn click_and_wait(client: &Client, selector: &str) {
    client
        .execute("window.__mamoriOldPage = true;", vec![])
        .await
        .expect("mark the page");
    client
        .find(Locator::Css(selector))
        .await
        .expect(selector)
        .click()
        .await
        .expect("click");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let loaded = client
            .execute("return window.__mamoriOldPage === undefined && document.readyState === 'complete';", vec![])
            .await
            .ok()
            .and_then(|value| value.as_bool())
            .unwrap_or(false);
        if loaded {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no new page after clicking {selector}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Signs in as the `admin` that `TestApp::set_up` creates, through the form.
async fn sign_in_as_admin(client: &Client, base: &str) {
    client.goto(&format!("{base}/login")).await.expect("open");
    fill(client, "login_id", "admin").await;
    fill(client, "password", PASSWORD).await;
    click_and_wait(client, "#sign-in-form button").await;
}

/// Keeps a screenshot for a person to look at (target/browser-screenshots/).
async fn keep_screenshot(client: &Client, name: &str) {
    let folder = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots");
    let _ = std::fs::create_dir_all(&folder);
    if let Ok(png) = client.screenshot().await {
        let _ = std::fs::write(folder.join(format!("{name}.png")), png);
    }
}

#[tokio::test]
async fn first_run_setup_and_sign_in_in_a_real_browser() {
    let _turn = ONE_BROWSER_AT_A_TIME.lock().await;
    let Some(driver) = start_driver() else { return };
    let app = spawn_app().await;
    let client = open_browser(&driver, 1024, 900, false).await;

    client.goto(&app.base).await.expect("open");
    assert_eq!(
        path_of(&client).await,
        "/setup",
        "a fresh mamori opens on setup"
    );
    assert_eq!(text_of(&client, "h1").await, "初期設定");
    fill(&client, "name", "ブラウザ眼科").await;
    choose(&client, "kind", "clinic_with_beds").await;
    fill(&client, "bed_count", "8").await;
    choose(&client, "prefecture", "香川県").await;
    fill(&client, "address", "高松市番町1-1").await;
    fill(&client, "phone", "087-111-2222").await;
    fill(&client, "display_name", "眼科 院長").await;
    fill(&client, "login_id", "incho").await;
    fill(&client, "password", PASSWORD).await;
    fill(&client, "password_confirm", "a different one, typed wrong").await;
    keep_screenshot(&client, "setup-filled").await;
    click_and_wait(&client, "#setup-form button[type=submit]").await;
    assert!(
        text_of(&client, ".errors").await.contains("一致しません"),
        "the mismatch is explained"
    );
    assert_eq!(
        client
            .find(Locator::Css("[name=name]"))
            .await
            .expect("name")
            .prop("value")
            .await
            .expect("value")
            .as_deref(),
        Some("ブラウザ眼科"),
        "what was typed is kept"
    );
    fill(&client, "password", PASSWORD).await;
    fill(&client, "password_confirm", PASSWORD).await;
    click_and_wait(&client, "#setup-form button[type=submit]").await;

    assert_eq!(path_of(&client).await, "/login?done=setup");
    assert!(
        text_of(&client, ".notice")
            .await
            .contains("初期設定が完了しました")
    );
    fill(&client, "login_id", "incho").await;
    fill(&client, "password", PASSWORD).await;
    click_and_wait(&client, "#sign-in-form button").await;
    assert_eq!(path_of(&client).await, "/dashboard");
    assert_eq!(
        text_of(&client, "h1.institution-name").await,
        "ブラウザ眼科"
    );
    assert!(
        text_of(&client, "#fiscal-year")
            .await
            .contains("年度（令和")
    );
    assert!(
        text_of(&client, "#next-steps")
            .await
            .contains("利用者を登録")
    );
    keep_screenshot(&client, "dashboard").await;
    for (path, name) in [
        ("/institution", "institution"),
        ("/users", "users"),
        ("/audit", "audit"),
    ] {
        client
            .goto(&format!("{}{path}", app.base))
            .await
            .expect("open");
        keep_screenshot(&client, name).await;
    }
    client
        .goto(&format!("{}/dashboard", app.base))
        .await
        .expect("open");

    click_and_wait(&client, "form[action='/logout'] button").await;
    assert_eq!(path_of(&client).await, "/login?done=signed_out");
    client
        .goto(&format!("{}/dashboard", app.base))
        .await
        .expect("open");
    assert_eq!(
        path_of(&client).await,
        "/login?next=/dashboard",
        "signed out means signed out"
    );
    client.close().await.expect("close");
}

#[tokio::test]
async fn sign_in_on_a_phone_with_a_wrong_password_then_in_english() {
    let _turn = ONE_BROWSER_AT_A_TIME.lock().await;
    let Some(driver) = start_driver() else { return };
    let app = spawn_app().await;
    app.set_up().await;
    let client = open_browser(&driver, 390, 844, true).await;
    client
        .goto(&format!("{}/login", app.base))
        .await
        .expect("open");
    fill(&client, "login_id", "admin").await;
    fill(&client, "password", "not my password").await;
    click_and_wait(&client, "#sign-in-form button").await;
    assert_eq!(
        text_of(&client, ".errors p").await,
        "ログインIDまたはパスワードが正しくありません。"
    );
    assert!(text_of(&client, "#lockout-help").await.contains("15分間"));
    let widths = client
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth]",
            vec![],
        )
        .await
        .expect("script");
    let (page_width, screen_width) = (
        widths[0].as_i64().unwrap_or(9999),
        widths[1].as_i64().unwrap_or(0),
    );
    assert_eq!(screen_width, 390, "the phone's screen");
    assert!(
        page_width <= screen_width,
        "no sideways scrolling on a phone (page is {page_width}px wide)"
    );
    keep_screenshot(&client, "sign-in-phone").await;

    click_and_wait(&client, "a.lang").await;
    assert_eq!(text_of(&client, "h1").await, "Sign in");
    fill(&client, "login_id", "admin").await;
    fill(&client, "password", PASSWORD).await;
    click_and_wait(&client, "#sign-in-form button").await;
    assert_eq!(text_of(&client, ".next-steps h2").await, "What to do next");
    client.close().await.expect("close");
}

#[tokio::test]
async fn totp_enrolment_and_sign_in_then_lockout_in_a_real_browser() {
    let _turn = ONE_BROWSER_AT_A_TIME.lock().await;
    let Some(driver) = start_driver() else { return };
    let app = spawn_app().await;
    app.set_up().await;
    let client = open_browser(&driver, 1024, 900, false).await;
    sign_in_as_admin(&client, &app.base).await;
    client
        .goto(&format!("{}/account/two-factor", app.base))
        .await
        .expect("open");
    let qr_loaded = client
        .execute(
            "return document.getElementById('totp-qr').naturalWidth > 0",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(
        qr_loaded.as_bool(),
        Some(true),
        "the QR code image renders (CSP allows it)"
    );
    let secret =
        mamori_domain::institution::TotpSecret::from_stored(text_of(&client, "#totp-secret").await);
    let enrolled_at = u64::try_from(jiff::Timestamp::now().as_second()).expect("after 1970");
    fill(&client, "code", &secret.code_at(enrolled_at).expect("code")).await;
    keep_screenshot(&client, "two-factor-enrol").await;
    click_and_wait(&client, "#two-factor-enrol button").await;
    let codes = client
        .find_all(Locator::Css("#recovery-codes code"))
        .await
        .expect("codes");
    assert_eq!(codes.len(), 10, "ten recovery codes are shown once");
    click_and_wait(&client, "form[action='/logout'] button").await;

    fill(&client, "login_id", "admin").await;
    fill(&client, "password", PASSWORD).await;
    click_and_wait(&client, "#sign-in-form button").await;
    assert_eq!(path_of(&client).await, "/login/two-factor");
    fill(
        &client,
        "code",
        &secret.code_at(enrolled_at + 30).expect("code"),
    )
    .await;
    click_and_wait(&client, "#second-factor-form button").await;
    assert_eq!(path_of(&client).await, "/dashboard");
    click_and_wait(&client, "form[action='/logout'] button").await;

    for attempt in 1..=5 {
        fill(&client, "login_id", "admin").await;
        fill(
            &client,
            "password",
            &format!("wrong password number {attempt}"),
        )
        .await;
        click_and_wait(&client, "#sign-in-form button").await;
    }
    fill(&client, "login_id", "admin").await;
    fill(&client, "password", PASSWORD).await;
    click_and_wait(&client, "#sign-in-form button").await;
    assert_eq!(
        text_of(&client, ".errors p").await,
        "ログインIDまたはパスワードが正しくありません。",
        "locked: the right password gets the same answer as a wrong one"
    );
    client.close().await.expect("close");
}

#[tokio::test]
async fn answer_the_checklist_end_to_end_and_download_its_pdf() {
    let _turn = ONE_BROWSER_AT_A_TIME.lock().await;
    let Some(driver) = start_driver() else { return };
    let app = spawn_app().await;
    app.set_up().await;
    let downloads = tempfile::tempdir().expect("a download folder");
    let client = open_browser_with(&driver, 1024, 900, false, Some(downloads.path())).await;
    sign_in_as_admin(&client, &app.base).await;

    client
        .goto(&format!("{}/checklist", app.base))
        .await
        .expect("open");
    assert!(path_of(&client).await.starts_with("/checklist/medical/"));
    click_and_wait(&client, "#start-year").await;
    assert!(text_of(&client, "#items").await.contains("未回答"));
    click_and_wait(&client, "#items a[href$='/items/security-officer']").await;
    assert!(text_of(&client, "#guidance").await.contains("担当"));
    client
        .find(Locator::Css("input[name=first_answer][value=yes]"))
        .await
        .expect("はい")
        .click()
        .await
        .expect("click");
    // The 確認日 starts at today: choosing はい is enough.
    fill(&client, "remarks", "院長を任命済み（任命書あり）").await;
    click_and_wait(&client, "#save-answer").await;
    assert_eq!(text_of(&client, "#item-state").await, "はい");
    keep_screenshot(&client, "checklist-item").await;

    client
        .goto(&format!("{}/checklist", app.base))
        .await
        .expect("open");
    assert!(
        text_of(&client, "#progress").await.contains("1 / 1"),
        "体制構築 is complete"
    );
    keep_screenshot(&client, "checklist-overview").await;
    // Download the PDF by clicking its link, as a person does.
    client
        .find(Locator::Css("#print-pdf"))
        .await
        .expect("the PDF link")
        .click()
        .await
        .expect("click");
    let deadline = Instant::now() + Duration::from_secs(30);
    let pdf = loop {
        // Chromium first reserves the final name as an empty file, writes
        // into a `.crdownload` beside it and renames that over the name when
        // done: the download is complete once the PDF's end marker is there.
        let done = std::fs::read_dir(downloads.path())
            .expect("the download folder")
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .find(|path| path.extension().is_some_and(|e| e == "pdf"))
            .and_then(|path| std::fs::read(path).ok())
            .filter(|bytes| bytes.trim_ascii_end().ends_with(b"%%EOF"));
        if let Some(bytes) = done {
            break bytes;
        }
        assert!(Instant::now() < deadline, "no PDF was downloaded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    assert!(pdf.len() > 10_000, "with its font embedded");
    client.close().await.expect("close");
}

/// Whether the page fits the screen's width (no sideways scrolling).
async fn fits_the_screen(client: &Client) -> bool {
    let widths = client
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth]",
            vec![],
        )
        .await
        .expect("script");
    widths[0].as_i64().unwrap_or(9999) <= widths[1].as_i64().unwrap_or(0)
}

#[tokio::test]
async fn a_carry_out_is_asked_for_taken_and_returned_on_a_phone() {
    let _turn = ONE_BROWSER_AT_A_TIME.lock().await;
    let Some(driver) = start_driver() else { return };
    let app = spawn_app().await;
    let admin = app.admin().await;
    for (login_id, role) in [("nurse", "staff"), ("planner", "planning_manager")] {
        let page = admin
            .add_user(login_id, &format!("{login_id} さん"), role)
            .await;
        assert_eq!(page.status.as_u16(), 303, "{:?}", page.errors());
    }
    let client = open_browser(&driver, 390, 844, true).await;
    client
        .goto(&format!("{}/login", app.base))
        .await
        .expect("open");
    fill(&client, "login_id", "nurse").await;
    fill(&client, "password", PASSWORD).await;
    click_and_wait(&client, "#sign-in-form button").await;

    client
        .goto(&format!("{}/carry-outs", app.base))
        .await
        .expect("open");
    click_and_wait(&client, "#request-carry-out").await;
    assert!(
        fits_the_screen(&client).await,
        "the request form fits a phone"
    );
    fill(&client, "what", "訪問診療用ノートPC").await;
    fill(&client, "purpose", "訪問診療").await;
    fill(&client, "destination", "患者宅（3件）").await;
    client
        .find(Locator::Css("input[name=encrypted]"))
        .await
        .expect("the encryption box")
        .click()
        .await
        .expect("tick");
    click_and_wait(&client, "#submit-carry-out").await;
    assert_eq!(text_of(&client, "#carry-out-status").await, "申請中");
    assert!(text_of(&client, "#advice").await.contains("承認があるまで"));
    let request = path_of(&client)
        .await
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(
        text_of(&client, ".notice[role=status]")
            .await
            .contains("保存しました")
    );
    keep_screenshot(&client, "carry-out-requested-phone").await;

    // The 企画管理者 approves (from their own desk).
    let planner = app.signed_in("planner").await;
    let approved = planner
        .submit(
            &request,
            &format!("{request}/step"),
            &[
                ("action", "approve".to_owned()),
                ("encryption_confirmed", "yes".to_owned()),
            ],
        )
        .await;
    assert_eq!(approved.status.as_u16(), 303, "{:?}", approved.errors());

    client.refresh().await.expect("reload");
    assert_eq!(text_of(&client, "#carry-out-status").await, "承認済み");
    click_and_wait(&client, "#action-take").await;
    assert_eq!(text_of(&client, "#carry-out-status").await, "持ち出し中");
    click_and_wait(&client, "#action-return").await;
    assert_eq!(text_of(&client, "#carry-out-status").await, "返却済み");
    assert!(
        fits_the_screen(&client).await,
        "the request page fits a phone"
    );
    keep_screenshot(&client, "carry-out-returned-phone").await;
    client.close().await.expect("close");
}

#[tokio::test]
async fn a_nurse_reports_a_ransom_note_with_a_photo_from_a_phone() {
    let _turn = ONE_BROWSER_AT_A_TIME.lock().await;
    let Some(driver) = start_driver() else { return };
    let app = spawn_app().await;
    let admin = app.admin().await;
    let added = admin.add_user("nurse", "看護 花子", "staff").await;
    assert_eq!(added.status.as_u16(), 303, "{:?}", added.errors());
    let photo = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ransom-note.jpg");
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
    jpeg.extend_from_slice(b"JFIF a photo of the screen");
    std::fs::write(&photo, &jpeg).expect("a photo file");

    let client = open_browser(&driver, 390, 844, true).await;
    client
        .goto(&format!("{}/login", app.base))
        .await
        .expect("open");
    fill(&client, "login_id", "nurse").await;
    fill(&client, "password", PASSWORD).await;
    click_and_wait(&client, "#sign-in-form button").await;
    // From any page, one tap on the menu's report link.
    click_and_wait(&client, "a.report-link").await;
    assert_eq!(path_of(&client).await, "/incidents/report");
    assert!(
        fits_the_screen(&client).await,
        "the report form fits a phone"
    );
    for name in ["pattern_1", "pattern_2", "cut_network"] {
        client
            .find(Locator::Css(&format!("input[name={name}]")))
            .await
            .expect(name)
            .click()
            .await
            .expect("tick");
    }
    fill(&client, "details", "受付PCに英語の脅迫文").await;
    client
        .find(Locator::Css("input[name=photos]"))
        .await
        .expect("the photo input")
        .send_keys(&photo.display().to_string())
        .await
        .expect("attach the photo");
    keep_screenshot(&client, "incident-report-phone").await;
    click_and_wait(&client, "#send-report").await;
    assert!(
        path_of(&client).await.starts_with("/incidents/reported?n="),
        "{}",
        path_of(&client).await
    );
    assert!(
        text_of(&client, "#do-not-switch-off")
            .await
            .contains("電源は切らないでください")
    );
    assert!(text_of(&client, "#what-to-do").await.contains("企画管理者"));
    assert!(
        fits_the_screen(&client).await,
        "the instructions fit a phone"
    );
    keep_screenshot(&client, "incident-reported-phone").await;
    let number = path_of(&client)
        .await
        .rsplit('=')
        .next()
        .unwrap_or_default()
        .to_owned();

    // The security manager's pages now carry the red banner, and the photo is kept.
    let dashboard = admin.get("/dashboard").await;
    assert!(dashboard.text("#incident-alert").contains("1 件"));
    let incident = admin.get(&format!("/incidents/{number}")).await;
    let files = incident.attributes("#files a", "href");
    assert_eq!(files.len(), 1, "the photo arrived");
    let (_, _, bytes) = admin.get_bytes(&files[0]).await;
    assert_eq!(bytes, jpeg);

    // Whom to call, on the same phone: each line a card, the number on one
    // line and large enough to tap.
    client
        .goto(&format!("{}/contacts", app.base))
        .await
        .expect("open the contact chart");
    assert!(fits_the_screen(&client).await, "the chart fits a phone");
    let number = client
        .execute(
            "const a = document.querySelector('#contacts-authorities a[href=\"tel:0368127837\"]');\
             const r = a.getBoundingClientRect();\
             return [r.height, a.textContent];",
            vec![],
        )
        .await
        .expect("the MHLW number");
    let height = number[0].as_f64().unwrap_or(0.0);
    assert!(
        (40.0..70.0).contains(&height),
        "one line, a tap target of 44 px: {number:?}"
    );
    assert_eq!(number[1].as_str(), Some("03-6812-7837"));
    keep_screenshot(&client, "contact-chart-phone").await;
    client.close().await.expect("close");
}

/// The page size of a PDF in points, as pdfinfo reports it.
fn pdf_page_size(pdf: &std::path::Path) -> (f64, f64) {
    let info = Command::new("pdfinfo")
        .arg(pdf)
        .output()
        .expect("pdfinfo runs");
    let text = String::from_utf8_lossy(&info.stdout).into_owned();
    let line = text
        .lines()
        .find(|line| line.starts_with("Page size:"))
        .unwrap_or_else(|| panic!("no page size in {text}"));
    let numbers: Vec<f64> = line
        .split_whitespace()
        .filter_map(|word| word.parse().ok())
        .collect();
    // A landscape page may be a portrait media box turned by /Rotate.
    let rotated = text
        .lines()
        .find_map(|line| line.strip_prefix("Page rot:"))
        .is_some_and(|rotation| matches!(rotation.trim(), "90" | "270"));
    if rotated {
        (numbers[1], numbers[0])
    } else {
        (numbers[0], numbers[1])
    }
}

#[tokio::test]
async fn the_network_diagram_prints_on_a4_and_a3_landscape() {
    let _turn = ONE_BROWSER_AT_A_TIME.lock().await;
    let Some(driver) = start_driver() else { return };
    let app = spawn_app().await;
    let admin = app.admin().await;
    for (name, kind) in [("インターネット", "internet"), ("電子カルテLAN", "lan")] {
        let added = admin
            .submit(
                "/ledger/network",
                "/ledger/network/segments",
                &[
                    ("segment_name", name.to_owned()),
                    ("segment_kind", kind.to_owned()),
                ],
            )
            .await;
        assert_eq!(added.status.as_u16(), 303);
    }
    for n in 0..14 {
        let added = admin
            .submit(
                "/ledger/devices/new",
                "/ledger/devices/new",
                &[
                    ("kind", if n == 0 { "server" } else { "pc" }.to_owned()),
                    ("asset_number", format!("PC-{n:03}")),
                    ("segment", "電子カルテLAN".to_owned()),
                    ("ip_addresses", format!("192.168.10.{}", n + 10)),
                ],
            )
            .await;
        assert_eq!(added.status.as_u16(), 303, "{:?}", added.errors());
    }
    let client = open_browser(&driver, 1280, 900, false).await;
    sign_in_as_admin(&client, &app.base).await;
    client
        .goto(&format!("{}/ledger/network", app.base))
        .await
        .expect("open");
    let folder = tempfile::tempdir().expect("temp dir");
    for (label, size, expected) in [
        ("A4", fantoccini::wd::PrintSize::A4, (841.0, 595.0)),
        (
            "A3",
            fantoccini::wd::PrintSize {
                width: 29.7,
                height: 42.0,
            },
            (1190.0, 841.0),
        ),
    ] {
        let configuration = fantoccini::wd::PrintConfiguration::builder()
            .orientation(fantoccini::wd::PrintOrientation::Landscape)
            .size(size)
            .shrink_to_fit(true)
            .background(true)
            .build()
            .expect("a print configuration");
        let pdf = client.print(configuration).await.expect("the page prints");
        let path = folder.path().join(format!("network-{label}.pdf"));
        std::fs::write(&path, &pdf).expect("write the PDF");
        let (width, height) = pdf_page_size(&path);
        assert!(
            (width - expected.0).abs() < 3.0 && (height - expected.1).abs() < 3.0,
            "{label} landscape: {width} x {height} ({})",
            String::from_utf8_lossy(
                &Command::new("pdfinfo")
                    .arg(&path)
                    .output()
                    .expect("pdfinfo")
                    .stdout
            )
        );
        let first_page = Command::new("pdftotext")
            .args(["-f", "1", "-l", "1", "-layout"])
            .arg(&path)
            .arg("-")
            .output()
            .expect("pdftotext runs");
        let text = String::from_utf8_lossy(&first_page.stdout);
        for expected in ["全体構成図", "電子カルテLAN", "PC-000", "PC-013"] {
            assert!(
                text.contains(expected),
                "{label}: {expected} on the first page:\n{text}"
            );
        }
    }
    client.close().await.expect("close");
}

/// Every button and every radio's label is at least 44 px high on a phone, and
/// each radio sits at the start of its own label (not stretched away from it):
/// on the checklist item, the 徳島県 list, the device form, the carry-out form,
/// the report form, the policy's choices and the training form;
/// the header's ログアウト stays a link beside the name, not a full-width bar.
#[tokio::test]
async fn touch_targets_are_44_px_and_radios_sit_beside_their_labels_on_a_phone() {
    let _turn = ONE_BROWSER_AT_A_TIME.lock().await;
    let Some(driver) = start_driver() else { return };
    let app = spawn_app().await;
    let admin = app.admin().await;
    let year = mamori_domain::calendar::FiscalYear::containing(
        jiff::Timestamp::now()
            .to_zoned_datetime(mamori_web::tokyo())
            .date(),
    );
    let base = format!("/checklist/medical/{year}");
    admin.submit(&base, &format!("{base}/start"), &[]).await;
    let client = open_browser(&driver, 390, 844, true).await;
    sign_in_as_admin(&client, &app.base).await;
    let measure = r#"
        const problems = [];
        const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
        for (const el of document.querySelectorAll('main button, main a.button')) {
            if (!visible(el)) continue;
            const r = el.getBoundingClientRect();
            if (r.height < 44 || r.width < 44) problems.push(`button ${el.textContent.trim()} ${Math.round(r.width)}x${Math.round(r.height)}`);
        }
        let radios = 0;
        for (const radio of document.querySelectorAll('main input[type=radio]')) {
            if (!visible(radio)) continue;
            radios += 1;
            const label = radio.closest('label');
            if (!label) { problems.push(`radio ${radio.name} has no label around it`); continue; }
            const l = label.getBoundingClientRect(), r = radio.getBoundingClientRect();
            if (l.height < 44) problems.push(`label of ${radio.name} is ${Math.round(l.height)} px high`);
            if (r.left - l.left > 12) problems.push(`radio ${radio.name} sits ${Math.round(r.left - l.left)} px from its label's start`);
            if (r.top < l.top - 1 || r.bottom > l.bottom + 1) problems.push(`radio ${radio.name} is outside its label`);
            if (l.right > window.innerWidth + 1) problems.push(`label of ${radio.name} runs off the screen`);
            let text = radio.nextSibling;
            while (text && !(text.nodeType === 3 && text.textContent.trim())) text = text.nextSibling;
            if (text) {
                const range = document.createRange();
                range.selectNodeContents(text);
                const first = range.getClientRects()[0];
                const gap = first ? first.left - r.right : 999;
                if (gap > 16 || gap < -2) problems.push(`radio ${radio.name} is ${Math.round(gap)} px from its words`);
            } else {
                problems.push(`radio ${radio.name} has no words beside it`);
            }
        }
        const signOut = document.querySelector('.who button.link');
        if (!signOut) problems.push('no sign-out button');
        else if (signOut.getBoundingClientRect().width > window.innerWidth / 2)
            problems.push(`the sign-out button is ${Math.round(signOut.getBoundingClientRect().width)} px wide, on a line of its own`);
        return { problems, radios };
    "#;
    for path in [
        format!("{base}/items/ledger"),
        "/tokushima".to_owned(),
        "/ledger/devices/new".to_owned(),
        "/carry-outs/new".to_owned(),
        "/incidents/report".to_owned(),
        "/policy/draft".to_owned(),
        "/training".to_owned(),
        base.clone(),
    ] {
        client
            .goto(&format!("{}{path}", app.base))
            .await
            .expect("open");
        let result = client.execute(measure, vec![]).await.expect("measure");
        let problems: Vec<String> = result["problems"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|p| p.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        keep_screenshot(&client, &format!("touch-{}", path.replace('/', "_"))).await;
        assert!(problems.is_empty(), "{path}: {problems:#?}");
    }
    client.close().await.expect("close");
}

#[tokio::test]
async fn a_log_source_is_registered_and_its_export_previewed_and_imported_in_a_real_browser() {
    let _turn = ONE_BROWSER_AT_A_TIME.lock().await;
    let Some(driver) = start_driver() else { return };
    let app = spawn_app().await;
    app.set_up().await;
    let export = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("router-export.log");
    std::fs::write(
        &export,
        "<86>1 2026-11-05T07:00:00+09:00 srv1 sshd 811 - - Accepted password for sato from 192.0.2.10 port 50000 ssh2\n\
         this line is no syslog at all\n",
    )
    .expect("an exported log");

    let client = open_browser(&driver, 1280, 900, false).await;
    sign_in_as_admin(&client, &app.base).await;
    client
        .goto(&format!("{}/logs", app.base))
        .await
        .expect("open the review");
    click_and_wait(&client, "#logs-sources-link").await;
    assert_eq!(path_of(&client).await, "/logs/sources");
    fill(&client, "name", "本院サーバ").await;
    choose(&client, "kind", "syslog").await;
    fill(&client, "senders", "192.0.2.1").await;
    click_and_wait(&client, "#add-source").await;
    assert_eq!(path_of(&client).await, "/logs/sources?done=saved");
    assert!(
        text_of(&client, "#log-sources")
            .await
            .contains("本院サーバ")
    );

    // Preview: the first lines as they will be read, nothing stored yet.
    client
        .find(Locator::Css("#import-file"))
        .await
        .expect("the file input")
        .send_keys(&export.display().to_string())
        .await
        .expect("choose the file");
    click_and_wait(&client, "#preview-log").await;
    let preview = text_of(&client, "#log-preview").await;
    assert!(preview.contains("sato"), "{preview}");
    assert!(preview.contains("読み取れない行"), "{preview}");
    // Each line is shown as written, beside what was read of it.
    assert!(
        preview.contains("this line is no syslog at all"),
        "{preview}"
    );
    let label = text_of(&client, "label[for=import-file]").await;
    assert!(
        label.contains("選び直さなければ") && label.contains("router-export.log"),
        "{label}"
    );
    assert!(text_of(&client, "#logs-no-imports").await.contains("まだ"));
    keep_screenshot(&client, "log-import-preview").await;

    // Import: the previewed file, without choosing it again; listed with
    // the line kept raw.
    assert!(preview.contains("選び直す必要はありません"), "{preview}");
    click_and_wait(&client, "#import-log").await;
    assert_eq!(path_of(&client).await, "/logs/sources?done=imported");
    let imports = text_of(&client, "#log-imports").await;
    assert!(imports.contains("router-export.log"), "{imports}");
    client.close().await.expect("close");
}
