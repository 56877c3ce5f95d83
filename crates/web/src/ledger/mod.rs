//! The ledgers (台帳): the device ledger (使用機器一覧表) with its history,
//! disposal, import and export; carry-out requests (持ち出し).

mod carry_outs;
mod devices;
mod evidence;
pub(crate) mod export;
mod import;
pub(crate) use import::table_message;
mod network;
pub(crate) mod remote;
mod staff;
mod usage;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use mamori_domain::checklist::MAX_UPLOAD_BYTES;
use mamori_domain::ledger::MAX_IMPORT_BYTES;

use crate::AppState;

pub(crate) use evidence::{LedgerBox, checklist_box};

/// The same signed-in person under a reading permission that every role with
/// the writing one also holds (a refused form is shown again on the page that
/// reading permission renders).
pub(crate) fn viewing<P, Q: mamori_domain::institution::permissions::Marker>(
    authorized: &crate::auth::Authorized<P>,
) -> Result<crate::auth::Authorized<Q>, crate::AppError> {
    authorized
        .user
        .principal
        .grant::<Q>()
        .map(|grant| crate::auth::Authorized {
            grant,
            user: authorized.user.clone(),
        })
        .ok_or_else(|| crate::AppError::forbidden(crate::i18n::Locale::Ja))
}

/// Room for one import file plus the form around it.
const IMPORT_BODY_LIMIT: usize = MAX_IMPORT_BYTES + 64 * 1024;
/// Room for one erasure certificate plus the form around it.
const CERTIFICATE_BODY_LIMIT: usize = MAX_UPLOAD_BYTES + 64 * 1024;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/ledger/remote", get(remote::list).post(remote::request))
        .route("/ledger/remote/{id}", get(remote::show))
        .route(
            "/ledger/remote/{id}/step",
            post(remote::step).layer(DefaultBodyLimit::max(CERTIFICATE_BODY_LIMIT)),
        )
        .route("/ledger/remote/{id}/file", get(remote::file))
        .route(
            "/v/{token}/remote",
            get(remote::link_form).post(remote::link_request),
        )
        .route("/ledger/devices", get(devices::list))
        .route(
            "/ledger/devices/new",
            get(devices::new_form).post(devices::create),
        )
        .route("/ledger/devices/export.csv", get(devices::export_csv))
        .route("/ledger/devices/export.xlsx", get(devices::export_xlsx))
        .route("/ledger/devices/print.pdf", get(devices::print_pdf))
        .route(
            "/ledger/devices/import",
            get(import::form)
                .post(import::upload)
                .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
        .route("/ledger/devices/import/{id}/apply", post(import::apply))
        .route(
            "/ledger/devices/import/template.xlsx",
            get(import::template),
        )
        .route("/ledger/devices/{id}", get(devices::show))
        .route(
            "/ledger/devices/{id}/edit",
            get(devices::edit_form).post(devices::update),
        )
        .route(
            "/ledger/devices/{id}/dispose",
            post(devices::dispose).layer(DefaultBodyLimit::max(CERTIFICATE_BODY_LIMIT)),
        )
        .route(
            "/ledger/devices/{id}/certificate",
            get(devices::certificate),
        )
        .route("/ledger/devices/review", post(devices::review))
        .route(
            "/ledger/staff",
            get(staff::list_staff).post(staff::add_staff),
        )
        .route("/ledger/staff/export.csv", get(staff::export_staff_csv))
        .route("/ledger/staff/export.xlsx", get(staff::export_staff_xlsx))
        .route("/ledger/staff/print.pdf", get(staff::print_staff_pdf))
        .route(
            "/ledger/staff/import",
            get(import::staff_form)
                .post(import::staff_upload)
                .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
        .route("/ledger/staff/import/{id}/apply", post(import::staff_apply))
        .route(
            "/ledger/staff/import/template.xlsx",
            get(import::staff_template),
        )
        .route(
            "/ledger/staff/{id}/edit",
            get(staff::edit_staff_form).post(staff::update_staff),
        )
        .route(
            "/ledger/accounts",
            get(staff::list_accounts).post(staff::add_account),
        )
        .route(
            "/ledger/accounts/export.csv",
            get(staff::export_accounts_csv),
        )
        .route(
            "/ledger/accounts/export.xlsx",
            get(staff::export_accounts_xlsx),
        )
        .route("/ledger/accounts/print.pdf", get(staff::print_accounts_pdf))
        .route(
            "/ledger/accounts/import",
            get(import::account_form)
                .post(import::account_upload)
                .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
        .route(
            "/ledger/accounts/import/{id}/apply",
            post(import::account_apply),
        )
        .route(
            "/ledger/accounts/import/template.xlsx",
            get(import::account_template),
        )
        .route("/ledger/accounts/inventory", post(staff::inventory))
        .route("/ledger/accounts/{id}/delete", post(staff::delete_account))
        .route(
            "/ledger/access",
            get(staff::access).post(staff::save_access),
        )
        .route("/ledger/usage", get(usage::usage).post(usage::add_use))
        .route(
            "/ledger/private-devices",
            get(usage::private_devices).post(usage::permit),
        )
        .route(
            "/ledger/private-devices/{id}/deleted",
            post(usage::data_deleted),
        )
        .route("/ledger/network", get(network::show))
        .route("/ledger/network.svg", get(network::svg))
        .route("/ledger/network/segments", post(network::add_segment))
        .route("/ledger/network/links", post(network::add_link))
        .route("/ledger/network/review", post(network::review))
        .route(
            "/ledger/network/segments/{id}/remove",
            post(network::remove_segment),
        )
        .route(
            "/ledger/network/links/{id}/remove",
            post(network::remove_link),
        )
        .route("/carry-outs", get(carry_outs::list))
        .route(
            "/carry-outs/new",
            get(carry_outs::new_form).post(carry_outs::create),
        )
        .route("/carry-outs/{id}", get(carry_outs::show))
        .route("/carry-outs/{id}/step", post(carry_outs::step))
}

/// Picks a choice's Japanese or English name by locale.
pub(crate) fn name_in<T: Copy>(
    locale: crate::i18n::Locale,
    ja: fn(T) -> &'static str,
    en: fn(T) -> &'static str,
) -> fn(T) -> &'static str {
    match locale {
        crate::i18n::Locale::Ja => ja,
        crate::i18n::Locale::En => en,
    }
}

/// A device ledger column's label in `locale`: the export's header in Japanese.
pub(crate) fn device_label(
    locale: crate::i18n::Locale,
    column: &mamori_domain::ledger::Column,
) -> &'static str {
    match locale {
        crate::i18n::Locale::Ja => column.header,
        crate::i18n::Locale::En => crate::i18n::field_label(column.field, locale.messages()),
    }
}

/// A device ledger value as exported (Japanese names of choices) in `locale`.
pub(crate) fn device_value(locale: crate::i18n::Locale, field: &str, value: &str) -> String {
    use mamori_domain::ledger::{Antivirus, DeviceKind, DeviceStatus, parse_yes_no, yes_no_en};
    if locale == crate::i18n::Locale::Ja {
        return value.to_owned();
    }
    let english = match field {
        "kind" => DeviceKind::parse("kind", value)
            .ok()
            .map(DeviceKind::name_en),
        "status" => DeviceStatus::parse("status", value)
            .ok()
            .map(DeviceStatus::name_en),
        "antivirus" => Antivirus::parse("antivirus", value)
            .ok()
            .map(Antivirus::name_en),
        "remote_used"
        | "mds_sds_received"
        | "internet_connected"
        | "initial_password_changed"
        | "external_media_restricted" => parse_yes_no("yes", value).ok().map(yes_no_en),
        _ => None,
    };
    english.map_or_else(|| value.to_owned(), str::to_owned)
}
