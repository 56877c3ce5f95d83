//! Continuity (issue #13): the backup register (バックアップ台帳) with its
//! restore tests, and what it says beside the checklist's backup item and on
//! the dashboard; the BCP (別紙3) with its approved versions.

mod backups;
mod bcp;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use mamori_domain::checklist::MAX_UPLOAD_BYTES;

use crate::AppState;

pub(crate) use backups::{backup_box, dashboard_facts};

/// Room for one evidence file plus the form around it.
const EVIDENCE_BODY_LIMIT: usize = MAX_UPLOAD_BYTES + 64 * 1024;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/ledger/backups", get(backups::list).post(backups::add))
        .route(
            "/ledger/backups/{id}",
            get(backups::show).post(backups::update),
        )
        .route(
            "/ledger/backups/{id}/tests",
            post(backups::add_test).layer(DefaultBodyLimit::max(EVIDENCE_BODY_LIMIT)),
        )
        .route(
            "/ledger/backups/{id}/tests/{test}/evidence",
            get(backups::evidence),
        )
        .route("/bcp", get(bcp::show))
        .route("/bcp/draft", get(bcp::draft))
        .route("/bcp/answers", post(bcp::save_answers))
        .route("/bcp/approve", post(bcp::approve))
        .route("/bcp/acknowledge", post(bcp::acknowledge))
        .route("/bcp/versions/{id}", get(bcp::version))
        .route("/bcp/versions/{id}/bcp.pdf", get(bcp::pdf))
        .route("/bcp/versions/{id}/bcp.docx", get(bcp::docx))
}
