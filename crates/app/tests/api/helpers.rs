//! `spawn_app` and the `TestApp`/`Browser` helpers every HTTP test uses.

use mamori::{Application, Config};
use mamori_domain::institution::{
    NewInstitution, NewUser, PasswordPolicy, PlainPassword, RawInstitution, RawUser, hash_password,
};
use mamori_store::testing::TestDatabase;
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use scraper::{Html, Selector};

/// The password every test user gets.
pub const PASSWORD: &str = "correct horse battery staple";

/// A running application and the database behind it.
pub struct TestApp {
    pub base: String,
    pub database_url: String,
    pub store: mamori_store::Store,
    pub setup_token: Option<String>,
    pub time_sync: std::sync::Arc<std::sync::RwLock<mamori_domain::dashboard::TimeSync>>,
    /// The application's state, for running a job (the reminders) directly.
    pub state: mamori_web::AppState,
    /// The data folder (the access logs' files live there).
    pub data_dir: std::path::PathBuf,
    _database: TestDatabase,
    _data_dir: tempfile::TempDir,
}

/// Boots the application on 127.0.0.1 with a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_listening_on("127.0.0.1:0").await
}

/// Boots the application on `listen` (e.g. `0.0.0.0:0` to leave loopback-only mode).
pub async fn spawn_app_listening_on(listen: &str) -> TestApp {
    spawn_app_with(listen, None, None, Default::default()).await
}

/// Boots the application with syslog receivers: UDP on every address, TCP
/// on 127.0.0.1 (ports chosen by the system).
pub async fn spawn_app_receiving_syslog() -> TestApp {
    let receivers = mamori::receivers::ReceiverConfig {
        udp: Some("0.0.0.0:0".parse().expect("udp")),
        tcp: Some("127.0.0.1:0".parse().expect("tcp")),
        ..Default::default()
    };
    spawn_app_with("127.0.0.1:0", None, None, receivers).await
}

/// Boots the application with its clock stopped at `now`.
pub async fn spawn_app_at(now: jiff::Timestamp) -> TestApp {
    spawn_app_with("127.0.0.1:0", None, Some(now), Default::default()).await
}

/// Boots the application with `--public-url`.
pub async fn spawn_app_with_public_url(public_url: &str) -> TestApp {
    spawn_app_with(
        "127.0.0.1:0",
        Some(public_url.to_owned()),
        None,
        Default::default(),
    )
    .await
}

async fn spawn_app_with(
    listen: &str,
    public_url: Option<String>,
    fixed_now: Option<jiff::Timestamp>,
    receivers: mamori::receivers::ReceiverConfig,
) -> TestApp {
    let database = TestDatabase::create().await;
    let data_dir = tempfile::tempdir().expect("temp dir");
    let config = Config {
        data_dir: data_dir.path().to_path_buf(),
        database_url: database.url().to_owned(),
        listen: listen.parse().expect("listen address"),
        secure_cookies: false,
        lockout: mamori_domain::institution::LockoutPolicy::DEFAULT,
        probe_time_sync: false,
        sign_in_attempts_per_minute: 30,
        // Low, so that a test reaches it: 3 reports per poster link and hour.
        poster_reports_per_hour: 3,
        public_url,
        fixed_now,
        scheduled_backup: None,
        smtp: None,
        receivers,
    };
    let application = Application::build(config)
        .await
        .expect("application builds");
    let port = application.address().port();
    let store = application.store().clone();
    let setup_token = application.setup_token().await;
    let time_sync = application.time_sync();
    let state = application.state();
    tokio::spawn(application.run_until(std::future::pending()));
    TestApp {
        base: format!("http://127.0.0.1:{port}"),
        database_url: database.url().to_owned(),
        store,
        setup_token,
        time_sync,
        state,
        data_dir: data_dir.path().to_path_buf(),
        _database: database,
        _data_dir: data_dir,
    }
}

/// One browser: its own cookie jar, no automatic redirects.
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
}

/// A response with its body read.
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    /// The parsed HTML.
    pub fn html(&self) -> Html {
        Html::parse_document(&self.body)
    }

    /// The text of every element matching `selector`.
    pub fn texts(&self, selector: &str) -> Vec<String> {
        let selector = Selector::parse(selector).expect("selector");
        self.html()
            .select(&selector)
            .map(|element| element.text().collect::<String>().trim().to_owned())
            .collect()
    }

    /// The text of the first element matching `selector`, or "".
    pub fn text(&self, selector: &str) -> String {
        self.texts(selector).into_iter().next().unwrap_or_default()
    }

    /// `attribute` of every matching element that has it, in document order.
    pub fn attributes(&self, selector: &str, attribute: &str) -> Vec<String> {
        let selector = Selector::parse(selector).expect("selector");
        self.html()
            .select(&selector)
            .filter_map(|element| element.value().attr(attribute).map(str::to_owned))
            .collect()
    }

    /// The value attribute of the first matching element.
    pub fn attribute(&self, selector: &str, attribute: &str) -> Option<String> {
        let selector = Selector::parse(selector).expect("selector");
        self.html()
            .select(&selector)
            .next()
            .and_then(|element| element.value().attr(attribute))
            .map(str::to_owned)
    }

    /// Where a redirect leads, without its query (`?done=saved`).
    pub fn location_path(&self) -> Option<String> {
        self.location
            .as_deref()
            .map(|location| location.split('?').next().unwrap_or(location).to_owned())
    }

    /// The error messages a form shows.
    pub fn errors(&self) -> Vec<String> {
        self.texts(".errors li")
    }
}

impl TestApp {
    /// A new browser with an empty cookie jar.
    pub fn browser(&self) -> Browser {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Browser {
            client,
            base: self.base.clone(),
        }
    }

    /// Runs first-run setup through the web form and returns the admin's login ID.
    pub async fn set_up(&self) -> &'static str {
        let browser = self.browser();
        let page = browser.submit("/setup", "/setup", &setup_fields()).await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "setup failed: {:?}",
            page.errors()
        );
        "admin"
    }

    /// Sets up, signs the admin in and returns that browser.
    pub async fn admin(&self) -> Browser {
        let login_id = self.set_up().await;
        self.signed_in(login_id).await
    }

    /// A browser signed in as `login_id` with [`PASSWORD`].
    pub async fn signed_in(&self, login_id: &str) -> Browser {
        let browser = self.browser();
        let page = browser.sign_in(login_id, PASSWORD).await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "sign-in of {login_id} failed"
        );
        browser
    }

    /// The first institution's audit events, newest first, as its admin sees them.
    pub async fn audit_events(&self) -> Vec<mamori_store::audit_log::AuditEvent> {
        let login_id = mamori_domain::institution::LoginId::parse("admin").expect("login id");
        let first = mamori_store::institution::list_all_for_operator(&self.store)
            .await
            .expect("institutions")
            .into_iter()
            .next()
            .expect("an institution");
        let admin =
            mamori_store::people::find_credentials(&self.store, Some(&first.code), &login_id)
                .await
                .expect("query")
                .expect("admin");
        let grant = admin
            .principal
            .grant::<mamori_domain::institution::permissions::ViewAuditTrail>()
            .expect("grant");
        mamori_store::audit_log::list_recent(&self.store, &grant, 1_000_000)
            .await
            .expect("events")
    }

    /// A browser signed in as `login_id` of the institution with `code` (on a
    /// server that holds several), with [`PASSWORD`].
    pub async fn signed_in_at(&self, code: &str, login_id: &str) -> Browser {
        let browser = self.browser();
        let page = browser.sign_in_at(code, login_id, PASSWORD).await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "sign-in of {login_id} at {code} failed"
        );
        browser
    }

    /// Hosted mode: the operator creates another institution with its admin;
    /// returns its institution code (施設コード).
    pub async fn create_institution(&self, name: &str, admin_login_id: &str) -> String {
        let institution = NewInstitution::parse(RawInstitution {
            name,
            kind: "hospital",
            bed_count: "120",
            prefecture: "大阪府",
            address: "大阪市北区1-1",
            phone: "06-1234-5678",
        })
        .expect("institution");
        let admin = NewUser::parse(RawUser {
            login_id: admin_login_id,
            display_name: "別院 管理者",
            role: "security_manager",
        })
        .expect("user");
        let password =
            PlainPassword::parse_new(PASSWORD, PasswordPolicy::DEFAULT, "", "").expect("password");
        let hash = hash_password(&password).expect("hash");
        let (id, _) = mamori_store::institution::create_by_operator(
            &self.store,
            &institution,
            None,
            &admin,
            &hash,
            jiff::Timestamp::now(),
        )
        .await
        .expect("operator creates institution");
        mamori_domain::institution::InstitutionCode::for_id(id)
            .as_str()
            .to_owned()
    }
}

/// The text in the first column of the first row `sql` returns, read straight
/// from the database (to see what is stored, as an attacker with a copy would).
pub async fn raw_text_column(app: &TestApp, sql: &'static str) -> String {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&app.database_url)
        .await
        .expect("connect");
    let value: String = sqlx::query_scalar(sql)
        .fetch_one(&pool)
        .await
        .expect("query");
    pool.close().await;
    value
}

/// The setup form of a typical clinic.
pub fn setup_fields() -> Vec<(&'static str, String)> {
    vec![
        ("name", "まもり内科クリニック".into()),
        ("kind", "clinic_without_beds".into()),
        ("bed_count", "0".into()),
        ("prefecture", "徳島県".into()),
        ("address", "徳島市幸町1-1".into()),
        ("phone", "088-123-4567".into()),
        ("display_name", "守 太郎".into()),
        ("login_id", "admin".into()),
        ("password", PASSWORD.into()),
        ("password_confirm", PASSWORD.into()),
    ]
}

impl Browser {
    /// GET `path`.
    pub async fn get(&self, path: &str) -> Page {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        read(response).await
    }

    /// GET `path` as bytes (PDF, .xlsx, uploaded files): status, content type, body.
    pub async fn get_bytes(&self, path: &str) -> (StatusCode, String, Vec<u8>) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        let status = response.status();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = response.bytes().await.expect("body").to_vec();
        (status, content_type, bytes)
    }

    /// Opens `form_page`, takes its CSRF token, and posts `fields` and the
    /// files `(field, name, bytes)` to `action` as multipart/form-data.
    pub async fn upload(
        &self,
        form_page: &str,
        action: &str,
        fields: &[(&str, String)],
        files: &[(&str, &str, Vec<u8>)],
    ) -> Page {
        let csrf = self
            .get(form_page)
            .await
            .attribute("input[name=csrf]", "value")
            .unwrap_or_default();
        let mut form = reqwest::multipart::Form::new().text("csrf", csrf);
        for (name, value) in fields {
            form = form.text(name.to_string(), value.clone());
        }
        for (field, name, bytes) in files {
            form = form.part(
                field.to_string(),
                reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string()),
            );
        }
        let response = self
            .client
            .post(format!("{}{action}", self.base))
            .multipart(form)
            .send()
            .await
            .expect("POST");
        read(response).await
    }

    /// POST `fields` to `path` as a form, exactly as given (no CSRF token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, String)]) -> Page {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .form(fields)
            .send()
            .await
            .expect("POST");
        read(response).await
    }

    /// Opens `form_page`, takes its CSRF token, and posts `fields` to `action`.
    pub async fn submit(&self, form_page: &str, action: &str, fields: &[(&str, String)]) -> Page {
        let page = self.get(form_page).await;
        let csrf = page
            .attribute("input[name=csrf]", "value")
            .unwrap_or_default();
        let mut all: Vec<(&str, String)> = vec![("csrf", csrf)];
        all.extend(fields.iter().cloned());
        self.post_raw(action, &all).await
    }

    /// Signs in through the form.
    pub async fn sign_in(&self, login_id: &str, password: &str) -> Page {
        self.submit(
            "/login",
            "/login",
            &[("login_id", login_id.into()), ("password", password.into())],
        )
        .await
    }

    /// Signs in through the form of a shared server, naming the institution.
    pub async fn sign_in_at(&self, code: &str, login_id: &str, password: &str) -> Page {
        self.submit(
            "/login",
            "/login",
            &[
                ("institution", code.into()),
                ("login_id", login_id.into()),
                ("password", password.into()),
            ],
        )
        .await
    }

    /// Adds a user through the form.
    pub async fn add_user(&self, login_id: &str, display_name: &str, role: &str) -> Page {
        let fields = [
            ("login_id", login_id.to_owned()),
            ("display_name", display_name.to_owned()),
            ("role", role.to_owned()),
            ("password", PASSWORD.to_owned()),
        ];
        self.submit("/users/new", "/users/new", &fields).await
    }

    /// The id of the user with `login_id`, as the user list links it.
    pub async fn user_id_of(&self, login_id: &str) -> i64 {
        let page = self.get("/users").await;
        let html = page.html();
        let rows = Selector::parse("#users tbody tr").expect("selector");
        let cell = Selector::parse(".login-id").expect("selector");
        html.select(&rows)
            .find(|row| {
                row.select(&cell)
                    .any(|c| c.text().collect::<String>() == login_id)
            })
            .and_then(|row| row.value().attr("data-user-id"))
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("{login_id} is not in the user list"))
    }
}

async fn read(response: reqwest::Response) -> Page {
    let status = response.status();
    let headers = response.headers().clone();
    let location = headers
        .get(LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = response.text().await.expect("body");
    Page {
        status,
        location,
        headers,
        body,
    }
}

/// What a poppler tool (`pdfinfo`, or `pdftotext` writing to standard output)
/// prints for `pdf`.
pub fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> String {
    let folder = tempfile::tempdir().expect("temp dir");
    let path = folder.path().join("print.pdf");
    std::fs::write(&path, pdf).expect("write");
    let mut command = std::process::Command::new(tool);
    command.args(args).arg(&path);
    if tool == "pdftotext" {
        command.arg("-");
    }
    let output = command.output().unwrap_or_else(|_| {
        panic!("{tool} (poppler-utils) must be installed: .ci/run installs it")
    });
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `pdftotext` of `pdf` without white space (cells wrap at any character).
pub fn pdf_text(pdf: &[u8]) -> String {
    poppler("pdftotext", &[], pdf)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// This machine's LAN address as the server finds it (the source address
/// of its route out), or `None` on a machine without one: what the log
/// sources page is expected to name when opened on the server itself.
pub fn this_machines_lan_address() -> Option<std::net::IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}
