//! The command line: `mamori serve`, `mamori init`, `mamori institution …`.
//!
//! Every option can also come from a `MAMORI_*` environment variable. Errors are
//! printed as one line starting with `error:` and exit with status 1; clap's own
//! usage errors exit with status 2.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use mamori_domain::institution::{
    InstitutionCode, InstitutionId, NewInstitution, NewUser, PasswordPolicy, PlainPassword,
    RawInstitution, RawUser, Role, hash_password,
};
use mamori_store::Store;

use crate::{Application, Config};

/// mamori (守り): cybersecurity management for Japanese medical institutions.
#[derive(Debug, Parser)]
#[command(name = "mamori", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    storage: StorageArgs,
    #[command(subcommand)]
    command: Command,
}

/// Where the data lives; shared by every command.
#[derive(Debug, Args)]
struct StorageArgs {
    /// The data folder; the SQLite database is created inside it.
    #[arg(
        long,
        global = true,
        env = "MAMORI_DATA_DIR",
        default_value = "./mamori-data"
    )]
    data_dir: PathBuf,
    /// A database URL instead of the SQLite file: sqlite://PATH or postgres://USER@HOST/DB.
    #[arg(
        long,
        global = true,
        env = "MAMORI_DATABASE_URL",
        hide_env_values = true
    )]
    database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the web server.
    Serve(Box<ServeArgs>),
    /// First-run setup without the browser: creates the institution and its
    /// security manager (安全管理責任者). Refused once mamori is set up.
    Init(Box<InstitutionArgs>),
    /// Hosted mode: the server operator manages institutions.
    #[command(subcommand)]
    Institution(InstitutionCommand),
    /// The tamper-evident audit trail (監査証跡).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Access logs (アクセスログ): sources, file imports, verification.
    #[command(subcommand)]
    Logs(LogsCommand),
    /// Backs up everything mamori holds into one encrypted file (age format)
    /// in a folder, while the server runs, and rotates older backups; or,
    /// with --verify, checks a backup without restoring it.
    Backup(BackupArgs),
    /// Restores a backup into a new, empty data folder (--data-dir) — and,
    /// with a PostgreSQL --database-url, into a database without mamori data —
    /// and verifies its audit trail. Either backend's backup restores into either.
    Restore(RestoreArgs),
}

/// How a backup is encrypted or opened: a passphrase (MAMORI_BACKUP_PASSPHRASE
/// or --passphrase-file, never on the command line) or age keys.
#[derive(Debug, Args)]
struct BackupKeyArgs {
    /// A file whose first line is the passphrase (instead of MAMORI_BACKUP_PASSPHRASE).
    #[arg(long)]
    passphrase_file: Option<PathBuf>,
    /// Encrypt to this age public key (age1…) instead of a passphrase; repeatable.
    #[arg(long)]
    recipient: Vec<String>,
    /// Open with the age secret keys in this file (AGE-SECRET-KEY-1…).
    #[arg(long)]
    identity: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct BackupArgs {
    /// The folder the backups go to (ideally another disk, kept offline between backups).
    #[arg(long, env = "MAMORI_BACKUP_DIR", required_unless_present = "verify")]
    to: Option<PathBuf>,
    /// Check this backup file (every file against its SHA-256) instead of taking one.
    #[arg(long, value_name = "FILE")]
    verify: Option<PathBuf>,
    /// Daily generations kept.
    #[arg(long, default_value_t = 7)]
    keep_daily: usize,
    /// Weekly generations kept.
    #[arg(long, default_value_t = 4)]
    keep_weekly: usize,
    /// Monthly generations kept.
    #[arg(long, default_value_t = 12)]
    keep_monthly: usize,
    #[command(flatten)]
    key: BackupKeyArgs,
}

#[derive(Debug, Args)]
struct RestoreArgs {
    /// The backup file (mamori-backup-….tar.age).
    file: PathBuf,
    #[command(flatten)]
    key: BackupKeyArgs,
}

#[derive(Debug, Subcommand)]
enum LogsCommand {
    /// Registers a log source (ログの収集元) of an institution.
    AddSource {
        /// The institution's id, as `institution list` shows it.
        #[arg(long)]
        institution: i64,
        /// The source's name, e.g. "RTX1210 本院".
        #[arg(long)]
        name: String,
        /// syslog or windows_json.
        #[arg(long)]
        kind: String,
        /// The device's 管理番号 in the device ledger, if the source is one.
        #[arg(long, default_value = "")]
        device: String,
        /// The addresses it sends from, comma-separated (receivers keep other senders apart).
        #[arg(long, default_value = "")]
        senders: String,
        /// For ehr_csv: the columns as key=value pairs, e.g.
        /// "time=日時,user=利用者ID,patient_id=患者ID,action=操作,host=端末".
        #[arg(long, default_value = "")]
        mapping: String,
        /// The zone of the source's clock, for times without an offset.
        #[arg(long, default_value = "Asia/Tokyo")]
        time_zone: String,
        /// How many years its events are kept.
        #[arg(long, default_value = "5")]
        retention_years: String,
        /// Hours it may send nothing before that is a finding of the review
        /// (empty: the institution's rule, 24 by default).
        #[arg(long, default_value = "")]
        silent_hours: String,
    },
    /// Imports a file a source exported: every line is kept (understood or
    /// raw); the same file twice adds nothing.
    Import {
        /// The institution's id.
        #[arg(long)]
        institution: i64,
        /// The source's name, as registered with add-source.
        #[arg(long)]
        source: String,
        /// The file.
        file: PathBuf,
    },
    /// Shows how a file would be read (its first rows, with the source's
    /// column mapping for ehr_csv), storing nothing.
    Preview {
        /// The institution's id.
        #[arg(long)]
        institution: i64,
        /// The source's name, as registered with add-source.
        #[arg(long)]
        source: String,
        /// The file.
        file: PathBuf,
    },
    /// Checks every entry, tile and the signed checkpoint of an institution's
    /// access log; names the first entry changed, removed or reordered and
    /// exits with status 1.
    Verify {
        /// The institution's id.
        #[arg(long)]
        institution: i64,
        /// A folder holding bundles moved out of the log (retention), checked too.
        #[arg(long)]
        archive: Option<PathBuf>,
    },
    /// Moves the full bundles whose every event is past its source's
    /// retention (5 years unless the source says otherwise) to another
    /// folder, and drops them from the search; the rest still verifies, and
    /// `verify --archive DIR` checks the moved ones too.
    Archive {
        /// The institution's id.
        #[arg(long)]
        institution: i64,
        /// The folder to move them to (laid out as the log is).
        #[arg(long)]
        to: PathBuf,
    },
    /// Lists the senders no registered source claims, whose lines the
    /// receivers kept apart in the unassigned log: register them with
    /// `add-source --senders`, or find out why they send.
    Unassigned,
    /// Prints the verifier key (C2SP signed-note format) of the access logs' checkpoints.
    PublicKey,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Checks every entry against the tree and the signed checkpoints; names the
    /// first entry that was changed, removed or reordered and exits with status 1.
    Verify,
    /// Signs a checkpoint of the current trail (if it grew) and prints it (C2SP tlog-checkpoint).
    Checkpoint,
    /// Prints the verifier key (C2SP signed-note format) to check checkpoints with.
    PublicKey,
    /// Prints an inclusion proof of entry INDEX in the latest checkpoint, as JSON.
    Proof {
        /// The entry's position, from 0.
        index: u64,
    },
    /// Prints a consistency proof from an earlier tree size to the latest checkpoint, as JSON.
    Consistency {
        /// The earlier tree size.
        old_size: u64,
    },
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// The address and port to listen on.
    #[arg(long, env = "MAMORI_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Receive syslog over UDP on this address (e.g. 0.0.0.0:514): lines from
    /// the senders registered with `logs add-source --senders`.
    #[arg(long, env = "MAMORI_SYSLOG_UDP")]
    syslog_udp: Option<SocketAddr>,
    /// Receive syslog over TCP on this address (RFC 6587: octet counting or
    /// newline framing).
    #[arg(long, env = "MAMORI_SYSLOG_TCP")]
    syslog_tcp: Option<SocketAddr>,
    /// Receive syslog over TLS on this address (RFC 5425, e.g. 0.0.0.0:6514),
    /// with the certificate and key below.
    #[arg(long, env = "MAMORI_SYSLOG_TLS", requires_all = ["syslog_tls_cert", "syslog_tls_key"])]
    syslog_tls: Option<SocketAddr>,
    /// Receive syslog over RELP on this address (rsyslog's `omrelp`, e.g.
    /// 0.0.0.0:2514): each message is answered only once it is written, so a
    /// sender keeps what a stopped server did not confirm and sends it again.
    #[arg(long, env = "MAMORI_SYSLOG_RELP")]
    syslog_relp: Option<SocketAddr>,
    /// The TLS receiver's certificate chain (PEM).
    #[arg(long, env = "MAMORI_SYSLOG_TLS_CERT", requires = "syslog_tls")]
    syslog_tls_cert: Option<PathBuf>,
    /// The TLS receiver's private key (PEM).
    #[arg(long, env = "MAMORI_SYSLOG_TLS_KEY", requires = "syslog_tls")]
    syslog_tls_key: Option<PathBuf>,
    /// Marks cookies Secure; set this when mamori is served over HTTPS.
    #[arg(long, env = "MAMORI_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Consecutive failed sign-ins that lock an account.
    #[arg(long, env = "MAMORI_LOCKOUT_THRESHOLD", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    lockout_threshold: u32,
    /// Sign-in attempts allowed per source address, and per login ID, each minute (0: no limit).
    #[arg(long, env = "MAMORI_SIGN_IN_ATTEMPTS_PER_MINUTE", default_value_t = 30)]
    sign_in_attempts_per_minute: u32,
    /// Incident reports accepted through one poster link (no account) each hour (0: no limit).
    #[arg(long, env = "MAMORI_POSTER_REPORTS_PER_HOUR", default_value_t = 30)]
    poster_reports_per_hour: u32,
    /// Minutes an account stays locked.
    #[arg(long, env = "MAMORI_LOCKOUT_MINUTES", default_value_t = 15, value_parser = clap::value_parser!(i64).range(1..=1440))]
    lockout_minutes: i64,
    /// The address others use to reach this server (e.g. https://mamori.example.jp),
    /// used in the links sent to vendors; without it, the address the browser used.
    #[arg(long, env = "MAMORI_PUBLIC_URL")]
    public_url: Option<String>,
    /// Takes mamori's own encrypted backup into this folder on a schedule
    /// and records each run in the backup register (key: MAMORI_BACKUP_PASSPHRASE,
    /// --backup-passphrase-file or --backup-recipient).
    #[arg(long, env = "MAMORI_BACKUP_DIR")]
    backup_dir: Option<PathBuf>,
    /// How often the scheduled backup runs: a number and s, m, h or d (the
    /// first run is a few seconds after the server starts).
    #[arg(long, env = "MAMORI_BACKUP_EVERY", default_value = "1d")]
    backup_every: String,
    /// A file whose first line is the scheduled backup's passphrase.
    #[arg(long)]
    backup_passphrase_file: Option<PathBuf>,
    /// Encrypt the scheduled backup to this age public key (age1…); repeatable.
    #[arg(long)]
    backup_recipient: Vec<String>,
    /// Daily generations the scheduled backup keeps.
    #[arg(long, default_value_t = 7)]
    backup_keep_daily: usize,
    /// Weekly generations the scheduled backup keeps.
    #[arg(long, default_value_t = 4)]
    backup_keep_weekly: usize,
    /// Monthly generations the scheduled backup keeps.
    #[arg(long, default_value_t = 12)]
    backup_keep_monthly: usize,
    /// Sends each person's daily digest of what comes due through this SMTP
    /// server (their address is set under お知らせメール).
    #[arg(long, env = "MAMORI_SMTP_HOST")]
    smtp_host: Option<String>,
    /// The SMTP server's port (587 for STARTTLS, 465 for TLS).
    #[arg(long, env = "MAMORI_SMTP_PORT", default_value_t = 587)]
    smtp_port: u16,
    /// starttls, tls, or none (only for a relay on this machine).
    #[arg(
        long,
        env = "MAMORI_SMTP_SECURITY",
        value_enum,
        default_value = "starttls"
    )]
    smtp_security: crate::reminders::SmtpSecurity,
    /// The SMTP user name, when the server asks for one.
    #[arg(long, env = "MAMORI_SMTP_USER")]
    smtp_user: Option<String>,
    /// A file whose first line is the SMTP password.
    #[arg(long)]
    smtp_password_file: Option<PathBuf>,
    /// The sender of the reminders, e.g. "mamori <mamori@clinic.example.jp>".
    #[arg(long, env = "MAMORI_MAIL_FROM")]
    mail_from: Option<String>,
    /// How often the reminder job looks for digests to write and send.
    #[arg(long, env = "MAMORI_REMINDERS_EVERY", default_value = "10m")]
    reminders_every: String,
}

#[derive(Debug, Subcommand)]
enum InstitutionCommand {
    /// Creates an institution with its first security manager.
    Create(Box<InstitutionArgs>),
    /// Lists every institution on this server (id, code, name, kind, prefecture).
    List,
    /// Changes an institution's sign-in code (施設コード); its staff then sign
    /// in with the new one.
    SetCode {
        /// The institution's id, as `institution list` shows it.
        id: i64,
        /// The new code: 2–32 of a-z, 0-9, '_' and '-'.
        code: String,
    },
    /// Hosted mode: shares a checklist version that an institution made and
    /// published in mamori (e.g. the new year's form, entered once) with
    /// every institution on this server.
    ShareVersion {
        /// The id of the institution that made it, as `institution list` shows it.
        id: i64,
        /// The version, as its page shows it (e.g. R8-medical).
        version: String,
    },
}

/// An institution and its first 安全管理責任者.
#[derive(Debug, Args)]
struct InstitutionArgs {
    /// 名称: the institution's name.
    #[arg(long, env = "MAMORI_INSTITUTION_NAME")]
    name: String,
    /// 種別: hospital, clinic_with_beds, clinic_without_beds, dental_clinic or pharmacy.
    #[arg(long, env = "MAMORI_INSTITUTION_KIND")]
    kind: String,
    /// 病床数: number of beds (0 for clinics without beds and pharmacies).
    #[arg(long, env = "MAMORI_BED_COUNT", default_value = "0")]
    bed_count: String,
    /// 都道府県, e.g. 徳島県.
    #[arg(long, env = "MAMORI_PREFECTURE")]
    prefecture: String,
    /// 住所.
    #[arg(long, env = "MAMORI_ADDRESS")]
    address: String,
    /// 電話, e.g. 088-123-4567.
    #[arg(long, env = "MAMORI_PHONE")]
    phone: String,
    /// 施設コード: the code that names the institution at sign-in when the
    /// server holds more than one (2–32 of a-z, 0-9, '_', '-'; e.g. its
    /// 医療機関コード). Without it the institution gets m0001, m0002, …
    #[arg(long, env = "MAMORI_INSTITUTION_CODE")]
    code: Option<String>,
    /// The security manager's login ID.
    #[arg(long, env = "MAMORI_ADMIN_LOGIN_ID")]
    admin_login_id: String,
    /// The security manager's name (氏名).
    #[arg(long, env = "MAMORI_ADMIN_NAME")]
    admin_name: String,
    /// A file holding the security manager's password (first line). Without it the
    /// password is read from MAMORI_ADMIN_PASSWORD; never pass it as an argument.
    #[arg(long, env = "MAMORI_ADMIN_PASSWORD_FILE")]
    admin_password_file: Option<PathBuf>,
}

/// Runs the command line and returns the process's exit status.
pub fn main() -> ExitCode {
    // A panic is a bug, but the operator should still get one line, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("error: internal error (please report it): {info}");
    }));
    let cli = Cli::parse();
    init_logging();
    if let Command::Backup(args) = &cli.command
        && args.verify.is_none()
    {
        // A backup shares the machine with the server the clinic is using:
        // it yields the CPU to it (nice 19; the threads started below inherit it).
        #[cfg(unix)]
        if let Err(error) = rustix::process::setpriority_process(None, 19) {
            tracing::debug!("cannot lower the backup's priority: {error}");
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MAMORI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    // Logs go to standard error, so what a command prints (a listing) stays clean.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        // Colours only on a terminal: a journal or a log file gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let database_url = cli
        .storage
        .database_url
        .clone()
        .unwrap_or_else(|| Config::sqlite_url_for(&cli.storage.data_dir));
    match cli.command {
        Command::Serve(serve) => {
            let config = Config {
                data_dir: cli.storage.data_dir,
                database_url,
                listen: serve.listen,
                secure_cookies: serve.secure_cookies,
                lockout: mamori_domain::institution::LockoutPolicy::new(
                    serve.lockout_threshold,
                    jiff::SignedDuration::from_mins(serve.lockout_minutes),
                ),
                probe_time_sync: true,
                sign_in_attempts_per_minute: serve.sign_in_attempts_per_minute,
                poster_reports_per_hour: serve.poster_reports_per_hour,
                scheduled_backup: schedule_of(&serve)?,
                smtp: smtp_of(&serve)?,
                receivers: crate::receivers::ReceiverConfig {
                    udp: serve.syslog_udp,
                    tcp: serve.syslog_tcp,
                    relp: serve.syslog_relp,
                    tls: match (
                        serve.syslog_tls,
                        serve.syslog_tls_cert,
                        serve.syslog_tls_key,
                    ) {
                        (Some(address), Some(certificate), Some(key)) => {
                            Some(crate::receivers::TlsReceiver {
                                address,
                                certificate,
                                key,
                            })
                        }
                        _ => None,
                    },
                },
                public_url: serve.public_url,
                fixed_now: None,
            };
            serve_until_signal(config).await
        }
        Command::Init(args) => {
            create_institution(&cli.storage.data_dir, &database_url, &args, true).await
        }
        Command::Institution(InstitutionCommand::Create(args)) => {
            create_institution(&cli.storage.data_dir, &database_url, &args, false).await
        }
        Command::Institution(InstitutionCommand::SetCode { id, code }) => {
            let code = InstitutionCode::parse(&code)
                .map_err(|error| anyhow::anyhow!("code {code:?}: {error}"))?;
            let store = open_store(&cli.storage.data_dir, &database_url).await?;
            let result = mamori_store::institution::set_code_by_operator(
                &store,
                InstitutionId::from_db(id),
                &code,
                jiff::Timestamp::now(),
            )
            .await;
            store.close().await;
            match result {
                Ok(()) => {
                    println!("institution {id}: institution code \"{}\"", code.as_str());
                    Ok(())
                }
                Err(mamori_store::Error::NotFound) => {
                    anyhow::bail!("there is no institution {id} on this server")
                }
                Err(mamori_store::Error::Conflict(_)) => anyhow::bail!(
                    "the institution code {:?} is already used by another institution on this server",
                    code.as_str()
                ),
                Err(error) => Err(describe_store_error(error)),
            }
        }
        Command::Institution(InstitutionCommand::ShareVersion { id, version }) => {
            let store = open_store(&cli.storage.data_dir, &database_url).await?;
            let result = mamori_store::checklist_version::share_by_operator(
                &store,
                InstitutionId::from_db(id),
                version.trim(),
                jiff::Timestamp::now(),
            )
            .await;
            store.close().await;
            match result {
                Ok(_) => {
                    println!(
                        "checklist version {version}: now used by every institution on this server"
                    );
                    Ok(())
                }
                Err(mamori_store::Error::NotFound) => {
                    anyhow::bail!("institution {id} has no published checklist version {version:?}")
                }
                Err(mamori_store::Error::Conflict(_)) => anyhow::bail!(
                    "a checklist version {version:?} is already shared with every institution"
                ),
                Err(error) => Err(describe_store_error(error)),
            }
        }
        Command::Backup(args) => run_backup(&cli.storage.data_dir, &database_url, args).await,
        Command::Restore(args) => run_restore(&cli.storage.data_dir, &database_url, args).await,
        Command::Audit(command) => {
            // Verifying writes nothing, so it runs on a read-only copy (an
            // inspector's copy of a backup); the other commands sign or read
            // the latest checkpoint and open the database as the server does.
            let store = if matches!(command, AuditCommand::Verify) {
                Store::connect_read_only(&database_url)
                    .await
                    .with_context(|| {
                        format!(
                            "cannot open the database {} for reading",
                            crate::config::redact_url(&database_url)
                        )
                    })?
            } else {
                open_store(&cli.storage.data_dir, &database_url).await?
            };
            let result = run_audit(command, &store, &cli.storage.data_dir).await;
            store.close().await;
            result
        }
        Command::Logs(command) => run_logs(command, &cli.storage.data_dir, &database_url).await,
        Command::Institution(InstitutionCommand::List) => {
            let store = open_store(&cli.storage.data_dir, &database_url).await?;
            let institutions = mamori_store::institution::list_all_for_operator(&store).await;
            store.close().await;
            for institution in institutions? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    institution.id,
                    institution.code.as_str(),
                    institution.details.name(),
                    institution.details.kind().name_ja(),
                    institution.details.prefecture().name()
                );
            }
            Ok(())
        }
    }
}

/// `mamori init` (`first_run`: only while nothing is set up) and the operator's
/// `mamori institution create`: one institution with its first 安全管理責任者.
async fn create_institution(
    data_dir: &std::path::Path,
    database_url: &str,
    args: &InstitutionArgs,
    first_run: bool,
) -> anyhow::Result<()> {
    let store = open_store(data_dir, database_url).await?;
    let (institution, admin, password) = parse_institution_args(args)?;
    let code = args
        .code
        .as_deref()
        .map(|raw| {
            InstitutionCode::parse(raw).map_err(|error| anyhow::anyhow!("--code {raw:?}: {error}"))
        })
        .transpose()?;
    let password_hash = hash_in_background(password).await?;
    let now = jiff::Timestamp::now();
    let result = if first_run {
        mamori_store::institution::set_up_first(
            &store,
            &institution,
            code.as_ref(),
            &admin,
            &password_hash,
            now,
        )
        .await
    } else {
        mamori_store::institution::create_by_operator(
            &store,
            &institution,
            code.as_ref(),
            &admin,
            &password_hash,
            now,
        )
        .await
    };
    store.close().await;
    let (institution_id, _) = match result {
        Ok(ids) => ids,
        Err(mamori_store::Error::Conflict("institution_code")) => anyhow::bail!(
            "the institution code {:?} is already used by another institution on this server",
            code.as_ref().map_or("", InstitutionCode::as_str)
        ),
        Err(mamori_store::Error::AlreadySetUp) => anyhow::bail!(
            "mamori is already set up in this database; use `mamori institution create` to add another institution"
        ),
        Err(error) => return Err(describe_store_error(error)),
    };
    let verb = if first_run { "initialised" } else { "created" };
    let code = code.unwrap_or_else(|| InstitutionCode::for_id(institution_id));
    println!(
        "{verb}: institution {institution_id} \"{}\", security manager \"{}\", institution code \"{}\"",
        institution.name(),
        admin.login_id().as_str(),
        code.as_str()
    );
    Ok(())
}

/// The key to open a backup with: an identity file, or the passphrase.
fn opening_key(args: &BackupKeyArgs) -> anyhow::Result<crate::backup::Key> {
    use crate::backup::{Key, passphrase_from};
    if let Some(identity) = &args.identity {
        return Key::identity_file(identity);
    }
    match passphrase_from(args.passphrase_file.as_deref())? {
        Some(passphrase) => Ok(Key::passphrase(passphrase)),
        None => anyhow::bail!(
            "no key to open the backup with: set MAMORI_BACKUP_PASSPHRASE, or give --passphrase-file or --identity"
        ),
    }
}

/// The key to encrypt a new backup with: the recipients, or else the passphrase.
fn sealing_key(
    passphrase_file: Option<&std::path::Path>,
    recipients: &[String],
    flags: &str,
) -> anyhow::Result<crate::backup::Key> {
    use crate::backup::{Key, passphrase_from};
    if !recipients.is_empty() {
        return Key::recipients(recipients);
    }
    match passphrase_from(passphrase_file)? {
        Some(passphrase) => Key::new_passphrase(passphrase),
        None => anyhow::bail!(
            "no key to encrypt the backup with: set MAMORI_BACKUP_PASSPHRASE, or give {flags}"
        ),
    }
}

/// The scheduled backup `serve` was asked for, checked before the server starts.
fn smtp_of(serve: &ServeArgs) -> anyhow::Result<Option<crate::reminders::Smtp>> {
    let Some(host) = &serve.smtp_host else {
        return Ok(None);
    };
    let from = serve
        .mail_from
        .clone()
        .context("--smtp-host needs --mail-from (the sender's address)")?;
    let password = match &serve.smtp_password_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned(),
        ),
        None => None,
    };
    let credentials = match (&serve.smtp_user, password) {
        (Some(user), Some(password)) => Some((user.clone(), password)),
        (None, None) => None,
        _ => anyhow::bail!("--smtp-user and --smtp-password-file go together"),
    };
    let every = mamori_domain::continuity::parse_every(&serve.reminders_every)
        .map_err(anyhow::Error::msg)?;
    Ok(Some(crate::reminders::Smtp {
        host: host.clone(),
        port: serve.smtp_port,
        security: serve.smtp_security,
        credentials,
        from,
        every,
    }))
}

fn schedule_of(serve: &ServeArgs) -> anyhow::Result<Option<crate::backup::Schedule>> {
    let Some(dir) = &serve.backup_dir else {
        return Ok(None);
    };
    let every =
        mamori_domain::continuity::parse_every(&serve.backup_every).map_err(anyhow::Error::msg)?;
    let key = sealing_key(
        serve.backup_passphrase_file.as_deref(),
        &serve.backup_recipient,
        "--backup-passphrase-file or --backup-recipient",
    )?;
    Ok(Some(crate::backup::Schedule {
        dir: dir.clone(),
        every,
        retention: mamori_domain::continuity::Retention {
            daily: serve.backup_keep_daily,
            weekly: serve.backup_keep_weekly,
            monthly: serve.backup_keep_monthly,
        },
        key: std::sync::Arc::new(key),
    }))
}

async fn run_backup(
    data_dir: &std::path::Path,
    database_url: &str,
    args: BackupArgs,
) -> anyhow::Result<()> {
    use crate::backup::{self, BackupPlan};
    if let Some(file) = &args.verify {
        let key = opening_key(&args.key)?;
        let file = file.clone();
        let files = tokio::task::spawn_blocking(move || backup::verify(&file, &key))
            .await
            .context("the check was interrupted")??;
        println!(
            "ok: {} holds {files} files, each matching its SHA-256",
            args.verify
                .as_deref()
                .unwrap_or(std::path::Path::new(""))
                .display()
        );
        return Ok(());
    }
    let key = sealing_key(
        args.key.passphrase_file.as_deref(),
        &args.key.recipient,
        "--passphrase-file or --recipient",
    )?;
    let target = args.to.context("--to is required")?;
    let report = backup::backup(&BackupPlan {
        data_dir,
        database_url,
        target: &target,
        retention: mamori_domain::continuity::Retention {
            daily: args.keep_daily,
            weekly: args.keep_weekly,
            monthly: args.keep_monthly,
        },
        key: &key,
        now: jiff::Timestamp::now(),
    })
    .await?;
    println!(
        "backup: {} ({} files, {} bytes, audit trail size {})",
        report.file.display(),
        report.files,
        report.bytes,
        report.audit_size
    );
    for removed in report.removed {
        println!("removed an older generation: {}", removed.display());
    }
    Ok(())
}

async fn run_restore(
    data_dir: &std::path::Path,
    database_url: &str,
    args: RestoreArgs,
) -> anyhow::Result<()> {
    let key = opening_key(&args.key)?;
    let report = crate::backup::restore(&args.file, key, data_dir, database_url).await?;
    println!(
        "restored {} files from {} into {}",
        report.files,
        args.file.display(),
        data_dir.display()
    );
    let store = Store::connect_read_only(&crate::backup::restored_database_url(
        data_dir,
        database_url,
    ))
    .await
    .context("cannot open the restored database")?;
    // A folder whose server never ran has no signing key yet: the trail is
    // then checked against its own hashes, with a new key as the server would make.
    let verdict = match crate::audit::Auditor::load_or_create(data_dir) {
        Ok(auditor) => crate::audit::verify(&store, &auditor.verifying_key(), data_dir).await,
        Err(error) => Err(error),
    };
    store.close().await;
    match verdict? {
        crate::audit::Verdict::Intact(summary) => {
            println!("audit trail: ok: {summary}");
            Ok(())
        }
        crate::audit::Verdict::Tampered(finding) => {
            anyhow::bail!("restored, but the audit trail does not verify: {finding}")
        }
    }
}

async fn run_logs(
    command: LogsCommand,
    data_dir: &std::path::Path,
    database_url: &str,
) -> anyhow::Result<()> {
    use crate::access_logs::{self, ImportReport};
    use mamori_domain::access_log::source::{NewLogSource, RawLogSource};
    match command {
        LogsCommand::AddSource {
            institution,
            name,
            kind,
            device,
            senders,
            mapping,
            time_zone,
            retention_years,
            silent_hours,
        } => {
            let source = NewLogSource::parse(RawLogSource {
                mapping: &mapping,
                name: &name,
                kind: &kind,
                device: &device,
                senders: &senders,
                time_zone: &time_zone,
                retention_years: &retention_years,
                silent_hours: &silent_hours,
            })
            .map_err(|errors| {
                anyhow::anyhow!(
                    "{}",
                    errors
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            })?;
            let store = open_store(data_dir, database_url).await?;
            let result = mamori_store::access_log::add_source(
                &store,
                &mamori_store::access_log::Acting::operator(InstitutionId::from_db(institution)),
                &source,
                jiff::Timestamp::now(),
            )
            .await;
            store.close().await;
            match result {
                Ok(id) => {
                    println!("log source {id}: {} ({})", source.name, source.kind.code());
                    Ok(())
                }
                Err(mamori_store::Error::NotFound) => {
                    anyhow::bail!("there is no institution {institution}")
                }
                Err(mamori_store::Error::Conflict(_)) => anyhow::bail!(
                    "institution {institution} already has a log source named {:?}",
                    source.name
                ),
                Err(mamori_store::Error::Unknown(_)) => anyhow::bail!(
                    "device: institution {institution} has no device with 管理番号 {:?} in its device ledger",
                    source.device.as_deref().unwrap_or_default()
                ),
                Err(other) => Err(other.into()),
            }
        }
        LogsCommand::Import {
            institution,
            source,
            file,
        } => {
            let store = open_store(data_dir, database_url).await?;
            let result = access_logs::import_file(
                &store,
                data_dir,
                InstitutionId::from_db(institution),
                source.trim(),
                &file,
            )
            .await;
            // The events become searchable before the command ends.
            let result = match result {
                Ok(report) => access_logs::index_pending(
                    &store,
                    data_dir,
                    InstitutionId::from_db(institution),
                )
                .await
                .map(|_| report),
                Err(error) => Err(error),
            };
            store.close().await;
            match result? {
                ImportReport::Imported {
                    first_seq,
                    events,
                    unrecognised,
                    problems,
                    already_kept,
                } => {
                    for problem in &problems {
                        eprintln!(
                            "kept raw: row {}, column {}: {}",
                            problem.row, problem.column, problem.error
                        );
                    }
                    println!(
                        "imported {events} events from {} as entries {first_seq}..{} ({unrecognised} not understood, kept raw)",
                        file.display(),
                        first_seq + events
                    );
                    if already_kept > 0 {
                        println!(
                            "{already_kept} events were kept already (from an earlier, overlapping export) and were not added again"
                        );
                    }
                }
                ImportReport::AlreadyImported(before) => {
                    println!(
                        "already imported: {} (source {}) on {} as entries {}..{}; nothing added",
                        before.file_name,
                        before.source,
                        before.imported_at,
                        before.first_seq,
                        before.first_seq + before.events
                    );
                }
                ImportReport::Refused(error) => {
                    anyhow::bail!("the file cannot be imported: {error}; nothing was stored")
                }
            }
            Ok(())
        }
        LogsCommand::Verify {
            institution,
            archive,
        } => {
            let dir = data_dir.to_path_buf();
            let verified = tokio::task::spawn_blocking(move || {
                access_logs::verify(
                    &dir,
                    InstitutionId::from_db(institution),
                    archive.as_deref(),
                )
            });
            let verified = verified.await??;
            let archived: Vec<String> = verified
                .archived
                .iter()
                .map(|range| format!("{}..{}", range.start, range.end))
                .collect();
            println!(
                "ok: {} entries, tree head {}, {} read and hashed ({} bytes){}",
                verified.size,
                verified.root,
                verified.checked,
                verified.bytes,
                if archived.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; archived (their hashes only, content not checked): {}",
                        archived.join(", ")
                    )
                }
            );
            Ok(())
        }
        LogsCommand::PublicKey => {
            println!("{}", access_logs::public_key(data_dir)?);
            Ok(())
        }
        LogsCommand::Unassigned => {
            let senders = access_logs::unassigned_senders(data_dir)?;
            if senders.is_empty() {
                println!("no line from an unknown sender has been kept");
            }
            for sender in senders {
                println!(
                    "{}\t{} lines\tfirst {}\tlast {}\tvia {}",
                    sender.peer,
                    sender.lines,
                    sender.first,
                    sender.last,
                    sender.via.into_iter().collect::<Vec<_>>().join(",")
                );
            }
            Ok(())
        }
        LogsCommand::Archive { institution, to } => {
            let store = open_store(data_dir, database_url).await?;
            let archived = access_logs::archive_old(
                &store,
                data_dir,
                InstitutionId::from_db(institution),
                &to,
                jiff::Timestamp::now(),
            )
            .await;
            store.close().await;
            let archived = archived?;
            println!(
                "moved {} bundles ({} entries) to {}; {} entries dropped from the search; `mamori logs verify --institution {institution} --archive {}` checks them",
                archived.bundles,
                archived.entries,
                to.display(),
                archived.unindexed,
                to.display()
            );
            Ok(())
        }
        LogsCommand::Preview {
            institution,
            source,
            file,
        } => {
            let store = open_store(data_dir, database_url).await?;
            let result = access_logs::preview_file(
                &store,
                InstitutionId::from_db(institution),
                source.trim(),
                &file,
            )
            .await;
            store.close().await;
            print!("{}", result?);
            Ok(())
        }
    }
}

async fn run_audit(
    command: AuditCommand,
    store: &Store,
    data_dir: &std::path::Path,
) -> anyhow::Result<()> {
    use crate::audit::{self, Auditor, Verdict};
    match command {
        AuditCommand::Verify => {
            let auditor = Auditor::load(data_dir)?;
            match audit::verify(store, &auditor.verifying_key(), data_dir).await? {
                Verdict::Intact(summary) => {
                    println!("ok: {summary}");
                    Ok(())
                }
                Verdict::Tampered(finding) => {
                    anyhow::bail!("the audit trail was tampered with: {finding}")
                }
            }
        }
        AuditCommand::Checkpoint => {
            print!(
                "{}",
                Auditor::load_or_create(data_dir)?.checkpoint(store).await?
            );
            Ok(())
        }
        AuditCommand::PublicKey => {
            let auditor = Auditor::load(data_dir)?;
            println!(
                "{}",
                mamori_tlog::verifier_key_string(audit::KEY_NAME, &auditor.verifying_key())
            );
            Ok(())
        }
        AuditCommand::Proof { index } => {
            println!(
                "{}",
                audit::inclusion_proof_json(store, &Auditor::load(data_dir)?, index).await?
            );
            Ok(())
        }
        AuditCommand::Consistency { old_size } => {
            println!(
                "{}",
                audit::consistency_proof_json(store, &Auditor::load(data_dir)?, old_size).await?
            );
            Ok(())
        }
    }
}

async fn serve_until_signal(config: Config) -> anyhow::Result<()> {
    let application = Application::build(config).await?;
    let address = application.address();
    tracing::info!("mamori listening on http://{address}");
    if let Some(token) = application.setup_token().await {
        // Plain lines on standard output, not a log line: the person starting
        // mamori for the first time reads them.
        let setup = if address.ip().is_unspecified() {
            format!("http://127.0.0.1:{}/setup", address.port())
        } else {
            format!("http://{address}/setup")
        };
        println!();
        println!("【初期設定】まだ初期設定がされていません。");
        println!(
            "このパソコンのブラウザで {setup} を開き、医療機関と最初の利用者を登録してください。"
        );
        println!(
            "ほかのパソコンから初期設定するときは、画面で次の「初期設定トークン」を入力してください:"
        );
        println!();
        println!("    初期設定トークン: {token}");
        println!();
        println!(
            "(First-run setup: open {setup}; from another machine, enter the setup token above.)"
        );
        println!();
    }
    application.run_until(shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

async fn open_store(data_dir: &std::path::Path, database_url: &str) -> anyhow::Result<Store> {
    // The data folder holds the audit signing key whatever the database is.
    crate::data_dir::prepare(data_dir, database_url)?;
    Store::open(database_url).await.with_context(|| {
        format!(
            "cannot open the database {}",
            crate::config::redact_url(database_url)
        )
    })
}

fn parse_institution_args(
    args: &InstitutionArgs,
) -> anyhow::Result<(NewInstitution, NewUser, PlainPassword)> {
    let institution = NewInstitution::parse(RawInstitution {
        name: &args.name,
        kind: &args.kind,
        bed_count: &args.bed_count,
        prefecture: &args.prefecture,
        address: &args.address,
        phone: &args.phone,
    })
    .map_err(|errors| anyhow::anyhow!("{}", join_errors(&errors)))?;
    let admin = NewUser::parse(RawUser {
        login_id: &args.admin_login_id,
        display_name: &args.admin_name,
        role: Role::SecurityManager.code(),
    })
    .map_err(|errors| anyhow::anyhow!("{}", join_errors(&errors)))?;
    let raw_password = match &args.admin_password_file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the password file {}", path.display()))?
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned(),
        None => std::env::var("MAMORI_ADMIN_PASSWORD")
            .context("give the security manager's password with --admin-password-file or MAMORI_ADMIN_PASSWORD")?,
    };
    let password = PlainPassword::parse_new(
        &raw_password,
        PasswordPolicy::DEFAULT,
        &args.admin_login_id,
        &args.admin_name,
    )
    .map_err(|error| anyhow::anyhow!("admin password: {error}"))?;
    Ok((institution, admin, password))
}

fn join_errors(errors: &[mamori_domain::ParseError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

async fn hash_in_background(
    password: PlainPassword,
) -> anyhow::Result<mamori_domain::institution::PasswordHash> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .context("password hashing was interrupted")?
        .map_err(|error| anyhow::anyhow!("cannot hash the password: {error}"))
}

fn describe_store_error(error: mamori_store::Error) -> anyhow::Error {
    match error {
        mamori_store::Error::Conflict("login_id") => {
            anyhow::anyhow!("the login ID is already in use on this server")
        }
        other => anyhow::Error::new(other),
    }
}
