//! The real `mamori` binary in a temporary folder: help, init, serve, and one
//! clear line with a non-zero exit for every way start-up can fail.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use mamori_store::testing::TestDatabase;
use sqlx::Executor;

const PASSWORD: &str = "correct horse battery staple";

fn mamori() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mamori"));
    command
        .env_remove("MAMORI_DATABASE_URL")
        .env_remove("MAMORI_DATA_DIR")
        .env_remove("MAMORI_LISTEN");
    command.env("MAMORI_LOG", "info,sqlx=warn");
    command
}

fn init_args<'a>(command: &'a mut Command, login_id: &str) -> &'a mut Command {
    init_args_of_kind(command, login_id, "clinic_without_beds")
}

fn init_args_of_kind<'a>(command: &'a mut Command, login_id: &str, kind: &str) -> &'a mut Command {
    institution_args(command.arg("init"), login_id, kind)
}

/// A clinic and its security manager, as `init` and `institution create` take them.
fn institution_args<'a>(command: &'a mut Command, login_id: &str, kind: &str) -> &'a mut Command {
    command
        .args([
            "--name",
            "テスト診療所",
            "--kind",
            kind,
            "--prefecture",
            "徳島県",
        ])
        .args([
            "--address",
            "徳島市1-1",
            "--phone",
            "088-000-0000",
            "--admin-name",
            "守 花子",
        ])
        .args(["--admin-login-id", login_id])
        .env("MAMORI_ADMIN_PASSWORD", PASSWORD)
}

/// Runs `mamori serve` on `data_dir` for a test that expects it to refuse to start.
fn serve_until_it_fails(data_dir: &Path) -> Output {
    mamori()
        .arg("--data-dir")
        .arg(data_dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .expect("run")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A failure is one `error:` line, exit status 1, and no panic or backtrace.
fn assert_clean_failure(output: &Output, expect_in_message: &str) {
    let message = stderr(output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    let error_lines: Vec<&str> = message
        .lines()
        .filter(|line| line.starts_with("error:"))
        .collect();
    assert_eq!(error_lines.len(), 1, "{message}");
    assert!(
        error_lines[0].contains(expect_in_message),
        "expected {expect_in_message:?} in {message}"
    );
    assert!(
        !message.contains("panicked") && !message.contains("backtrace"),
        "{message}"
    );
}

#[test]
fn help_documents_every_command_and_option() {
    let output = mamori().arg("--help").output().expect("run");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    for word in [
        "serve",
        "init",
        "institution",
        "--data-dir",
        "--database-url",
        "MAMORI_DATA_DIR",
    ] {
        assert!(help.contains(word), "--help lacks {word}: {help}");
    }
    let serve = mamori().args(["serve", "--help"]).output().expect("run");
    let serve_help = String::from_utf8_lossy(&serve.stdout);
    for word in [
        "--listen",
        "MAMORI_LISTEN",
        "127.0.0.1:8080",
        "./mamori-data",
    ] {
        assert!(
            serve_help.contains(word),
            "serve --help lacks {word}: {serve_help}"
        );
    }
}

/// `--database-url` for the test database when `TEST_DATABASE_URL` names PostgreSQL.
fn database_args(database: &TestDatabase) -> Vec<String> {
    if database.is_postgres() {
        vec!["--database-url".into(), database.url().into()]
    } else {
        Vec::new()
    }
}

#[tokio::test]
async fn init_sets_up_once_and_refuses_bad_input_without_storing_it() {
    let database = TestDatabase::create().await;
    let folder = tempfile::tempdir().expect("temp dir");
    let data_dir = folder.path().join("data");
    let mut bad = mamori();
    bad.current_dir(folder.path())
        .args(database_args(&database))
        .arg("--data-dir")
        .arg(&data_dir);
    init_args_of_kind(&mut bad, "admin", "castle");
    assert_clean_failure(&bad.output().expect("run"), "kind");

    let mut good = mamori();
    good.current_dir(folder.path())
        .args(database_args(&database))
        .arg("--data-dir")
        .arg(&data_dir);
    let output = init_args(&mut good, "admin").output().expect("run");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("テスト診療所"));
    if !database.is_postgres() {
        assert!(
            data_dir.join("mamori.db").exists(),
            "SQLite lives in the data folder"
        );
    }

    let mut again = mamori();
    again
        .current_dir(folder.path())
        .args(database_args(&database))
        .arg("--data-dir")
        .arg(&data_dir);
    assert_clean_failure(
        &init_args(&mut again, "admin2").output().expect("run"),
        "already set up",
    );

    let list = mamori()
        .args(database_args(&database))
        .arg("--data-dir")
        .arg(&data_dir)
        .args(["institution", "list"])
        .output()
        .expect("run");
    let listing = String::from_utf8_lossy(&list.stdout);
    assert_eq!(listing.lines().count(), 1, "{listing}");
    assert!(listing.contains("テスト診療所\t無床診療所\t徳島県"));
}

#[test]
fn the_operator_names_each_institution_by_a_code_used_once_on_the_server() {
    let folder = tempfile::tempdir().expect("temp dir");
    let data_dir = folder.path().join("data");
    let run = |extra: &[&str], login_id: &str| {
        let mut create = mamori();
        create
            .arg("--data-dir")
            .arg(&data_dir)
            .args(["institution", "create"]);
        institution_args(&mut create, login_id, "clinic_without_beds")
            .args(extra)
            .output()
            .expect("run")
    };
    let first = run(&[], "admin");
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(String::from_utf8_lossy(&first.stdout).contains("institution code \"m0001\""));
    let named = run(&["--code", "Handa-Clinic"], "admin");
    assert!(named.status.success(), "{}", stderr(&named));
    assert!(String::from_utf8_lossy(&named.stdout).contains("institution code \"handa-clinic\""));
    assert_clean_failure(&run(&["--code", "handa-clinic"], "other"), "already used");
    assert_clean_failure(&run(&["--code", "半田"], "other"), "--code");
    let list = mamori()
        .arg("--data-dir")
        .arg(&data_dir)
        .args(["institution", "list"])
        .output()
        .expect("run");
    let listing = String::from_utf8_lossy(&list.stdout);
    assert_eq!(listing.lines().count(), 2, "{listing}");
    assert!(
        listing.contains("\tm0001\t") && listing.contains("\thanda-clinic\t"),
        "{listing}"
    );
    // The operator renames a code; a code in use or a wrong id is refused.
    let set_code = |id: &str, code: &str| {
        mamori()
            .arg("--data-dir")
            .arg(&data_dir)
            .args(["institution", "set-code", id, code])
            .output()
            .expect("run")
    };
    let renamed = set_code("1", "Tokushima-01");
    assert!(renamed.status.success(), "{}", stderr(&renamed));
    assert_clean_failure(&set_code("2", "tokushima-01"), "already used");
    assert_clean_failure(&set_code("99", "free-code"), "no institution 99");
    assert_clean_failure(&set_code("1", "x"), "code");
    let list = mamori()
        .arg("--data-dir")
        .arg(&data_dir)
        .args(["institution", "list"])
        .output()
        .expect("run");
    let listing = String::from_utf8_lossy(&list.stdout);
    assert!(
        listing.contains("\ttokushima-01\t") && listing.contains("\thanda-clinic\t"),
        "{listing}"
    );
    // Sharing a checklist version needs one the institution published (the
    // sharing itself is walked through HTTP in checklist_versions.rs).
    let share = mamori()
        .arg("--data-dir")
        .arg(&data_dir)
        .args(["institution", "share-version", "1", "R8-medical"])
        .output()
        .expect("run");
    assert_clean_failure(
        &share,
        "institution 1 has no published checklist version \"R8-medical\"",
    );
}

#[test]
fn a_password_on_the_command_line_is_not_accepted_and_a_weak_one_is_refused() {
    let folder = tempfile::tempdir().expect("temp dir");
    let mut weak = mamori();
    weak.arg("--data-dir").arg(folder.path());
    init_args(&mut weak, "admin").env("MAMORI_ADMIN_PASSWORD", "short");
    assert_clean_failure(&weak.output().expect("run"), "password");
    let mut missing = mamori();
    missing.arg("--data-dir").arg(folder.path());
    init_args(&mut missing, "admin").env_remove("MAMORI_ADMIN_PASSWORD");
    assert_clean_failure(&missing.output().expect("run"), "MAMORI_ADMIN_PASSWORD");
}

/// A running `mamori serve`, killed on drop.
struct Server {
    child: Child,
    address: String,
    /// What it writes to its log after it said where it listens.
    said_later: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    /// Asks it to stop (SIGTERM, as systemd does) and returns what it wrote
    /// to its log until it exited.
    fn stop_gracefully(mut self) -> Vec<String> {
        let stopped = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(stopped.success());
        let deadline = Instant::now() + Duration::from_secs(40);
        while self.child.try_wait().expect("wait").is_none() {
            assert!(Instant::now() < deadline, "the server did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
        // The log reader ends with the pipe.
        std::thread::sleep(Duration::from_millis(200));
        self.said_later.lock().expect("the log").clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `serve` on a free port and waits for its "listening on" line.
fn start_server(data_dir: &Path) -> Server {
    let mut command = mamori();
    command
        .arg("--data-dir")
        .arg(data_dir)
        .args(["serve", "--listen", "127.0.0.1:0"]);
    start_server_with(command)
}

/// Starts `command` (a `serve`) and waits for its "listening on" line.
fn start_server_with(command: Command) -> Server {
    start_server_saying(command).0
}

fn http_get(address: &str, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    (status, response)
}

#[test]
fn serve_logs_its_address_and_answers() {
    let folder = tempfile::tempdir().expect("temp dir");
    let server = start_server(&folder.path().join("data"));
    let (status, body) = http_get(&server.address, "/healthz");
    assert_eq!(status, 200, "{body}");
    let (status, setup) = http_get(&server.address, "/setup");
    assert_eq!(status, 200);
    assert!(setup.contains("初期設定"));
}

#[test]
fn a_port_in_use_is_one_clear_line() {
    let folder = tempfile::tempdir().expect("temp dir");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = taken.local_addr().expect("address").to_string();
    let output = mamori()
        .arg("--data-dir")
        .arg(folder.path())
        .args(["serve", "--listen", &address])
        .output()
        .expect("run");
    assert_clean_failure(&output, &format!("cannot listen on {address}"));
}

#[test]
fn a_malformed_catalog_in_the_data_folder_stops_the_server_naming_file_item_and_field() {
    let folder = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(folder.path().join("catalogs")).expect("mkdir");
    let bad = "version: R9\nfiscal_year: 2027\nform: medical\ntitle: x\npublished: null\nsource: x\n\
               wording_verified: false\ngate: x\ngroups:\n  - {number: 1, name: 体制構築}\nitems:\n  \
               - {key: ledger, number: \"(1)\", group: 体制構築, target: null, text: x, due: 1999, verified: false}\n";
    std::fs::write(folder.path().join("catalogs/r9-medical.yaml"), bad).expect("write");
    let output = serve_until_it_fails(folder.path());
    assert_clean_failure(&output, "r9-medical.yaml: item ledger (#1): field due");
}

#[test]
fn a_corrupt_database_file_is_one_clear_line() {
    let folder = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        folder.path().join("mamori.db"),
        "this is a spreadsheet, not a database\n".repeat(200),
    )
    .expect("write");
    let output = serve_until_it_fails(folder.path());
    assert_clean_failure(&output, "not a database");
}

#[test]
fn bad_urls_unreachable_servers_and_bad_values_are_one_clear_line() {
    let folder = tempfile::tempdir().expect("temp dir");
    let run = |url: &str| {
        mamori()
            .arg("--data-dir")
            .arg(folder.path())
            .args(["--database-url", url, "serve", "--listen", "127.0.0.1:0"])
            .output()
            .expect("run")
    };
    assert_clean_failure(
        &run("mysql://root@localhost/x"),
        "must start with sqlite:// or postgres://",
    );
    assert_clean_failure(
        &run("postgres://postgres@127.0.0.1:1/mamori"),
        "cannot reach the PostgreSQL server",
    );
    let output = run("postgres://postgres:s3cret@127.0.0.1:1/mamori");
    assert!(
        !stderr(&output).contains("s3cret"),
        "passwords never appear in messages"
    );

    let bad_listen = mamori()
        .arg("--data-dir")
        .arg(folder.path())
        .arg("serve")
        .env("MAMORI_LISTEN", "everywhere")
        .output()
        .expect("run");
    assert_eq!(bad_listen.status.code(), Some(2));
    assert!(
        stderr(&bad_listen).contains("--listen"),
        "{}",
        stderr(&bad_listen)
    );

    let file = folder.path().join("a-file");
    std::fs::write(&file, "x").expect("write");
    let output = mamori()
        .arg("--data-dir")
        .arg(&file)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .expect("run");
    assert_clean_failure(&output, "is not a folder");
}

#[tokio::test]
async fn a_failed_migration_leaves_the_database_as_it_was_and_refuses_to_start() {
    let folder = tempfile::tempdir().expect("temp dir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        folder.path().join("mamori.db").display()
    );
    sqlx::any::install_default_drivers();
    {
        let mut connection = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
            .await
            .expect("connect");
        // A table in the way makes the first migration fail half-way.
        connection
            .execute("CREATE TABLE users (legacy TEXT)")
            .await
            .expect("create");
        connection
            .execute("INSERT INTO users VALUES ('keep me')")
            .await
            .expect("insert");
    }
    let output = serve_until_it_fails(folder.path());
    assert_clean_failure(&output, "migration failed");
    let mut connection = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
        .await
        .expect("connect");
    let n_tables: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('institutions', 'setup_marker')")
        .fetch_one(&mut connection)
        .await
        .expect("query");
    assert_eq!(
        n_tables, 0,
        "tables created before the failure were rolled back"
    );
    let legacy: String = sqlx::query_scalar("SELECT legacy FROM users")
        .fetch_one(&mut connection)
        .await
        .expect("query");
    assert_eq!(legacy, "keep me");
}

/// Opens `form_page` and posts `fields` with its CSRF token, as a browser would.
async fn submit(
    client: &reqwest::Client,
    base: &str,
    form_page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::StatusCode {
    let page = client
        .get(format!("{base}{form_page}"))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF token on the form")
        .to_owned();
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    client
        .post(format!("{base}{action}"))
        .form(&all)
        .send()
        .await
        .expect("POST")
        .status()
}

#[tokio::test]
async fn a_killed_server_keeps_every_committed_record() {
    let folder = tempfile::tempdir().expect("temp dir");
    let data_dir = folder.path().join("data");
    let mut server = start_server(&data_dir);
    let base = format!("http://{}", server.address);
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let fields = [
        ("name", "強制終了クリニック"),
        ("kind", "clinic_without_beds"),
        ("bed_count", "0"),
        ("prefecture", "徳島県"),
        ("address", "徳島市1-1"),
        ("phone", "088-000-0000"),
        ("display_name", "守 花子"),
        ("login_id", "admin"),
        ("password", PASSWORD),
        ("password_confirm", PASSWORD),
    ];
    assert_eq!(
        submit(&client, &base, "/setup", "/setup", &fields).await,
        reqwest::StatusCode::SEE_OTHER
    );
    // SIGKILL right after the answer: no shutdown handler, no WAL checkpoint.
    server.child.kill().expect("kill");
    let _ = server.child.wait();
    drop(server);

    let restarted = start_server(&data_dir);
    let base = format!("http://{}", restarted.address);
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let status = submit(
        &client,
        &base,
        "/login",
        "/login",
        &[("login_id", "admin"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(
        status,
        reqwest::StatusCode::SEE_OTHER,
        "the institution and its admin survived the kill"
    );
    let dashboard = client
        .get(format!("{base}/dashboard"))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    assert!(dashboard.contains("強制終了クリニック"));
}

/// A trail of six entries (three institutions with their admins), checkpointed.
struct Trail {
    _database: TestDatabase,
    _folder: tempfile::TempDir,
    data_dir: std::path::PathBuf,
    url: String,
    db_args: Vec<String>,
}

impl Trail {
    async fn new() -> Self {
        let database = TestDatabase::create().await;
        let folder = tempfile::tempdir().expect("temp dir");
        let data_dir = folder.path().join("data");
        let db_args = database_args(&database);
        let url = if database.is_postgres() {
            database.url().to_owned()
        } else {
            format!("sqlite://{}?mode=rwc", data_dir.join("mamori.db").display())
        };
        let trail = Self {
            _database: database,
            _folder: folder,
            data_dir,
            url,
            db_args,
        };
        let mut init = trail.command();
        assert!(
            init_args(&mut init, "admin-1")
                .output()
                .expect("run")
                .status
                .success()
        );
        for n in 2..=3 {
            trail.add_institution(&format!("分院{n}"), &format!("admin-{n}"));
        }
        let checkpoint = trail.run(&["audit", "checkpoint"]);
        assert!(checkpoint.status.success(), "{}", stderr(&checkpoint));
        assert!(String::from_utf8_lossy(&checkpoint.stdout).starts_with("mamori/audit-trail\n6\n"));
        trail
    }

    fn command(&self) -> Command {
        let mut command = mamori();
        command
            .args(&self.db_args)
            .arg("--data-dir")
            .arg(&self.data_dir);
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run")
    }

    /// `mamori institution create`: a pharmacy and its admin (two entries).
    fn add_institution(&self, name: &str, admin_login_id: &str) {
        let output = self
            .command()
            .args([
                "institution",
                "create",
                "--name",
                name,
                "--kind",
                "pharmacy",
            ])
            .args([
                "--prefecture",
                "高知県",
                "--address",
                "高知市1-1",
                "--phone",
                "088-000-0000",
            ])
            .args([
                "--admin-name",
                "薬局 管理者",
                "--admin-login-id",
                admin_login_id,
            ])
            .env("MAMORI_ADMIN_PASSWORD", PASSWORD)
            .output()
            .expect("run");
        assert!(output.status.success(), "{}", stderr(&output));
    }

    async fn tamper(&self, statements: &[&'static str]) {
        sqlx::any::install_default_drivers();
        let mut connection = <sqlx::AnyConnection as sqlx::Connection>::connect(&self.url)
            .await
            .expect("connect");
        for statement in statements {
            connection
                .execute(*statement)
                .await
                .unwrap_or_else(|error| panic!("{statement}: {error}"));
        }
    }
}

#[tokio::test]
async fn audit_verify_passes_on_an_intact_trail_and_proofs_verify_independently() {
    let trail = Trail::new().await;
    let output = trail.run(&["audit", "verify"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("ok: 6 entries verified"));

    // A third party with only the public key, the checkpoint and the proof.
    let public_key = String::from_utf8_lossy(&trail.run(&["audit", "public-key"]).stdout)
        .trim()
        .to_owned();
    let (name, key) = mamori_tlog::parse_verifier_key(&public_key).expect("verifier key");
    let proof: serde_json::Value =
        serde_json::from_slice(&trail.run(&["audit", "proof", "2"]).stdout).expect("proof JSON");
    let checkpoint =
        mamori_tlog::Checkpoint::verify(proof["checkpoint"].as_str().expect("note"), &name, &key)
            .expect("the checkpoint verifies");
    let hashes: Vec<mamori_tlog::Hash> = proof["inclusion_proof"]
        .as_array()
        .expect("array")
        .iter()
        .map(|hash| mamori_tlog::Hash::from_hex(hash.as_str().expect("hex")).expect("hash"))
        .collect();
    let leaf =
        mamori_tlog::Hash::from_hex(proof["leaf_hash"].as_str().expect("hex")).expect("hash");
    mamori_tlog::verify_inclusion(&leaf, 2, checkpoint.size, &hashes, &checkpoint.root)
        .expect("inclusion");
    let consistency: serde_json::Value =
        serde_json::from_slice(&trail.run(&["audit", "consistency", "4"]).stdout)
            .expect("consistency JSON");
    let hashes: Vec<mamori_tlog::Hash> = consistency["consistency_proof"]
        .as_array()
        .expect("array")
        .iter()
        .map(|hash| mamori_tlog::Hash::from_hex(hash.as_str().expect("hex")).expect("hash"))
        .collect();
    let old_root =
        mamori_tlog::Hash::from_hex(consistency["old_root"].as_str().expect("hex")).expect("hash");
    mamori_tlog::verify_consistency(4, 6, &old_root, &checkpoint.root, &hashes)
        .expect("consistency");
    assert_clean_failure(
        &trail.run(&["audit", "proof", "99"]),
        "no inclusion proof for entry 99",
    );
}

#[tokio::test]
async fn audit_verify_names_an_edited_entry() {
    let trail = Trail::new().await;
    trail.tamper(&["UPDATE audit_events SET detail = '{\"after\":{\"name\":\"改ざん\"}}' WHERE position = 2"]).await;
    assert_clean_failure(&trail.run(&["audit", "verify"]), "entry 2 (row id");
}

/// An attacker who edits an entry and rewrites its recorded leaf hash to match
/// (computed from the documented leaf format) is caught by the signed checkpoint
/// covering it, which names the range between the two checkpoints around it.
#[tokio::test]
async fn audit_verify_catches_an_edit_with_rewritten_hashes_at_the_checkpoint_covering_it() {
    let trail = Trail::new().await;
    // A second checkpoint, so that the edit lies between two (6 and the new size).
    let output = trail
        .command()
        .args([
            "institution",
            "create",
            "--name",
            "分院4",
            "--kind",
            "pharmacy",
        ])
        .args([
            "--prefecture",
            "高知県",
            "--address",
            "高知市4-4",
            "--phone",
            "088-000-0004",
        ])
        .args([
            "--admin-name",
            "診療所 管理者",
            "--admin-login-id",
            "admin-4",
        ])
        .env("MAMORI_ADMIN_PASSWORD", PASSWORD)
        .output()
        .expect("run");
    assert!(output.status.success(), "{}", stderr(&output));
    let checkpoint = trail.run(&["audit", "checkpoint"]);
    assert!(checkpoint.status.success(), "{}", stderr(&checkpoint));
    let size: i64 = String::from_utf8_lossy(&checkpoint.stdout)
        .lines()
        .nth(1)
        .and_then(|line| line.parse().ok())
        .expect("the checkpoint's size");
    assert!(size > 6, "the new institution added entries");
    let intact = trail.run(&["audit", "verify"]);
    assert!(intact.status.success(), "{}", stderr(&intact));

    sqlx::any::install_default_drivers();
    let mut connection = <sqlx::AnyConnection as sqlx::Connection>::connect(&trail.url)
        .await
        .expect("connect");
    let position = size - 1;
    let row = sqlx::query(
        "SELECT institution_id, occurred_at, actor_user_id, actor_label, action, target
         FROM audit_events WHERE position = $1",
    )
    .bind(position)
    .fetch_one(&mut connection)
    .await
    .expect("the last entry");
    use sqlx::Row;
    let detail = r#"{"after":{"name":"改ざん"}}"#;
    let leaf = serde_json::json!([
        position,
        row.try_get::<Option<i64>, _>("institution_id")
            .expect("institution_id"),
        row.try_get::<i64, _>("occurred_at").expect("occurred_at"),
        row.try_get::<Option<i64>, _>("actor_user_id")
            .expect("actor_user_id"),
        row.try_get::<String, _>("actor_label")
            .expect("actor_label"),
        row.try_get::<String, _>("action").expect("action"),
        row.try_get::<String, _>("target").expect("target"),
        detail
    ])
    .to_string();
    let forged = mamori_tlog::leaf_hash(leaf.as_bytes()).to_string();
    sqlx::query("UPDATE audit_events SET detail = $1, leaf_hash = $2 WHERE position = $3")
        .bind(detail)
        .bind(&forged)
        .bind(position)
        .execute(&mut connection)
        .await
        .expect("tamper");
    assert_clean_failure(
        &trail.run(&["audit", "verify"]),
        &format!("an entry between 6 and {position} was changed and its recorded hashes rewritten"),
    );
}

#[tokio::test]
async fn audit_verify_names_a_deleted_entry() {
    let trail = Trail::new().await;
    trail
        .tamper(&["DELETE FROM audit_events WHERE position = 3"])
        .await;
    assert_clean_failure(&trail.run(&["audit", "verify"]), "entry 3 is missing");
}

#[tokio::test]
async fn audit_verify_names_reordered_entries() {
    let trail = Trail::new().await;
    trail
        .tamper(&[
            "UPDATE audit_events SET position = -1 WHERE position = 1",
            "UPDATE audit_events SET position = 1 WHERE position = 2",
            "UPDATE audit_events SET position = 2 WHERE position = -1",
        ])
        .await;
    assert_clean_failure(&trail.run(&["audit", "verify"]), "entry 1 (row id");
}

#[tokio::test]
async fn audit_verify_catches_a_cut_tail_even_with_the_database_checkpoints_gone() {
    let trail = Trail::new().await;
    trail
        .tamper(&[
            "DELETE FROM audit_events WHERE position = 5",
            "DELETE FROM audit_checkpoints",
            "UPDATE audit_log_head SET size = 5, root = (SELECT root_after FROM audit_events WHERE position = 4)",
        ])
        .await;
    assert_clean_failure(
        &trail.run(&["audit", "verify"]),
        "entries 5 to 5 were removed",
    );
}

#[tokio::test]
async fn a_shortened_trail_is_never_signed_again_and_the_server_refuses_to_start() {
    let trail = Trail::new().await;
    trail
        .tamper(&[
            "DELETE FROM audit_events WHERE position >= 4",
            "DELETE FROM audit_checkpoints",
            // The head made whole again, frontier too (four leaves: one subtree).
            "UPDATE audit_log_head SET size = 4, root = (SELECT root_after FROM audit_events WHERE position = 3), \
             frontier = (SELECT root_after FROM audit_events WHERE position = 3)",
        ])
        .await;
    let expected = "no longer extends its last signed checkpoint";
    assert_clean_failure(&trail.run(&["audit", "checkpoint"]), expected);
    let serve = trail
        .command()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .expect("run");
    assert_clean_failure(&serve, expected);
    assert_clean_failure(&trail.run(&["audit", "verify"]), "were removed");
    // Nothing was signed over the shorter tree: verify still sees the cut.
    let note = std::fs::read_to_string(trail.data_dir.join("audit-checkpoint.txt"))
        .expect("checkpoint file");
    assert!(note.starts_with("mamori/audit-trail\n6\n"), "{note}");
}

#[tokio::test]
async fn an_emptied_trail_gets_no_size_zero_checkpoint() {
    let trail = Trail::new().await;
    trail
        .tamper(&[
            "DELETE FROM audit_events",
            "DELETE FROM audit_checkpoints",
            "UPDATE audit_log_head SET size = 0, root = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', frontier = ''",
        ])
        .await;
    assert_clean_failure(
        &trail.run(&["audit", "checkpoint"]),
        "the checkpoint covers 6 entries, the trail now holds 0",
    );
}

#[tokio::test]
async fn a_grown_trail_is_signed_from_the_saved_frontier_or_from_the_recorded_leaves() {
    let trail = Trail::new().await;
    let add = |n: usize| trail.add_institution(&format!("追加{n}"), &format!("extra-{n}"));
    add(1);
    let checkpoint = trail.run(&["audit", "checkpoint"]);
    assert!(checkpoint.status.success(), "{}", stderr(&checkpoint));
    assert!(String::from_utf8_lossy(&checkpoint.stdout).starts_with("mamori/audit-trail\n8\n"));
    // Without the saved frontier the recorded leaf hashes prove the extension.
    std::fs::remove_file(trail.data_dir.join("audit-frontier.txt")).expect("remove");
    add(2);
    let checkpoint = trail.run(&["audit", "checkpoint"]);
    assert!(checkpoint.status.success(), "{}", stderr(&checkpoint));
    assert!(String::from_utf8_lossy(&checkpoint.stdout).starts_with("mamori/audit-trail\n10\n"));
    let verify = trail.run(&["audit", "verify"]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    // A head rewritten to another tree of the same size is not signed either
    // (ten leaves: subtrees of eight and two; the two replaced).
    trail
        .tamper(&[
            "UPDATE audit_log_head SET frontier = (SELECT root_after FROM audit_events WHERE position = 7) \
             || ',' || (SELECT leaf_hash FROM audit_events WHERE position = 0), \
             root = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'",
        ])
        .await;
    assert_clean_failure(
        &trail.run(&["audit", "checkpoint"]),
        "no longer extends its last signed checkpoint",
    );
}

/// Every file below `folder` with its bytes, for comparing before and after.
fn snapshot(folder: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(folder)
        .expect("read dir")
        .map(|entry| entry.expect("entry").path())
        .map(|path| {
            let bytes = std::fs::read(&path).expect("read");
            (path, bytes)
        })
        .collect();
    files.sort();
    files
}

#[tokio::test]
async fn audit_verify_writes_nothing_so_it_runs_on_a_read_only_copy() {
    let trail = Trail::new().await;
    if trail.url.starts_with("postgres") {
        // An inspector's copy is the SQLite file; PostgreSQL sessions of
        // verify are read-only, which the PostgreSQL run of the suite covers.
        let output = trail.run(&["audit", "verify"]);
        assert!(output.status.success(), "{}", stderr(&output));
        return;
    }
    let copy = tempfile::tempdir().expect("temp dir");
    for (path, bytes) in snapshot(&trail.data_dir) {
        let name = path.file_name().expect("name");
        std::fs::write(copy.path().join(name), bytes).expect("copy");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for (path, _) in snapshot(copy.path()) {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).expect("chmod");
        }
        std::fs::set_permissions(copy.path(), std::fs::Permissions::from_mode(0o555))
            .expect("chmod");
    }
    let before = snapshot(copy.path());
    let output = mamori()
        .arg("--data-dir")
        .arg(copy.path())
        .args(["audit", "verify"])
        .output()
        .expect("run");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("ok: 6 entries verified"));
    assert_eq!(snapshot(copy.path()), before, "verify wrote into the copy");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(copy.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod back");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_folder_and_database_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let trail = Trail::new().await;
    let mode = |path: &Path| {
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&trail.data_dir), 0o700);
    for (path, _) in snapshot(&trail.data_dir) {
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    // A folder made by an older version (or by hand) is tightened at start.
    std::fs::set_permissions(&trail.data_dir, std::fs::Permissions::from_mode(0o755))
        .expect("chmod");
    if !trail.url.starts_with("postgres") {
        std::fs::set_permissions(
            trail.data_dir.join("mamori.db"),
            std::fs::Permissions::from_mode(0o644),
        )
        .expect("chmod");
    }
    let output = trail.run(&["institution", "list"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(mode(&trail.data_dir), 0o700);
    if !trail.url.starts_with("postgres") {
        assert_eq!(mode(&trail.data_dir.join("mamori.db")), 0o600);
    }
}

/// A minimal .xlsx whose `part` is `head`, then `repeat` written `times`
/// times, then `tail` — a few hundred kilobytes that inflate to as much as
/// the test wants, never held whole in memory here either.
fn xlsx_bomb(part: &str, head: &str, repeat: &str, times: usize, tail: &str) -> Vec<u8> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let parts = [
        (
            "[Content_Types].xml",
            String::from(
                r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#,
            ),
        ),
        (
            "_rels/.rels",
            format!(
                r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
            ),
        ),
        (
            "xl/workbook.xml",
            format!(
                r#"<?xml version="1.0"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            format!(
                r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#
            ),
        ),
        (
            "xl/worksheets/sheet1.xml",
            format!(
                r#"<?xml version="1.0"?><worksheet xmlns="{main}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>種別</t></is></c></row></sheetData></worksheet>"#
            ),
        ),
        (
            "xl/sharedStrings.xml",
            format!(r#"<?xml version="1.0"?><sst xmlns="{main}"></sst>"#),
        ),
    ];
    for (name, content) in &parts {
        if *name == part {
            continue;
        }
        writer.start_file(*name, options).expect("start");
        writer.write_all(content.as_bytes()).expect("write");
    }
    writer.start_file(part, options).expect("start");
    writer.write_all(head.as_bytes()).expect("write");
    let chunk = repeat.repeat(4096);
    for _ in 0..times / 4096 {
        writer.write_all(chunk.as_bytes()).expect("write");
    }
    writer.write_all(tail.as_bytes()).expect("write");
    writer.finish().expect("finish").into_inner()
}

/// Uploads `bytes` as a device import the way the form does; returns the
/// status and the page.
async fn upload_import(client: &reqwest::Client, base: &str, bytes: Vec<u8>) -> (u16, String) {
    let page = client
        .get(format!("{base}/ledger/devices/import"))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF token")
        .to_owned();
    let form = reqwest::multipart::Form::new().text("csrf", csrf).part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name("bomb.xlsx"),
    );
    let response = client
        .post(format!("{base}/ledger/devices/import"))
        .multipart(form)
        .send()
        .await
        .expect("POST");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// The server runs under an address-space limit (`prlimit --as`, 1 GiB) far
/// below what the workbook bombs asked of it before, while they are uploaded
/// at once and a large ledger is printed twice at once; it answers every
/// `/healthz` meanwhile, refuses each bomb with a message, and prints.
#[tokio::test]
async fn bombs_and_large_prints_under_a_memory_limit_leave_the_server_answering() {
    let folder = tempfile::tempdir().expect("temp dir");
    let data_dir = folder.path().join("data");
    let mut init = mamori();
    init.arg("--data-dir").arg(&data_dir);
    let output = init_args(&mut init, "admin").output().expect("run");
    assert!(output.status.success(), "{}", stderr(&output));
    let mut command = Command::new("prlimit");
    command
        .arg(format!("--as={}", 1024u64 * 1024 * 1024))
        .arg(env!("CARGO_BIN_EXE_mamori"))
        .env("MALLOC_ARENA_MAX", "2")
        .env_remove("MAMORI_DATABASE_URL")
        .env("MAMORI_LOG", "info,sqlx=warn")
        .arg("--data-dir")
        .arg(&data_dir)
        .args(["serve", "--listen", "127.0.0.1:0"]);
    let server = start_server_with(command);
    let base = format!("http://{}", server.address);
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(300))
        .build()
        .expect("client");
    assert_eq!(
        submit(
            &client,
            &base,
            "/login",
            "/login",
            &[("login_id", "admin"), ("password", PASSWORD)]
        )
        .await,
        reqwest::StatusCode::SEE_OTHER
    );

    // A ledger of 2,500 devices, imported as CSV.
    let mut csv = String::from("種別,管理番号,管理場所,備考\r\n");
    for n in 0..2_500 {
        csv.push_str(&format!(
            "パソコン,PC-{n:05},診察室{},定期点検の対象、長めの備考をここに書く {n}\r\n",
            n % 7
        ));
    }
    let (status, preview) = upload_import(&client, &base, csv.into_bytes()).await;
    assert_eq!(status, 200, "{preview}");
    let action = preview
        .split("action=\"/ledger/devices/import/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|rest| format!("/ledger/devices/import/{rest}"))
        .expect("an apply form");
    assert_eq!(
        submit(&client, &base, "/ledger/devices", &action, &[]).await,
        reqwest::StatusCode::OK
    );

    let healthy = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let poller = {
        let (base, healthy, done) = (base.clone(), healthy.clone(), done.clone());
        tokio::spawn(async move {
            let probe = reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .expect("client");
            let mut n = 0;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let ok = probe
                    .get(format!("{base}/healthz"))
                    .send()
                    .await
                    .is_ok_and(|response| response.status().is_success());
                if !ok {
                    healthy.store(false, std::sync::atomic::Ordering::SeqCst);
                }
                n += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            n
        })
    };
    let shared_strings = xlsx_bomb(
        "xl/sharedStrings.xml",
        r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#,
        "<si><t/></si>",
        500_000_000 / 13,
        "</sst>",
    );
    let huge_cell = xlsx_bomb(
        "xl/worksheets/sheet1.xml",
        r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>"#,
        "AAAAAAAAAAAAAAAA",
        400_000_000 / 16,
        "</t></is></c></row></sheetData></worksheet>",
    );
    let empty_cells = xlsx_bomb(
        "xl/worksheets/sheet1.xml",
        r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">"#,
        "<c/>",
        100_000_000 / 4,
        "</row></sheetData></worksheet>",
    );
    for bomb in [&shared_strings, &huge_cell, &empty_cells] {
        assert!(bomb.len() < 10 * 1024 * 1024, "{}", bomb.len());
    }
    let print = || {
        let client = client.clone();
        let base = base.clone();
        async move {
            let response = client
                .get(format!("{base}/ledger/devices/print.pdf?part=1"))
                .send()
                .await
                .expect("GET");
            let status = response.status().as_u16();
            (status, response.bytes().await.expect("body").to_vec())
        }
    };
    let (a, b, c, print_a, print_b) = tokio::join!(
        upload_import(&client, &base, shared_strings),
        upload_import(&client, &base, huge_cell),
        upload_import(&client, &base, empty_cells),
        print(),
        print(),
    );
    let (uploads, prints) = ([a, b, c], [print_a, print_b]);
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let probes = poller.await.expect("poller");
    for (status, page) in uploads {
        assert_eq!(status, 422, "{page}");
        assert!(
            page.contains("大きすぎます") || page.contains("多すぎます"),
            "{page}"
        );
    }
    for (status, bytes) in prints {
        assert_eq!(status, 200);
        assert!(bytes.starts_with(b"%PDF"));
    }
    // The chooser lists the three parts of 2,500 rows.
    let chooser = client
        .get(format!("{base}/ledger/devices/print.pdf"))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    assert!(
        chooser.contains("?part=3") && !chooser.contains("?part=4"),
        "{chooser}"
    );
    assert!(probes > 0);
    assert!(
        healthy.load(std::sync::atomic::Ordering::SeqCst),
        "/healthz failed while the bombs and prints ran"
    );
    let (status, _) = http_get(&server.address, "/healthz");
    assert_eq!(status, 200, "the server is still alive");
}

#[test]
fn the_setup_token_is_printed_as_plain_japanese_lines() {
    let folder = tempfile::tempdir().expect("temp dir");
    let mut child = mamori()
        .arg("--data-dir")
        .arg(folder.path().join("data"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        let done = line.contains("初期設定トークン:");
        seen.push(line);
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let text = seen.join("\n");
    let token_line = seen
        .iter()
        .find(|line| line.contains("初期設定トークン:"))
        .unwrap_or_else(|| panic!("no token line in {text}"));
    let token = token_line.rsplit(' ').next().unwrap_or_default();
    assert!(token.len() >= 20, "{token_line}");
    assert!(text.contains("/setup を開き"), "{text}");
    assert!(!text.contains('\u{1b}'), "no colour escapes: {text:?}");
    assert!(!text.contains("INFO"), "not a log line: {text}");
}

#[test]
fn a_public_url_that_is_not_an_address_is_one_clear_line() {
    let folder = tempfile::tempdir().expect("temp dir");
    let output = mamori()
        .arg("--data-dir")
        .arg(folder.path().join("data"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--public-url",
            "mamori.example.jp/path",
        ])
        .output()
        .expect("run");
    assert_clean_failure(&output, "--public-url must look like https://");
}

#[tokio::test]
async fn a_row_written_around_the_trail_is_never_sealed_as_if_it_belonged() {
    let trail = Trail::new().await;
    trail
        .tamper(&[
            "INSERT INTO audit_events (institution_id, occurred_at, actor_user_id, actor_label, action, target, detail) \
             VALUES (1, 0, NULL, 'admin-1', 'user.create', 'user:99', '{}')",
        ])
        .await;
    // Any command that opens the database as the server does…
    let listed = trail.run(&["institution", "list"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    // …leaves the injected row for verify to name.
    assert_clean_failure(
        &trail.run(&["audit", "verify"]),
        "was inserted outside the audit trail",
    );
}

// ---- mamori backup / restore (issue #13) ----

const BACKUP_PASSPHRASE: &str = "kumo no ue ni mo hi wa noboru";

/// `mamori` with the backup passphrase in its environment.
fn mamori_with_passphrase(passphrase: &str) -> Command {
    let mut command = mamori();
    command.env("MAMORI_BACKUP_PASSPHRASE", passphrase);
    command
}

/// A data folder set up by `init`.
fn initialised(folder: &Path) -> std::path::PathBuf {
    let data_dir = folder.join("data");
    let mut init = mamori();
    init.arg("--data-dir").arg(&data_dir);
    let output = init_args(&mut init, "admin").output().expect("run");
    assert!(output.status.success(), "{}", stderr(&output));
    data_dir
}

fn take_backup(data_dir: &Path, target: &Path, extra: &[&str]) -> Output {
    mamori_with_passphrase(BACKUP_PASSPHRASE)
        .arg("--data-dir")
        .arg(data_dir)
        .arg("backup")
        .arg("--to")
        .arg(target)
        .args(extra)
        .output()
        .expect("run")
}

/// The backup file a successful `backup` names.
fn backup_file(output: &Output) -> std::path::PathBuf {
    assert!(output.status.success(), "{}", stderr(output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|line| line.strip_prefix("backup: "))
        .expect("a backup line");
    std::path::PathBuf::from(line.split(" (").next().expect("a path"))
}

fn restore_into(file: &Path, target: &Path, passphrase: &str) -> Output {
    mamori_with_passphrase(passphrase)
        .arg("--data-dir")
        .arg(target)
        .arg("restore")
        .arg(file)
        .output()
        .expect("run")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn count_failed_sign_ins(database: &Path) -> i64 {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&format!("sqlite://{}?mode=ro", database.display()))
        .await
        .expect("open the restored database");
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'sign_in.failure'")
            .fetch_one(&pool)
            .await
            .expect("count");
    pool.close().await;
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_the_server_writes_restores_every_earlier_record_and_signs_in() {
    let folder = tempfile::tempdir().expect("temp dir");
    let data_dir = initialised(folder.path());
    let mut serve = mamori();
    serve.arg("--data-dir").arg(&data_dir).args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--sign-in-attempts-per-minute",
        "100000",
    ]);
    let server = start_server_with(serve);
    let base = format!("http://{}", server.address);

    // A writer: failed sign-ins, each an audit event committed before its answer.
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (answered, stop, base) = (answered.clone(), stop.clone(), base.clone());
        tokio::spawn(async move {
            let client = client();
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                n += 1;
                let login = format!("nobody{n}");
                let status = submit(
                    &client,
                    &base,
                    "/login",
                    "/login",
                    &[("login_id", &login), ("password", "wrong password here")],
                )
                .await;
                assert_eq!(
                    status,
                    reqwest::StatusCode::UNAUTHORIZED,
                    "a refused sign-in"
                );
                answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        })
    };
    // Let the writer get going, then back up while it keeps writing.
    let deadline = Instant::now() + Duration::from_secs(60);
    while answered.load(std::sync::atomic::Ordering::SeqCst) < 20 {
        assert!(!writer.is_finished(), "the writer stopped");
        assert!(Instant::now() < deadline, "the writer is too slow");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before = answered.load(std::sync::atomic::Ordering::SeqCst);
    let target = folder.path().join("backups");
    let output = {
        let (data_dir, target) = (data_dir.clone(), target.clone());
        tokio::task::spawn_blocking(move || take_backup(&data_dir, &target, &[]))
            .await
            .expect("backup ran")
    };
    let during = answered.load(std::sync::atomic::Ordering::SeqCst);
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    writer.await.expect("writer");
    assert!(during > before, "the server kept writing during the backup");
    let file = backup_file(&output);
    assert!(file.starts_with(&target));
    drop(server);

    // --verify reads every file against its sum.
    let verified = mamori_with_passphrase(BACKUP_PASSPHRASE)
        .arg("backup")
        .arg("--verify")
        .arg(&file)
        .output()
        .expect("run");
    assert!(verified.status.success(), "{}", stderr(&verified));
    assert!(String::from_utf8_lossy(&verified.stdout).contains("each matching its SHA-256"));

    // Restore into a new folder: the trail verifies and holds every sign-in
    // answered before the backup began.
    let restored = folder.path().join("restored");
    let output = restore_into(&file, &restored, BACKUP_PASSPHRASE);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("audit trail: ok"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(
        !restored.join("mamori.db-wal").exists(),
        "the log read with the database is folded into it"
    );
    let kept = count_failed_sign_ins(&restored.join("mamori.db")).await;
    assert!(
        kept >= before,
        "{kept} of the {before} answered before the backup"
    );
    assert!(kept <= during, "nothing invented: {kept} <= {during}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&restored)
            .expect("folder")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700, "the restored folder is private");
    }

    // The restored folder serves, and the admin signs in.
    let server = start_server(&restored);
    let base = format!("http://{}", server.address);
    let status = submit(
        &client(),
        &base,
        "/login",
        "/login",
        &[("login_id", "admin"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(
        status,
        reqwest::StatusCode::SEE_OTHER,
        "signed in on the restored data"
    );
}

/// Every file of `folder` with its contents (none when it does not exist).
fn contents(folder: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    if folder.exists() {
        snapshot(folder)
    } else {
        Vec::new()
    }
}

#[test]
fn a_damaged_or_wrongly_opened_backup_is_one_clear_line_and_leaves_the_target_as_it_was() {
    let folder = tempfile::tempdir().expect("temp dir");
    let data_dir = initialised(folder.path());
    let backups = folder.path().join("backups");
    let file = backup_file(&take_backup(&data_dir, &backups, &[]));
    let bytes = std::fs::read(&file).expect("backup");
    let target = folder.path().join("target");

    // The wrong passphrase.
    assert_clean_failure(
        &restore_into(&file, &target, "not the passphrase at all"),
        "does not open with this passphrase",
    );
    assert!(!target.exists(), "nothing was created");
    // No key at all, or a missing identity file.
    let no_key = mamori()
        .arg("--data-dir")
        .arg(&target)
        .arg("restore")
        .arg(&file)
        .output()
        .expect("run");
    assert_clean_failure(&no_key, "no key to open the backup");
    let missing_identity = mamori()
        .arg("--data-dir")
        .arg(&target)
        .args(["restore", "--identity"])
        .arg(folder.path().join("no-such-key.txt"))
        .arg(&file)
        .output()
        .expect("run");
    assert_clean_failure(&missing_identity, "cannot read the identity file");

    // A flipped byte in the middle, and a file cut short.
    let flipped = folder.path().join("flipped.tar.age");
    let mut damaged = bytes.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x01;
    std::fs::write(&flipped, &damaged).expect("write");
    let truncated = folder.path().join("truncated.tar.age");
    std::fs::write(&truncated, &bytes[..bytes.len() * 2 / 3]).expect("write");
    for broken in [&flipped, &truncated] {
        let verify = mamori_with_passphrase(BACKUP_PASSPHRASE)
            .arg("backup")
            .arg("--verify")
            .arg(broken)
            .output()
            .expect("run");
        assert_clean_failure(&verify, "damaged or cut short");
        assert_clean_failure(
            &restore_into(broken, &target, BACKUP_PASSPHRASE),
            "damaged or cut short",
        );
        assert!(!target.exists(), "nothing was left behind");
    }
    // Not a backup at all.
    let text = folder.path().join("notes.txt");
    std::fs::write(&text, "not an age file").expect("write");
    assert_clean_failure(
        &restore_into(&text, &target, BACKUP_PASSPHRASE),
        "not a mamori backup",
    );

    // A folder that holds anything is refused, and left as it was.
    std::fs::create_dir_all(&target).expect("folder");
    std::fs::write(target.join("keep.txt"), "mine").expect("write");
    let before = contents(&target);
    assert_clean_failure(
        &restore_into(&file, &target, BACKUP_PASSPHRASE),
        "is not empty",
    );
    assert_eq!(contents(&target), before);

    // A folder without a database is not backed up (nor given an empty one).
    let empty = folder.path().join("empty");
    std::fs::create_dir_all(&empty).expect("folder");
    assert_clean_failure(
        &take_backup(&empty, &backups, &[]),
        "there is no mamori database",
    );
    assert!(!empty.join("mamori.db").exists());

    // A passphrase too short for a new backup.
    let short = mamori_with_passphrase("short")
        .arg("--data-dir")
        .arg(&data_dir)
        .arg("backup")
        .arg("--to")
        .arg(&backups)
        .output()
        .expect("run");
    assert_clean_failure(&short, "at least 12 characters");

    // Leftovers of the staging folder are nowhere.
    let leftovers: Vec<_> = std::fs::read_dir(folder.path())
        .expect("list")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("restoring"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_full_disk_fails_the_backup_and_the_restore_in_one_line_leaving_nothing() {
    let folder = tempfile::tempdir().expect("temp dir");
    let data_dir = initialised(folder.path());
    let good = backup_file(&take_backup(&data_dir, &folder.path().join("backups"), &[]));
    let small = folder.path().join("small");
    std::fs::create_dir_all(&small).expect("folder");
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(&small)
        .status()
        .is_ok_and(|status| status.success());
    if !mounted {
        // Mounting needs root; CI runs as root and must run this.
        assert!(
            std::env::var("CI").is_err(),
            "CI must be able to mount a small tmpfs"
        );
        eprintln!("skipped: cannot mount a tmpfs here (not root)");
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(&small);

    let backups = small.join("backups");
    assert_clean_failure(
        &take_backup(&data_dir, &backups, &[]),
        "cannot write the backup",
    );
    assert_eq!(contents(&backups), Vec::new(), "no partial backup is left");

    let target = small.join("data");
    assert_clean_failure(
        &restore_into(&good, &target, BACKUP_PASSPHRASE),
        "cannot write",
    );
    assert!(!target.exists(), "the target was not created");
    let left: Vec<_> = std::fs::read_dir(&small)
        .expect("list")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name != "backups")
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn backups_to_a_public_key_rotate_and_open_with_the_identity_file() {
    let folder = tempfile::tempdir().expect("temp dir");
    let data_dir = initialised(folder.path());
    let identity = age::x25519::Identity::generate();
    let identity_file = folder.path().join("backup-key.txt");
    use age::secrecy::ExposeSecret;
    std::fs::write(
        &identity_file,
        format!(
            "# mamori backup key\n{}\n",
            identity.to_string().expose_secret()
        ),
    )
    .expect("write");
    let recipient = identity.to_public().to_string();
    let backups = folder.path().join("backups");
    std::fs::create_dir_all(&backups).expect("folder");
    // An old generation, a stranger's file and a file of another name.
    let old = backups.join("mamori-backup-20240101T000000Z.tar.age");
    std::fs::write(&old, "old").expect("write");
    std::fs::write(backups.join("notes.txt"), "mine").expect("write");

    let output = mamori()
        .arg("--data-dir")
        .arg(&data_dir)
        .args(["backup", "--to"])
        .arg(&backups)
        .args(["--recipient", &recipient])
        .args([
            "--keep-daily",
            "1",
            "--keep-weekly",
            "0",
            "--keep-monthly",
            "0",
        ])
        .output()
        .expect("run");
    let file = backup_file(&output);
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("removed an older generation"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(!old.exists(), "the old generation was rotated out");
    assert!(
        backups.join("notes.txt").exists(),
        "other files are left alone"
    );

    // A passphrase does not open it; the identity file does.
    assert_clean_failure(
        &restore_into(&file, &folder.path().join("x"), BACKUP_PASSPHRASE),
        "does not open",
    );
    let restored = folder.path().join("restored");
    let output = mamori()
        .arg("--data-dir")
        .arg(&restored)
        .args(["restore", "--identity"])
        .arg(&identity_file)
        .arg(&file)
        .output()
        .expect("run");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(restored.join("mamori.db").exists(), "the database restored");
    assert!(!restored.join("MANIFEST.sha256").exists());
}

#[tokio::test]
async fn the_server_takes_its_own_backup_on_schedule_and_records_it_in_the_register() {
    let folder = tempfile::tempdir().expect("temp dir");
    let data_dir = initialised(folder.path());
    let identity = age::x25519::Identity::generate();
    let identity_file = folder.path().join("backup-key.txt");
    use age::secrecy::ExposeSecret;
    std::fs::write(&identity_file, identity.to_string().expose_secret()).expect("write");
    let backups = folder.path().join("backups");

    // A bad interval or no key stops the server before it starts, in one line.
    let mut bad = mamori();
    bad.arg("--data-dir")
        .arg(&data_dir)
        .args(["serve", "--listen", "127.0.0.1:0"]);
    bad.arg("--backup-dir")
        .arg(&backups)
        .args(["--backup-every", "1w"]);
    assert_clean_failure(&bad.output().expect("run"), "--backup-every");
    let mut keyless = mamori();
    keyless
        .arg("--data-dir")
        .arg(&data_dir)
        .args(["serve", "--listen", "127.0.0.1:0", "--backup-dir"])
        .arg(&backups)
        .env_remove("MAMORI_BACKUP_PASSPHRASE");
    assert_clean_failure(&keyless.output().expect("run"), "MAMORI_BACKUP_PASSPHRASE");

    let mut serve = mamori();
    serve
        .arg("--data-dir")
        .arg(&data_dir)
        .args(["serve", "--listen", "127.0.0.1:0", "--backup-dir"])
        .arg(&backups)
        .args(["--backup-every", "1h", "--backup-recipient"])
        .arg(identity.to_public().to_string());
    let server = start_server_with(serve);
    let base = format!("http://{}", server.address);

    // The first run comes a few seconds after the start and is recorded.
    let database = data_dir.join("mamori.db");
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&format!("sqlite://{}?mode=ro", database.display()))
        .await
        .expect("open the database");
    let deadline = Instant::now() + Duration::from_secs(60);
    let (ok, file_name): (i64, String) = loop {
        let run: Option<(i64, String)> =
            sqlx::query_as("SELECT ok, file_name FROM backup_runs ORDER BY id LIMIT 1")
                .fetch_optional(&pool)
                .await
                .expect("query");
        if let Some(run) = run {
            break run;
        }
        assert!(
            Instant::now() < deadline,
            "no scheduled backup was recorded"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(ok, 1, "the run succeeded");
    let file = backups.join(&file_name);
    assert!(file.is_file(), "{} exists", file.display());
    let (own, last_success): (i64, Option<String>) =
        sqlx::query_as("SELECT own, last_success FROM backup_plans")
            .fetch_one(&pool)
            .await
            .expect("mamori's own line");
    assert_eq!(own, 1);
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(mamori_web::tokyo())
        .date()
        .to_string();
    assert_eq!(last_success.as_deref(), Some(today.as_str()));
    let events: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'backup.run'")
            .fetch_one(&pool)
            .await
            .expect("count");
    assert_eq!(events, 1, "the run is in the audit trail");
    pool.close().await;

    // The file is a real backup: every sum checks with the identity.
    let verified = mamori()
        .args(["backup", "--verify"])
        .arg(&file)
        .arg("--identity")
        .arg(&identity_file)
        .output()
        .expect("run");
    assert!(verified.status.success(), "{}", stderr(&verified));

    // mamori's line shows in the register, with its run.
    let client = client();
    let status = submit(
        &client,
        &base,
        "/login",
        "/login",
        &[("login_id", "admin"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::SEE_OTHER);
    let register = client
        .get(format!("{base}/ledger/backups"))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    assert!(register.contains("mamori (mamori 自身)"), "{register}");
    drop(server);
}

/// The store's portable export of the database at `url`: the same text
/// whichever backend holds it.
async fn portable_export(url: &str) -> String {
    let store = mamori_store::Store::connect(url).await.expect("open");
    let mut out = Vec::new();
    mamori_store::portable::export(&store, &mut out)
        .await
        .expect("export");
    store.close().await;
    String::from_utf8(out).expect("UTF-8")
}

/// Signs `login_id` in on the server at `base` (and fails once first, so
/// that the trail grows); returns the status of the good attempt.
async fn sign_in_after_a_failure(
    base: &str,
    institution: &str,
    login_id: &str,
) -> reqwest::StatusCode {
    let client = client();
    let refused = submit(
        &client,
        base,
        "/login",
        "/login",
        &[
            ("institution", institution),
            ("login_id", login_id),
            ("password", "not the password"),
        ],
    )
    .await;
    assert_eq!(refused, reqwest::StatusCode::UNAUTHORIZED);
    submit(
        &client,
        base,
        "/login",
        "/login",
        &[
            ("institution", institution),
            ("login_id", login_id),
            ("password", PASSWORD),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_to_postgresql_and_back_keeps_every_record_and_the_trail() {
    let postgres = TestDatabase::create().await;
    if !postgres.is_postgres() {
        eprintln!("skipped here: the PostgreSQL pass (TEST_DATABASE_URL) runs this");
        return;
    }
    let folder = tempfile::tempdir().expect("temp dir");
    let data_dir = initialised(folder.path());
    let sqlite_url = format!("sqlite://{}?mode=ro", data_dir.join("mamori.db").display());
    // A second institution, and sign-ins (sessions, audit events) on SQLite.
    let mut create = mamori();
    create.arg("--data-dir").arg(&data_dir);
    let output = institution_args(
        create.args(["institution", "create", "--code", "second"]),
        "second-admin",
        "hospital",
    )
    .args(["--bed-count", "120"])
    .output()
    .expect("run");
    assert!(output.status.success(), "{}", stderr(&output));
    {
        let server = start_server(&data_dir);
        let base = format!("http://{}", server.address);
        let status = sign_in_after_a_failure(&base, "m0001", "admin").await;
        assert_eq!(status, reqwest::StatusCode::SEE_OTHER);
    }
    let from_sqlite = portable_export(&sqlite_url).await;
    let backup = backup_file(&take_backup(&data_dir, &folder.path().join("b1"), &[]));

    // SQLite → PostgreSQL: the same export, the trail verifies, sign-in works
    // and new rows get new ids (the sequences continue after the moved rows).
    let pg_data = folder.path().join("pg-data");
    let output = mamori_with_passphrase(BACKUP_PASSPHRASE)
        .arg("--data-dir")
        .arg(&pg_data)
        .args(["--database-url", postgres.url()])
        .arg("restore")
        .arg(&backup)
        .output()
        .expect("run");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("audit trail: ok"));
    assert!(
        !pg_data.join("mamori.db").exists(),
        "the data went to PostgreSQL"
    );
    assert_eq!(portable_export(postgres.url()).await, from_sqlite);
    {
        let mut serve = mamori();
        serve
            .arg("--data-dir")
            .arg(&pg_data)
            .args(["--database-url", postgres.url()])
            .args(["serve", "--listen", "127.0.0.1:0"]);
        let server = start_server_with(serve);
        let base = format!("http://{}", server.address);
        let status = sign_in_after_a_failure(&base, "m0001", "admin").await;
        assert_eq!(
            status,
            reqwest::StatusCode::SEE_OTHER,
            "signed in on PostgreSQL"
        );
    }
    let on_postgres = portable_export(postgres.url()).await;
    assert_ne!(
        on_postgres, from_sqlite,
        "PostgreSQL recorded the new sign-ins"
    );

    // A second restore into the same database is refused, changing nothing.
    let output = mamori_with_passphrase(BACKUP_PASSPHRASE)
        .arg("--data-dir")
        .arg(folder.path().join("pg-data-2"))
        .args(["--database-url", postgres.url()])
        .arg("restore")
        .arg(&backup)
        .output()
        .expect("run");
    assert_clean_failure(&output, "already holds mamori data");
    assert!(!folder.path().join("pg-data-2").exists());
    assert_eq!(portable_export(postgres.url()).await, on_postgres);

    // PostgreSQL → SQLite: a logical backup through the store, restored into
    // a new data folder's SQLite file.
    let output = mamori_with_passphrase(BACKUP_PASSPHRASE)
        .arg("--data-dir")
        .arg(&pg_data)
        .args(["--database-url", postgres.url()])
        .arg("backup")
        .arg("--to")
        .arg(folder.path().join("b2"))
        .output()
        .expect("run");
    let from_postgres = backup_file(&output);
    let back = folder.path().join("back");
    let output = restore_into(&from_postgres, &back, BACKUP_PASSPHRASE);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("audit trail: ok"));
    let back_url = format!("sqlite://{}?mode=ro", back.join("mamori.db").display());
    assert_eq!(portable_export(&back_url).await, on_postgres);
    let server = start_server(&back);
    let base = format!("http://{}", server.address);
    assert_eq!(
        sign_in_after_a_failure(&base, "second", "second-admin").await,
        reqwest::StatusCode::SEE_OTHER,
        "signed in on SQLite again"
    );
}

impl Trail {
    /// `mamori logs import` of `file` for a source of an institution.
    /// `logs add-source` of `institution`'s source `name` of `kind`, with
    /// `more` options.
    fn add_log_source(&self, institution: &str, name: &str, kind: &str, more: &[&str]) -> Output {
        let mut args = vec![
            "logs",
            "add-source",
            "--institution",
            institution,
            "--name",
            name,
            "--kind",
            kind,
        ];
        args.extend_from_slice(more);
        self.run(&args)
    }

    fn import_log(&self, institution: &str, source: &str, file: &Path) -> Output {
        self.run(&[
            "logs",
            "import",
            "--institution",
            institution,
            "--source",
            source,
            file.to_str().expect("a UTF-8 path"),
        ])
    }
}

/// The institutions' ids, as `institution list` prints them (first column).
fn institution_ids(trail: &Trail) -> Vec<String> {
    let list = trail.run(&["institution", "list"]);
    assert!(list.status.success(), "{}", stderr(&list));
    String::from_utf8_lossy(&list.stdout)
        .lines()
        .filter_map(|line| line.split('\t').next().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn an_exported_log_is_imported_once_kept_tamper_evident_and_verified() {
    let trail = Trail::new().await;
    let ids = institution_ids(&trail);
    let (clinic, other) = (ids[0].as_str(), ids[1].as_str());

    // A source is checked field by field; nothing is stored on refusal.
    let refused = trail.add_log_source(clinic, "RTX1210", "netflow", &["--time-zone", "Mars/Base"]);
    assert_clean_failure(&refused, "kind");
    assert!(
        stderr(&refused).contains("time_zone"),
        "{}",
        stderr(&refused)
    );
    let silent = trail.add_log_source(clinic, "RTX1210", "syslog", &["--silent-hours", "0"]);
    assert_clean_failure(&silent, "silent_hours");
    let added = trail.add_log_source(clinic, "RTX1210", "syslog", &[]);
    assert!(added.status.success(), "{}", stderr(&added));
    let again = trail.add_log_source(clinic, "RTX1210", "syslog", &[]);
    assert_clean_failure(&again, "already has a log source named");

    // An exported file: two lines a parser knows, garbage, invalid UTF-8, and
    // a line far longer than an entry holds. Every line is kept.
    let mut file = Vec::new();
    file.extend_from_slice(b"<86>Dec  6 08:41:02 srv1 sshd[811]: Failed password for invalid user admin from 203.0.113.9 port 51022 ssh2\n");
    file.extend_from_slice(b"<86>Dec  6 08:41:09 srv1 sshd[811]: Accepted password for hanako from 192.0.2.10 port 50000 ssh2\n");
    file.extend_from_slice(b"\x00\x01\x02 binary garbage \xff\xfe\n");
    file.extend_from_slice(&[b'x'; 100_000]);
    file.extend_from_slice(
        b"\n\n<13>Dec  6 08:42:00 srv1 cron[1]: (root) CMD (run-parts /etc/cron.hourly)\n",
    );
    let export = trail.data_dir.parent().expect("folder").join("auth.log");
    std::fs::write(&export, &file).expect("write the export");
    let export_arg = export.to_str().expect("utf-8 path");

    let unknown = trail.import_log(clinic, "nope", &export);
    assert_clean_failure(&unknown, "no log source named");

    let imported = trail.import_log(clinic, "RTX1210", &export);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let said = String::from_utf8_lossy(&imported.stdout);
    assert!(said.contains("imported 5 events"), "{said}");
    assert!(said.contains("entries 0..5"), "{said}");
    assert!(said.contains("3 not understood"), "{said}");

    let twice = trail.import_log(clinic, "RTX1210", &export);
    assert!(twice.status.success(), "{}", stderr(&twice));
    assert!(String::from_utf8_lossy(&twice.stdout).contains("nothing added"));

    let verified = trail.run(&["logs", "verify", "--institution", clinic]);
    assert!(verified.status.success(), "{}", stderr(&verified));
    assert!(
        String::from_utf8_lossy(&verified.stdout).starts_with("ok: 5 entries"),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
    // The other institution has no log of its own: nothing of the clinic's shows there.
    assert_clean_failure(
        &trail.run(&["logs", "verify", "--institution", other]),
        "no checkpoint",
    );

    // The index: the failed sign-in is searchable by user, with its address and time.
    let store = mamori_store::Store::open(&trail.url)
        .await
        .expect("open the store");
    let institution =
        mamori_domain::institution::InstitutionId::from_db(clinic.parse().expect("numeric id"));
    let rows = mamori_store::access_log::events_of_user(
        &store,
        institution,
        "admin",
        "2026-01-01T00:00:00Z".parse().expect("time"),
        "2027-12-31T00:00:00Z".parse().expect("time"),
        10,
    )
    .await
    .expect("search");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].seq, 0);
    assert_eq!(rows[0].outcome, "failure");
    assert_eq!(rows[0].source_address.as_deref(), Some("203.0.113.9"));
    assert_eq!(
        rows[0].occurred_at.to_string()[11..19].to_owned(),
        "23:41:02"
    );
    assert_eq!(
        mamori_store::access_log::indexed_size(&store, institution)
            .await
            .expect("size"),
        5
    );
    store.close().await;

    // The entry keeps the raw line; the long one is cut and its length noted.
    let log = trail.data_dir.join("access-logs").join(clinic);
    let bundle_path = log.join("tile/entries/000.p/5");
    let bundle = std::fs::read(&bundle_path).expect("the partial bundle");
    let text = String::from_utf8_lossy(&bundle);
    assert!(text.contains("Failed password for invalid user admin"));
    assert!(
        text.contains("\"raw_bytes\":100000"),
        "the long line is marked as cut"
    );
    assert!(text.contains("\"sha256\":\""));

    // Tampering: one byte of the accepted sign-in (entry 1) changed.
    let at = text.find("Accepted password").expect("entry 1");
    let mut edited = bundle.clone();
    edited[at] = b'a';
    std::fs::write(&bundle_path, &edited).expect("edit");
    assert_clean_failure(
        &trail.run(&["logs", "verify", "--institution", clinic]),
        "entry 1 does not match",
    );
    // Put back, and with the audit trail intact.
    std::fs::write(&bundle_path, &bundle).expect("restore");
    assert!(
        trail
            .run(&["logs", "verify", "--institution", clinic])
            .status
            .success()
    );
    let audit = trail.run(&["audit", "verify"]);
    assert!(audit.status.success(), "{}", stderr(&audit));
    let key = trail.run(&["logs", "public-key"]);
    assert!(String::from_utf8_lossy(&key.stdout).starts_with("mamori-access-log+"));

    // An import interrupted after the log was written but before its index
    // was committed (simulated by removing the index): the next import
    // indexes those entries from the log first, finds the file among them,
    // and adds nothing twice.
    {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&trail.url).await.expect("connect");
        for table in ["log_events", "log_imports"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE institution_id = {clinic}"
            )))
            .execute(&pool)
            .await
            .expect("remove the index");
        }
        pool.close().await;
    }
    let recovered = trail.import_log(clinic, "RTX1210", &export);
    assert!(recovered.status.success(), "{}", stderr(&recovered));
    assert!(
        String::from_utf8_lossy(&recovered.stdout).contains("nothing added"),
        "{}",
        String::from_utf8_lossy(&recovered.stdout)
    );
    let store = mamori_store::Store::open(&trail.url)
        .await
        .expect("open the store");
    assert_eq!(
        mamori_store::access_log::indexed_size(&store, institution)
            .await
            .expect("size"),
        5
    );
    store.close().await;
    let second = trail.data_dir.parent().expect("folder").join("auth.log.1");
    std::fs::write(&second, b"<86>Dec  6 09:00:00 srv1 sshd[9]: Failed password for root from 198.51.100.1 port 1 ssh2\n").expect("write");
    let next = trail.import_log(clinic, "RTX1210", &second);
    assert!(
        String::from_utf8_lossy(&next.stdout).contains("entries 5..6"),
        "{}{}",
        String::from_utf8_lossy(&next.stdout),
        stderr(&next)
    );

    // A backup holds the logs with their key; restored (into SQLite, whatever
    // the backend), the log verifies and the index still knows the file.
    let backups = trail.data_dir.parent().expect("folder").join("backups");
    let backup = trail
        .command()
        .env("MAMORI_BACKUP_PASSPHRASE", BACKUP_PASSPHRASE)
        .arg("backup")
        .arg("--to")
        .arg(&backups)
        .output()
        .expect("run");
    let file = backup_file(&backup);
    let restored = trail.data_dir.parent().expect("folder").join("restored");
    let output = restore_into(&file, &restored, BACKUP_PASSPHRASE);
    assert!(output.status.success(), "{}", stderr(&output));
    let in_restored = |args: &[&str]| {
        mamori()
            .arg("--data-dir")
            .arg(&restored)
            .args(args)
            .output()
            .expect("run")
    };
    let verified = in_restored(&["logs", "verify", "--institution", clinic]);
    assert!(verified.status.success(), "{}", stderr(&verified));
    assert!(String::from_utf8_lossy(&verified.stdout).starts_with("ok: 6 entries"));
    let twice = in_restored(&[
        "logs",
        "import",
        "--institution",
        clinic,
        "--source",
        "RTX1210",
        export_arg,
    ]);
    assert!(twice.status.success(), "{}", stderr(&twice));
    assert!(String::from_utf8_lossy(&twice.stdout).contains("nothing added"));
}

/// Starts `command` (a `serve`) and returns it with the log lines it wrote
/// before its "listening on" line (where the receivers say their ports).
fn start_server_saying(mut command: Command) -> (Server, Vec<String>) {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let log = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(log).lines();
    let mut said = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if let Some((_, address)) = line.split_once("listening on http://") {
            let address = address.trim().to_owned();
            let said_later = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let keep = said_later.clone();
            std::thread::spawn(move || {
                for line in lines.by_ref().map_while(Result::ok) {
                    if let Ok(mut kept) = keep.lock() {
                        kept.push(line);
                    }
                }
            });
            return (
                Server {
                    child,
                    address,
                    said_later,
                },
                said,
            );
        }
        said.push(line);
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server did not say where it listens: {said:?}");
}

/// An institution's access-log index, searched by user over all time.
struct LogIndex {
    store: mamori_store::Store,
    institution: mamori_domain::institution::InstitutionId,
}

impl LogIndex {
    /// The index, once it has caught up with what the institution's log
    /// holds (the index follows the log; 20 s at most).
    async fn open(trail: &Trail, institution: &str) -> Self {
        let index = Self {
            store: mamori_store::Store::open(&trail.url)
                .await
                .expect("open the store"),
            institution: mamori_domain::institution::InstitutionId::from_db(
                institution.parse().expect("numeric id"),
            ),
        };
        let logged = mamori::access_logs::log_size(&trail.data_dir, index.institution)
            .expect("the log's size");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let indexed = mamori_store::access_log::indexed_size(&index.store, index.institution)
                .await
                .expect("the index's size");
            if indexed >= logged {
                return index;
            }
            assert!(
                Instant::now() < deadline,
                "the index holds {indexed} of the log's {logged} entries after 20 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The user's events (at most 10), newest first.
    async fn of(&self, user: &str) -> Vec<mamori_store::access_log::IndexRow> {
        mamori_store::access_log::events_of_user(
            &self.store,
            self.institution,
            user,
            "2000-01-01T00:00:00Z".parse().expect("time"),
            "2100-01-01T00:00:00Z".parse().expect("time"),
            10,
        )
        .await
        .expect("search")
    }

    async fn close(self) {
        self.store.close().await;
    }
}

/// Runs rsyslogd (from Debian) reading `file` with imfile and forwarding it
/// with `action`, until `logs verify` proves `entries` entries in the
/// institution's access log (30 s at most); rsyslogd is stopped after.
fn forward_with_rsyslog(
    trail: &Trail,
    institution: &str,
    work: &Path,
    file: &Path,
    action: &str,
    entries: usize,
) {
    let config = work.join("rsyslog.conf");
    std::fs::write(
        &config,
        format!(
            "global(workDirectory=\"{dir}\")\n\
             module(load=\"imfile\" mode=\"polling\" PollingInterval=\"1\")\n\
             {relp}\
             input(type=\"imfile\" File=\"{file}\" Tag=\"sshd\" Facility=\"auth\" ruleset=\"forward\")\n\
             ruleset(name=\"forward\") {{\n{action}\n}}\n",
            dir = work.display(),
            file = file.display(),
            relp = if action.contains("omrelp") {
                "module(load=\"omrelp\")\n"
            } else {
                ""
            },
        ),
    )
    .expect("write the rsyslog configuration");
    let mut rsyslog = Command::new("rsyslogd")
        .arg("-n")
        .arg("-f")
        .arg(&config)
        .arg("-i")
        .arg(work.join("rsyslogd.pid"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start rsyslogd");
    let expected = format!("ok: {entries} entries");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut said = String::new();
    while Instant::now() < deadline {
        let verified = trail.run(&["logs", "verify", "--institution", institution]);
        said = String::from_utf8_lossy(&verified.stdout).into_owned();
        if said.starts_with(&expected) {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let _ = rsyslog.kill();
    let rsyslog_said = rsyslog
        .wait_with_output()
        .map(|output| stderr(&output))
        .unwrap_or_default();
    assert!(
        said.starts_with(&expected),
        "{said} / rsyslogd: {rsyslog_said}"
    );
}

/// Registers the syslog source `srv1` of `institution`, sending from
/// `senders` (none: files only).
fn add_syslog_source(trail: &Trail, institution: &str, senders: &str) {
    let added = trail.add_log_source(institution, "srv1", "syslog", &["--senders", senders]);
    assert!(added.status.success(), "{}", stderr(&added));
}

/// Waits (15 s at most) until `logs verify` proves `n` entries in the
/// institution's access log.
fn wait_for_entries(trail: &Trail, institution: &str, n: usize) {
    let expected = format!("ok: {n} entries");
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut last = String::new();
    while Instant::now() < deadline {
        let verified = trail.run(&["logs", "verify", "--institution", institution]);
        last = format!(
            "{}{}",
            String::from_utf8_lossy(&verified.stdout),
            stderr(&verified)
        );
        if verified.status.success() && last.starts_with(&expected) {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("expected {expected:?}, got {last}");
}

/// The port after `marker` in the server's start-up lines.
fn port_after(said: &[String], marker: &str) -> String {
    said.iter()
        .find_map(|line| {
            line.split_once(marker)
                .map(|(_, rest)| rest.trim().to_owned())
        })
        .and_then(|address| address.rsplit(':').next().map(str::to_owned))
        .unwrap_or_else(|| panic!("no {marker:?} in {said:?}"))
}

#[tokio::test]
async fn syslog_sent_by_logger_over_udp_and_tcp_lands_in_the_senders_log_and_strangers_apart() {
    let trail = Trail::new().await;
    let ids = institution_ids(&trail);
    let clinic = ids[0].clone();
    add_syslog_source(&trail, &clinic, "127.0.0.1");

    let mut serve = trail.command();
    serve.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--syslog-udp",
        "127.0.0.1:0",
        "--syslog-tcp",
        "127.0.0.1:0",
    ]);
    let (server, said) = start_server_saying(serve);
    let udp = port_after(&said, "syslog receiver (UDP) on ");
    let tcp = port_after(&said, "syslog receiver (TCP) on ");

    // util-linux logger: RFC 3164 over UDP, RFC 5424 over TCP with octet counting.
    let sent = Command::new("logger")
        .args([
            "--server",
            "127.0.0.1",
            "--port",
            &udp,
            "--udp",
            "--rfc3164",
            "-t",
            "sshd",
        ])
        .arg("Failed password for invalid user admin from 203.0.113.9 port 51022 ssh2")
        .status()
        .expect("run logger");
    assert!(sent.success());
    let sent = Command::new("logger")
        .args([
            "--server",
            "127.0.0.1",
            "--port",
            &tcp,
            "--tcp",
            "--octet-count",
            "--rfc5424",
        ])
        .args(["-t", "sshd"])
        .arg("Accepted password for hanako from 192.0.2.10 port 50000 ssh2")
        .status()
        .expect("run logger");
    assert!(sent.success());
    // A stranger (another loopback address no source lists), and binary garbage.
    let stranger = std::net::UdpSocket::bind("127.0.0.2:0").expect("bind 127.0.0.2");
    stranger
        .send_to(
            b"<13>Dec  6 09:00:00 evil sshd[1]: not yours",
            format!("127.0.0.1:{udp}"),
        )
        .expect("send");
    let friend = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    friend
        .send_to(b"\x00\xff\xfe garbage \x01", format!("127.0.0.1:{udp}"))
        .expect("send");

    // The batch is written within a fraction of a second; poll the proof.
    wait_for_entries(&trail, &clinic, 3);

    let index = LogIndex::open(&trail, &clinic).await;
    let admin = index.of("admin").await;
    assert_eq!(admin.len(), 1, "{admin:?}");
    assert_eq!(admin[0].outcome, "failure");
    assert_eq!(admin[0].source_address.as_deref(), Some("203.0.113.9"));
    let hanako = index.of("hanako").await;
    assert_eq!(hanako.len(), 1, "{hanako:?}");
    assert_eq!(hanako[0].outcome, "success");
    index.close().await;

    // The stranger's line is kept in the unassigned log, not the clinic's.
    let clinic_bundle = trail
        .data_dir
        .join("access-logs")
        .join(&clinic)
        .join("tile/entries/000.p/3");
    let clinic_log =
        String::from_utf8_lossy(&std::fs::read(clinic_bundle).expect("the clinic's bundle"))
            .into_owned();
    assert!(!clinic_log.contains("not yours"));
    assert!(clinic_log.contains("\"via\":\"syslog-tcp\""));
    let deadline = Instant::now() + Duration::from_secs(10);
    let unassigned = trail
        .data_dir
        .join("access-logs/unassigned/tile/entries/000.p/1");
    while !unassigned.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let strangers =
        String::from_utf8_lossy(&std::fs::read(&unassigned).expect("the unassigned log"))
            .into_owned();
    assert!(strangers.contains("not yours") && strangers.contains("127.0.0.2"));
    // The operator lists who sends without being registered.
    let listed = trail.run(&["logs", "unassigned"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.starts_with("127.0.0.2\t1 lines\tfirst 20"),
        "{listed}"
    );
    // Stopped as systemd stops it, the server writes what the receivers
    // counted to its log.
    let said = server.stop_gracefully().join("\n");
    assert!(said.contains("syslog receivers since start"), "{said}");
    assert!(said.contains("unassigned=1"), "{said}");
}

#[tokio::test]
async fn an_ehr_export_is_previewed_with_its_mapping_and_a_file_without_its_columns_stores_nothing()
{
    let trail = Trail::new().await;
    let ids = institution_ids(&trail);
    let clinic = ids[0].clone();
    // A mapping with a key mamori does not know is refused, naming it.
    assert_clean_failure(
        &trail.add_log_source(
            &clinic,
            "電子カルテ",
            "ehr_csv",
            &["--mapping", "time=日時,user=利用者ID,colour=red"],
        ),
        "colour",
    );
    let added = trail.add_log_source(
        &clinic,
        "電子カルテ",
        "ehr_csv",
        &[
            "--mapping",
            "time=日時,user=利用者ID,patient_id=患者ID,action=操作",
        ],
    );
    assert!(added.status.success(), "{}", stderr(&added));
    let folder = trail.data_dir.parent().expect("folder").to_path_buf();
    let good = folder.join("audit.csv");
    std::fs::write(
        &good,
        "日時,利用者ID,患者ID,操作\n2026-12-01 09:00:00,dr-sato,P00001,参照\n令和8年12月1日 9:05,dr-sato,P00002,更新\n",
    )
    .expect("write");
    let preview = trail.run(&[
        "logs",
        "preview",
        "--institution",
        &clinic,
        "--source",
        "電子カルテ",
        good.to_str().expect("utf-8"),
    ]);
    assert!(preview.status.success(), "{}", stderr(&preview));
    let said = String::from_utf8_lossy(&preview.stdout);
    assert!(said.contains("rows: 2"), "{said}");
    assert!(
        said.contains("user=dr-sato") && said.contains("patient=P00002"),
        "{said}"
    );
    assert!(
        said.contains("2026-12-01T00:05:00Z"),
        "令和 read in Japan time: {said}"
    );
    // Previewing stored nothing.
    assert_clean_failure(
        &trail.run(&["logs", "verify", "--institution", &clinic]),
        "no access log has been kept here yet",
    );
    let wrong = folder.join("other.csv");
    std::fs::write(&wrong, "date,who\n2026-12-01,x\n").expect("write");
    let refused = trail.import_log(&clinic, "電子カルテ", &wrong);
    assert_clean_failure(&refused, "nothing was stored");
    assert!(stderr(&refused).contains("日時"), "{}", stderr(&refused));
    let imported = trail.import_log(&clinic, "電子カルテ", &good);
    assert!(imported.status.success(), "{}", stderr(&imported));
    assert!(String::from_utf8_lossy(&imported.stdout).contains("entries 0..2"));
}

/// Sends `messages` over TLS to `port`, octet-counted (RFC 5425), trusting
/// `certificate` — with Python's ssl module, a client mamori did not write.
fn send_over_tls(certificate: &std::path::Path, port: &str, messages: &[&str]) {
    let script = [
        "import socket, ssl, sys",
        "ctx = ssl.create_default_context(cafile=sys.argv[1])",
        "with socket.create_connection(('127.0.0.1', int(sys.argv[2]))) as raw:",
        "    with ctx.wrap_socket(raw, server_hostname='localhost') as s:",
        "        for m in sys.argv[3:]:",
        "            b = m.encode()",
        "            s.sendall(str(len(b)).encode() + b' ' + b)",
        // A clean TLS close (close_notify), as RFC 5425 asks of a sender.
        "        s.unwrap()",
    ]
    .join("\n");
    let sent = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(certificate)
        .arg(port)
        .args(messages)
        .output()
        .expect("run python3");
    assert!(sent.status.success(), "{}", stderr(&sent));
}

#[tokio::test]
async fn syslog_over_tls_and_rsyslog_forwarding_a_file_over_tcp_land_in_the_senders_log() {
    let trail = Trail::new().await;
    let clinic = institution_ids(&trail)[0].clone();
    add_syslog_source(&trail, &clinic, "127.0.0.1");
    let work = tempfile::tempdir().expect("a work folder");
    let (certificate, key) = (work.path().join("cert.pem"), work.path().join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&certificate)
        .output()
        .expect("run openssl");
    assert!(made.status.success(), "{}", stderr(&made));

    // A key that is not a key stops the start, naming the option.
    let garbage = work.path().join("garbage.pem");
    std::fs::write(&garbage, "not a key").expect("write");
    let refused = trail.run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--syslog-tls",
        "127.0.0.1:0",
        "--syslog-tls-cert",
        &certificate.display().to_string(),
        "--syslog-tls-key",
        &garbage.display().to_string(),
    ]);
    assert_clean_failure(&refused, "--syslog-tls-key");

    let mut serve = trail.command();
    serve.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--syslog-tcp",
        "127.0.0.1:0",
    ]);
    serve.args(["--syslog-tls", "127.0.0.1:0", "--syslog-tls-cert"]);
    serve.arg(&certificate).arg("--syslog-tls-key").arg(&key);
    let (_server, said) = start_server_saying(serve);
    let tcp = port_after(&said, "syslog receiver (TCP) on ");
    let tls = port_after(&said, "syslog receiver (TLS) on ");

    send_over_tls(
        &certificate,
        &tls,
        &[
            "<86>1 2026-11-20T09:00:00+09:00 srv1 sshd 811 - - Accepted password for hanako from 192.0.2.10 port 50000 ssh2",
            "<86>1 2026-11-20T09:01:00+09:00 srv1 sshd 811 - - Failed password for root from 203.0.113.7 port 4000 ssh2",
        ],
    );
    wait_for_entries(&trail, &clinic, 2);

    // rsyslog reads a file and forwards it over TCP with octet framing.
    let auth_log = work.path().join("auth.log");
    std::fs::write(
        &auth_log,
        "Failed password for invalid user oracle from 198.51.100.4 port 5100 ssh2\n\
         Failed password for invalid user oracle from 198.51.100.4 port 5101 ssh2\n",
    )
    .expect("write the file");
    forward_with_rsyslog(
        &trail,
        &clinic,
        work.path(),
        &auth_log,
        &format!(
            "action(type=\"omfwd\" target=\"127.0.0.1\" port=\"{tcp}\" protocol=\"tcp\" \
             TCP_Framing=\"octet-counted\" template=\"RSYSLOG_SyslogProtocol23Format\")"
        ),
        4,
    );

    let index = LogIndex::open(&trail, &clinic).await;
    let root = index.of("root").await;
    assert_eq!(root.len(), 1, "{root:?}");
    assert_eq!(root[0].source_address.as_deref(), Some("203.0.113.7"));
    let oracle = index.of("oracle").await;
    assert_eq!(oracle.len(), 2, "{oracle:?}");
    assert!(oracle.iter().all(|event| event.outcome == "failure"));
    index.close().await;
    let bundle = std::fs::read(
        trail
            .data_dir
            .join("access-logs")
            .join(&clinic)
            .join("tile/entries/000.p/4"),
    )
    .expect("the clinic's bundle");
    let bundle = String::from_utf8_lossy(&bundle);
    assert!(bundle.contains("\"via\":\"syslog-tls\""), "{bundle}");
    assert!(bundle.contains("\"via\":\"syslog-tcp\""), "{bundle}");
}

#[tokio::test]
async fn bundles_past_retention_move_to_an_archive_and_what_remains_still_verifies() {
    let trail = Trail::new().await;
    let clinic = institution_ids(&trail)[0].clone();
    add_syslog_source(&trail, &clinic, "");
    // 300 failures in 2019 (past 5 years), then 10 this week.
    let mut lines = String::new();
    for n in 0..300 {
        lines.push_str(&format!(
            "<86>1 2019-05-01T09:{:02}:{:02}+09:00 srv1 sshd 1 - - Failed password for old{n} from 192.0.2.1 port 1 ssh2\n",
            n / 60,
            n % 60
        ));
    }
    let recent = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24);
    for n in 0..10 {
        lines.push_str(&format!(
            "<86>1 {} srv1 sshd 1 - - Failed password for new{n} from 192.0.2.1 port 1 ssh2\n",
            recent.strftime("%Y-%m-%dT%H:%M:%SZ")
        ));
    }
    let work = tempfile::tempdir().expect("a work folder");
    let file = work.path().join("auth.log");
    std::fs::write(&file, lines).expect("write");
    let imported = trail.run(&[
        "logs",
        "import",
        "--institution",
        &clinic,
        "--source",
        "srv1",
        &file.display().to_string(),
    ]);
    assert!(imported.status.success(), "{}", stderr(&imported));

    let archive = work.path().join("archive");
    let moved = trail.run(&[
        "logs",
        "archive",
        "--institution",
        &clinic,
        "--to",
        &archive.display().to_string(),
    ]);
    assert!(moved.status.success(), "{}", stderr(&moved));
    let said = String::from_utf8_lossy(&moved.stdout).into_owned();
    assert!(said.starts_with("moved 1 bundles (256 entries)"), "{said}");
    let log_dir = trail.data_dir.join("access-logs").join(&clinic);
    assert!(!log_dir.join("tile/entries/000").exists());
    assert!(archive.join("tile/entries/000").exists());
    // The second bundle holds old and recent events: it stays.
    let again = trail.run(&[
        "logs",
        "archive",
        "--institution",
        &clinic,
        "--to",
        &archive.display().to_string(),
    ]);
    assert!(
        String::from_utf8_lossy(&again.stdout).starts_with("moved 0 bundles"),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );

    // What remains verifies; with the archive, everything does.
    let verified = trail.run(&["logs", "verify", "--institution", &clinic]);
    let said = String::from_utf8_lossy(&verified.stdout).into_owned();
    assert!(verified.status.success(), "{}", stderr(&verified));
    assert!(
        said.starts_with("ok: 310 entries") && said.contains("archived"),
        "{said}"
    );
    let verified = trail.run(&[
        "logs",
        "verify",
        "--institution",
        &clinic,
        "--archive",
        &archive.display().to_string(),
    ]);
    let said = String::from_utf8_lossy(&verified.stdout).into_owned();
    assert!(verified.status.success(), "{}", stderr(&verified));
    assert!(!said.contains("archived"), "{said}");
    // An archived bundle changed afterwards is caught.
    let bundle = archive.join("tile/entries/000");
    let mut bytes = std::fs::read(&bundle).expect("read");
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    std::fs::write(&bundle, bytes).expect("write");
    let tampered = trail.run(&[
        "logs",
        "verify",
        "--institution",
        &clinic,
        "--archive",
        &archive.display().to_string(),
    ]);
    assert_eq!(tampered.status.code(), Some(1), "{}", stderr(&tampered));

    // The moved events left the search; the recent ones are there.
    let index = LogIndex::open(&trail, &clinic).await;
    for (user, expected) in [("old0", 0), ("old255", 0), ("old256", 1), ("new9", 1)] {
        assert_eq!(index.of(user).await.len(), expected, "{user}");
    }
    index.close().await;
}

/// A RELP sender written for the test: opens a session on `port`, sends
/// `lines` pipelined, and reads the server's answers until `answered` of
/// them said `200 OK` or `until` returns true; returns the lines answered
/// `200 OK` (they alone were promised to be kept) and the connection.
fn relp_send(
    port: &str,
    lines: Vec<String>,
    mut until: impl FnMut(usize) -> bool,
) -> (Vec<String>, std::net::TcpStream) {
    use mamori_domain::access_log::relp::RelpDecoder;
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let offers = "relp_version=0\nrelp_software=mamori-test\ncommands=syslog";
    writeln!(stream, "1 open {} {offers}", offers.len()).expect("open");
    let mut sender = stream.try_clone().expect("a second handle");
    let frames: Vec<u8> = lines
        .iter()
        .zip(2u32..)
        .flat_map(|(line, txnr)| format!("{txnr} syslog {} {line}\n", line.len()).into_bytes())
        .collect();
    // Sent from a thread: the server answers while the rest is on its way.
    let writing = std::thread::spawn(move || {
        let _ = sender.write_all(&frames);
    });
    let mut decoder = RelpDecoder::new(1 << 20);
    let mut answered = Vec::new();
    let mut opened = false;
    let mut buffer = [0u8; 8192];
    'reading: while !until(answered.len()) {
        let read = match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        for frame in decoder.push(&buffer[..read]).expect("RELP answers") {
            if frame.command == "serverclose" {
                break 'reading;
            }
            assert_eq!(frame.command, "rsp", "{frame:?}");
            let text = String::from_utf8_lossy(&frame.data).into_owned();
            if frame.txnr == 1 {
                assert!(
                    text.starts_with("200 OK\n") && text.contains("commands=syslog"),
                    "{text}"
                );
                opened = true;
            } else if text == "200 OK" {
                answered.push(lines[frame.txnr as usize - 2].clone());
            } else {
                panic!("message {} answered {text:?}", frame.txnr);
            }
            if until(answered.len()) {
                break 'reading;
            }
        }
    }
    assert!(opened, "the session was never opened");
    drop(writing);
    (answered, stream)
}

#[tokio::test]
async fn relp_messages_are_answered_once_written_so_a_killed_server_loses_none_it_answered() {
    let trail = Trail::new().await;
    let clinic = institution_ids(&trail)[0].clone();
    add_syslog_source(&trail, &clinic, "127.0.0.1");
    let relp_serve = |trail: &Trail| {
        let mut serve = trail.command();
        serve.args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--syslog-relp",
            "127.0.0.1:0",
        ]);
        let (server, said) = start_server_saying(serve);
        let port = port_after(&said, "syslog receiver (RELP) on ");
        (server, port)
    };
    let message = |who: &str, n: usize| {
        format!(
            "<86>1 2026-11-20T09:00:00+09:00 srv1 sshd 1 - - Failed password for {who}{n} from 192.0.2.1 port 1 ssh2"
        )
    };

    // 5,000 messages pipelined; the server is killed (SIGKILL: no shutdown
    // at all) as soon as 1,000 have been answered.
    let (mut server, port) = relp_serve(&trail);
    let lines: Vec<String> = (0..5_000).map(|n| message("relp", n)).collect();
    let (answered, _connection) = relp_send(&port, lines, |answered| {
        if answered >= 1_000 {
            let _ = server.child.kill();
            true
        } else {
            false
        }
    });
    let _ = server.child.wait();
    drop(server);
    assert!(answered.len() >= 1_000, "{}", answered.len());

    // The log the killed server left verifies and holds every answered one.
    let verified = trail.run(&["logs", "verify", "--institution", &clinic]);
    let said = String::from_utf8_lossy(&verified.stdout).into_owned();
    assert!(verified.status.success(), "{said}{}", stderr(&verified));
    let kept: usize = said
        .strip_prefix("ok: ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{said}"));
    assert!(
        kept >= answered.len(),
        "{kept} kept, {} answered",
        answered.len()
    );

    // rsyslog's omrelp, a real RELP sender, forwards a file to the restarted
    // server; its first append also indexes what the killed one had written
    // but not indexed.
    let (_server, port) = relp_serve(&trail);
    let work = tempfile::tempdir().expect("a work folder");
    let auth_log = work.path().join("auth.log");
    let forwarded: Vec<String> = (0..200)
        .map(|n| format!("Failed password for rsys{n} from 198.51.100.4 port 5100 ssh2"))
        .collect();
    std::fs::write(&auth_log, forwarded.join("\n") + "\n").expect("write the file");
    forward_with_rsyslog(
        &trail,
        &clinic,
        work.path(),
        &auth_log,
        &format!(
            "action(type=\"omrelp\" target=\"127.0.0.1\" port=\"{port}\" \
             template=\"RSYSLOG_SyslogProtocol23Format\")"
        ),
        kept + forwarded.len(),
    );

    let index = LogIndex::open(&trail, &clinic).await;
    let user_of = |line: &str| {
        line.split("password for ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("{line}"))
    };
    for line in answered.iter().chain(&forwarded) {
        let user = user_of(line);
        let found = index.of(&user).await;
        assert_eq!(found.len(), 1, "{user}: {found:?}");
    }
    index.close().await;
}

#[allow(dead_code)]
#[path = "../../domain/tests/support/evtx_writer.rs"]
mod evtx_writer;

#[tokio::test]
async fn a_windows_event_log_file_is_imported_once_and_its_sign_ins_searched() {
    let trail = Trail::new().await;
    let clinic = institution_ids(&trail)[0].clone();
    for (name, kind) in [("受付PC", "windows_json"), ("srv1", "syslog")] {
        let added = trail.add_log_source(&clinic, name, kind, &[]);
        assert!(added.status.success(), "{}", stderr(&added));
    }
    // Saved from Event Viewer: three failed network logons by tanaka and a
    // lockout.
    let start: jiff::Timestamp = "2026-11-20T00:30:00Z".parse().expect("time");
    let events: Vec<evtx_writer::SecurityEvent> = (0..4u64)
        .map(|n| evtx_writer::SecurityEvent {
            record_id: 500 + n,
            time: start + jiff::SignedDuration::from_secs(n as i64),
            event_id: if n < 3 { 4625 } else { 4740 },
            computer: "UKETSUKE-PC01".to_owned(),
            data: vec![
                ("TargetUserName".to_owned(), "tanaka".to_owned()),
                ("IpAddress".to_owned(), "192.168.1.23".to_owned()),
            ],
        })
        .collect();
    let work = tempfile::tempdir().expect("a work folder");
    let file = work.path().join("Security.evtx");
    std::fs::write(&file, evtx_writer::write_evtx(&events)).expect("write");

    // Into a syslog source: refused, naming the kind to choose.
    let wrong = trail.import_log(&clinic, "srv1", &file);
    assert_clean_failure(&wrong, "Windows source");
    // A file cut in its header: refused, nothing stored.
    let cut = work.path().join("cut.evtx");
    std::fs::write(&cut, &evtx_writer::write_evtx(&events)[..200]).expect("write");
    assert_clean_failure(&trail.import_log(&clinic, "受付PC", &cut), "cannot be read");

    let imported = trail.import_log(&clinic, "受付PC", &file);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let said = String::from_utf8_lossy(&imported.stdout);
    assert!(said.contains("imported 4 events"), "{said}");
    let twice = trail.import_log(&clinic, "受付PC", &file);
    assert!(String::from_utf8_lossy(&twice.stdout).contains("nothing added"));
    let verified = trail.run(&["logs", "verify", "--institution", &clinic]);
    assert!(
        String::from_utf8_lossy(&verified.stdout).starts_with("ok: 4 entries"),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );

    // A month later the whole Security log is saved again: the four events
    // already kept and two new ones. Only the new ones are added.
    let mut later = events.clone();
    for n in 4..6u64 {
        later.push(evtx_writer::SecurityEvent {
            record_id: 500 + n,
            time: start + jiff::SignedDuration::from_hours(24 * 30),
            event_id: 4624,
            computer: "UKETSUKE-PC01".to_owned(),
            data: vec![("TargetUserName".to_owned(), format!("nurse{n}"))],
        });
    }
    let next = work.path().join("Security-next-month.evtx");
    std::fs::write(&next, evtx_writer::write_evtx(&later)).expect("write");
    let overlapping = trail.import_log(&clinic, "受付PC", &next);
    assert!(overlapping.status.success(), "{}", stderr(&overlapping));
    let said = String::from_utf8_lossy(&overlapping.stdout);
    assert!(said.contains("imported 2 events"), "{said}");
    assert!(said.contains("4 events were kept already"), "{said}");
    let verified = trail.run(&["logs", "verify", "--institution", &clinic]);
    assert!(
        String::from_utf8_lossy(&verified.stdout).starts_with("ok: 6 entries"),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );

    let index = LogIndex::open(&trail, &clinic).await;
    let found = index.of("tanaka").await;
    index.close().await;
    assert_eq!(found.len(), 4, "{found:?}");
    assert_eq!(
        found
            .iter()
            .filter(|event| event.outcome == "failure")
            .count(),
        3
    );
    assert!(found.iter().all(
        |event| event.source_address.as_deref() == Some("192.168.1.23")
            && event.host.as_deref() == Some("UKETSUKE-PC01")
    ));
}
