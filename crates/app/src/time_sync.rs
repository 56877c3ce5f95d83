//! Finds out whether the system clock is NTP-synchronised (信頼できる時刻源), by
//! asking `timedatectl` or `chronyc`; on systems with neither the answer is "unknown".

use std::process::Command;
use std::sync::{Arc, RwLock};

use mamori_domain::dashboard::{TimeSync, parse_chronyc_tracking, parse_timedatectl};

/// Asks the system once (blocking: call from a blocking task).
pub fn probe() -> TimeSync {
    let run = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
    };
    if let Some(status) = run("timedatectl", &["show"])
        .as_deref()
        .and_then(parse_timedatectl)
    {
        return status;
    }
    if let Some(status) = run("chronyc", &["-n", "tracking"])
        .as_deref()
        .and_then(parse_chronyc_tracking)
    {
        return status;
    }
    TimeSync::Unknown
}

/// Re-checks every ten minutes, keeping the latest answer in `status`.
pub async fn keep_checking(status: Arc<RwLock<TimeSync>>) {
    let mut interval = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        interval.tick().await;
        if let Ok(latest) = tokio::task::spawn_blocking(probe).await
            && let Ok(mut current) = status.write()
        {
            if *current != latest {
                tracing::info!(?latest, "time synchronisation status");
            }
            *current = latest;
        }
    }
}
