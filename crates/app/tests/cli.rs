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
    command
        .args([
            "init",
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
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `serve` on a free port and waits for its "listening on" line.
fn start_server(data_dir: &Path) -> Server {
    let mut child = mamori()
        .arg("--data-dir")
        .arg(data_dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let log = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(log).lines();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if let Some((_, address)) = line.split_once("listening on http://") {
            let address = address.trim().to_owned();
            // Keep draining the log so the child never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines.by_ref() {});
            return Server { child, address };
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server did not say where it listens");
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
            let output = trail
                .command()
                .args([
                    "institution",
                    "create",
                    "--name",
                    &format!("分院{n}"),
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
                    &format!("admin-{n}"),
                ])
                .env("MAMORI_ADMIN_PASSWORD", PASSWORD)
                .output()
                .expect("run");
            assert!(output.status.success(), "{}", stderr(&output));
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
