//! `Application::build`: what production runs and what every test boots.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use mamori_store::Store;
use mamori_web::{AppState, Clock, WebConfig};
use tokio::net::TcpListener;
use tokio::sync::Mutex;

use crate::config::{Config, redact_url};

/// A built server: database open and migrated, port bound, not yet serving.
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    state: AppState,
    auditor: crate::audit::Auditor,
    probe_time_sync: bool,
    /// The scheduled backup with the data folder and database it copies.
    scheduled_backup: Option<(crate::backup::Schedule, std::path::PathBuf, String)>,
    /// The reminder e-mails' SMTP server.
    smtp: Option<crate::reminders::Smtp>,
    /// The data folder (its access logs are indexed at the start).
    data_dir: std::path::PathBuf,
    /// The syslog receivers, bound, with the data folder their logs go to.
    receivers: Option<(crate::receivers::Bound, std::path::PathBuf)>,
}

impl Application {
    /// Opens the data folder and database, migrates, and binds the port.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        if let Some(url) = &config.public_url {
            check_public_url(url)?;
        }
        crate::data_dir::prepare(&config.data_dir, &config.database_url)?;
        let auditor = crate::audit::Auditor::load_or_create(&config.data_dir)?;
        let secrets_key = crate::data_dir::secrets_key(&config.data_dir)?;
        let catalogs = crate::catalogs::load(&crate::catalogs::extra_files(&config.data_dir)?)?;
        let contract_clauses = mamori_domain::contract::ClauseList::builtin()
            .context("the 別紙1 contract items do not load")?;
        let store = Store::open(&config.database_url)
            .await
            .with_context(|| {
                format!(
                    "cannot open the database {}",
                    redact_url(&config.database_url)
                )
            })?
            .with_secret_key(secrets_key);
        let sealed = mamori_store::two_factor::seal_plain_secrets(&store)
            .await
            .context("cannot seal the stored two-factor secrets")?;
        if sealed > 0 {
            tracing::info!(sealed, "sealed two-factor secrets stored in plain text");
        }
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let address = listener
            .local_addr()
            .context("cannot read the bound address")?;
        let setup_token = if mamori_store::institution::is_set_up(&store).await? {
            None
        } else {
            Some(mamori_web::auth::random_token())
        };
        let receivers = crate::receivers::bind(&config.receivers).await?;
        let mut syslog_listeners = Vec::new();
        if let Some(bound) = &receivers {
            let addresses = bound.addresses();
            for (transport, address) in [
                ("UDP", addresses.udp),
                ("TCP", addresses.tcp),
                ("TLS", addresses.tls),
                ("RELP", addresses.relp),
            ] {
                if let Some(address) = address {
                    tracing::info!("syslog receiver ({transport}) on {address}");
                    syslog_listeners.push(mamori_web::SyslogListener { transport, address });
                }
            }
        }
        let web_config = WebConfig {
            secure_cookies: config.secure_cookies,
            listens_on_loopback: config.listen.ip().is_loopback(),
            lockout: config.lockout,
            sign_in_attempts_per_minute: config.sign_in_attempts_per_minute,
            poster_reports_per_hour: config.poster_reports_per_hour,
            public_url: config
                .public_url
                .as_ref()
                .map(|url| url.trim().trim_end_matches('/').to_owned())
                .filter(|url| !url.is_empty()),
            sends_mail: config.smtp.is_some(),
            syslog_listeners,
            ..WebConfig::default()
        };
        let clock = config.fixed_now.map_or(Clock::System, Clock::Fixed);
        let access_logs = Arc::new(crate::access_logs::DataDirArchive::new(
            store.clone(),
            config.data_dir.clone(),
        ));
        let state = AppState {
            store,
            config: Arc::new(web_config),
            clock,
            setup_token: Arc::new(Mutex::new(setup_token)),
            rate_limiter: Arc::new(mamori_web::rate_limit::RateLimiter::new(
                config.sign_in_attempts_per_minute,
            )),
            report_link_limiter: Arc::new(mamori_web::rate_limit::RateLimiter::per_window(
                config.poster_reports_per_hour,
                std::time::Duration::from_secs(3600),
            )),
            time_sync: Arc::new(std::sync::RwLock::new(
                mamori_domain::dashboard::TimeSync::Unknown,
            )),
            catalogs: Arc::new(catalogs),
            contract_clauses: Arc::new(contract_clauses),
            heavy: mamori_web::heavy::HeavyWork::default(),
            issued_links: Arc::default(),
            access_logs,
            held_uploads: Arc::default(),
            ingest_limiter: Arc::new(mamori_web::rate_limit::RateLimiter::new(
                mamori_web::INGEST_REQUESTS_PER_MINUTE,
            )),
        };
        auditor
            .checkpoint(&state.store)
            .await
            .context("cannot sign the audit checkpoint")?;
        Ok(Self {
            listener,
            address,
            state,
            auditor,
            probe_time_sync: config.probe_time_sync,
            smtp: config.smtp,
            receivers: receivers.map(|bound| (bound, config.data_dir.clone())),
            data_dir: config.data_dir.clone(),
            scheduled_backup: config
                .scheduled_backup
                .map(|schedule| (schedule, config.data_dir, config.database_url)),
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Where the syslog receivers listen (useful with port 0).
    pub fn receiver_addresses(&self) -> crate::receivers::Addresses {
        self.receivers
            .as_ref()
            .map(|(bound, _)| bound.addresses())
            .unwrap_or_default()
    }

    /// The setup token, while first-run setup is still open.
    pub async fn setup_token(&self) -> Option<String> {
        self.state.setup_token.lock().await.clone()
    }

    /// The time-synchronisation status the dashboard shows (tests set it).
    pub fn time_sync(&self) -> Arc<std::sync::RwLock<mamori_domain::dashboard::TimeSync>> {
        self.state.time_sync.clone()
    }

    /// The application's state, for tests that run a job directly (the
    /// reminders) against the same store and clock.
    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// The store, for tests that look behind the HTTP surface.
    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// Serves until `shutdown` completes, then closes the database cleanly.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let store = self.state.store.clone();
        let cleaner = tokio::spawn(clean_expired_sessions(store.clone()));
        let checkpointer = tokio::spawn(sign_checkpoints(store.clone(), self.auditor.clone()));
        let time_checker = self.probe_time_sync.then(|| {
            tokio::spawn(crate::time_sync::keep_checking(
                self.state.time_sync.clone(),
            ))
        });
        let backups = self
            .scheduled_backup
            .map(|(schedule, data_dir, database_url)| {
                tokio::spawn(crate::backup::keep_backing_up(
                    store.clone(),
                    schedule,
                    data_dir,
                    database_url,
                ))
            });
        // What the log holds beyond the index (a killed server's last
        // writes, a restore, a command-line import) becomes searchable.
        let indexer = tokio::spawn({
            let (store, data_dir) = (store.clone(), self.data_dir.clone());
            async move { crate::access_logs::index_all(&store, &data_dir).await }
        });
        let (stop_receivers, receivers_stopping) = tokio::sync::watch::channel(false);
        let receivers = self.receivers.map(|(bound, data_dir)| {
            tokio::spawn(crate::receivers::run(
                bound,
                store.clone(),
                data_dir,
                receivers_stopping,
            ))
        });
        let reminders = self
            .smtp
            .map(|smtp| tokio::spawn(crate::reminders::keep_reminding(self.state.clone(), smtp)));
        let router = mamori_web::app(self.state);
        axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .context("the server stopped with an error")?;
        cleaner.abort();
        checkpointer.abort();
        indexer.abort();
        if let Some(time_checker) = time_checker {
            time_checker.abort();
        }
        if let Some(backups) = backups {
            backups.abort();
        }
        if let Some(reminders) = reminders {
            reminders.abort();
        }
        // The receivers stop listening and write what they hold.
        let _ = stop_receivers.send(true);
        if let Some(receivers) = receivers {
            let abort = receivers.abort_handle();
            if tokio::time::timeout(std::time::Duration::from_secs(30), receivers)
                .await
                .is_err()
            {
                tracing::warn!("the syslog receivers did not finish writing within 30 s");
                abort.abort();
            }
        }
        // One last checkpoint, so the trail up to shutdown is signed.
        if let Err(error) = self.auditor.checkpoint(&store).await {
            tracing::warn!(%error, "could not sign the final audit checkpoint");
        }
        store.close().await;
        Ok(())
    }
}

/// `--public-url` must be an http(s) address of a host, with no path: vendor
/// links are built as `<public url>/v/<token>`.
fn check_public_url(url: &str) -> anyhow::Result<()> {
    let url = url.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host)
            if !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)) =>
        {
            Ok(())
        }
        _ => anyhow::bail!(
            "--public-url must look like https://mamori.example.jp (http or https, a host and an optional port, no path): {url}"
        ),
    }
}

/// Signs a checkpoint every minute in which the audit trail grew.
async fn sign_checkpoints(store: Store, auditor: crate::audit::Auditor) {
    let mut interval = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        interval.tick().await;
        if let Err(error) = auditor.checkpoint(&store).await {
            tracing::warn!(%error, "could not sign an audit checkpoint");
        }
    }
}

/// Every hour: removes expired sessions, and the files a vendor attached to a
/// refused try on a link that has since expired or been revoked.
async fn clean_expired_sessions(store: Store) {
    let mut interval = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        interval.tick().await;
        let now = jiff::Timestamp::now();
        if let Err(error) = mamori_store::session::delete_expired(&store, now).await {
            tracing::warn!(%error, "could not remove expired sessions");
        }
        if let Err(error) = mamori_store::vendor::discard_stale_staged(&store, now).await {
            tracing::warn!(%error, "could not remove a vendor's files kept for a stale link");
        }
    }
}
