//! The institution area: first-run setup, sign-in, users and roles, the
//! institution's details and one's own password.

mod account;
mod break_glass;
mod details;
mod setup;
mod sign_in;
mod two_factor;
mod users;

use axum::Router;
use axum::routing::get;

use crate::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/setup", get(setup::new_get).post(setup::new_post))
        .route("/login", get(sign_in::new_get).post(sign_in::new_post))
        .route("/logout", axum::routing::post(sign_in::delete_post))
        .route("/users", get(users::list))
        .route("/users/new", get(users::new_get).post(users::new_post))
        .route(
            "/users/{id}/edit",
            get(users::edit_get).post(users::edit_post),
        )
        .route(
            "/users/{id}/unlock",
            axum::routing::post(users::unlock_post),
        )
        .route(
            "/users/{id}/two-factor/reset",
            axum::routing::post(two_factor::reset_post),
        )
        .route(
            "/login/two-factor",
            get(two_factor::second_factor_get).post(two_factor::second_factor_post),
        )
        .route(
            "/account/two-factor",
            get(two_factor::enrol_get).post(two_factor::enrol_post),
        )
        .route(
            "/account/two-factor/disable",
            axum::routing::post(two_factor::disable_post),
        )
        .route(
            "/institution/two-factor",
            axum::routing::post(two_factor::policy_post),
        )
        .route(
            "/institution/password-rule",
            axum::routing::post(details::password_rule_post),
        )
        .route(
            "/break-glass",
            get(break_glass::reason_get).post(break_glass::reason_post),
        )
        .route(
            "/break-glass/{id}/acknowledge",
            axum::routing::post(break_glass::acknowledge_post),
        )
        .route(
            "/users/{id}/password",
            axum::routing::post(break_glass::reset_password_post),
        )
        .route("/institution", get(details::show))
        .route(
            "/institution/edit",
            get(details::edit_get).post(details::edit_post),
        )
        .route(
            "/account/password",
            get(account::password_get).post(account::password_post),
        )
}

/// A record id from the path (`/users/{id}/…`): anything that is not a positive
/// integer is simply "not found", like an id of another institution.
pub(super) struct IdPath(pub i64);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for IdPath {
    type Rejection = crate::AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let locale = crate::i18n::Locale::from_parts(parts);
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| crate::AppError::not_found(locale))?;
        raw.parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(Self)
            .ok_or(crate::AppError::not_found(locale))
    }
}
