//! User administration: list, add, change role or name, deactivate.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_domain::institution::{
    DisplayName, NewUser, PeopleRuleViolation, PlainPassword, RawUser, Role, UserId, hash_password,
    permissions,
};
use mamori_store::people::{User, UserChange};

use super::IdPath;
use crate::auth::{Authorized, CsrfForm};
use crate::i18n::describe;
use crate::page::Chrome;
use crate::{AppError, AppState};

#[derive(Template)]
#[template(path = "institution/users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<User>,
    can_manage: bool,
    now: jiff::Timestamp,
}

impl UsersPage {
    /// Whether `user` is locked out now.
    fn is_locked(&self, user: &User) -> bool {
        user.locked_until.is_some_and(|until| until > self.now)
    }
}

/// The add-user form as posted.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct NewUserForm {
    login_id: String,
    display_name: String,
    role: String,
    password: String,
    break_glass: String,
}

#[derive(Template)]
#[template(path = "institution/user_new.html")]
struct NewUserPage {
    chrome: Chrome,
    form: NewUserForm,
    errors: Vec<String>,
    roles: Vec<(&'static str, &'static str)>,
}

/// The change-user form as posted; an unchecked box is absent, hence the default.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct EditUserForm {
    display_name: String,
    role: String,
    active: String,
}

#[derive(Template)]
#[template(path = "institution/user_edit.html")]
struct EditUserPage {
    chrome: Chrome,
    user: User,
    form: EditUserForm,
    errors: Vec<String>,
    roles: Vec<(&'static str, &'static str)>,
    /// The end of a lock in force, as Japan's local time, if the user is locked.
    locked_until: Option<String>,
}

impl EditUserPage {
    fn new(
        chrome: &Chrome,
        user: User,
        form: EditUserForm,
        errors: Vec<String>,
        now: jiff::Timestamp,
    ) -> Self {
        let locked_until = user.locked_until.filter(|until| *until > now).map(|until| {
            until
                .to_zoned_datetime(crate::tokyo())
                .strftime("%H:%M")
                .to_string()
        });
        Self {
            roles: roles(chrome),
            chrome: chrome.clone(),
            user,
            form,
            errors,
            locked_until,
        }
    }
}

fn roles(chrome: &Chrome) -> Vec<(&'static str, &'static str)> {
    Role::ALL
        .iter()
        .map(|role| (role.code(), chrome.role_name(role)))
        .collect()
}

pub(super) async fn list(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewUsers>,
) -> Result<Response, AppError> {
    let users = mamori_store::people::list(&state.store, &authorized.grant).await?;
    let can_manage = authorized
        .user
        .principal
        .grant::<permissions::ManageUsers>()
        .is_some();
    chrome.render(&UsersPage {
        chrome: chrome.clone(),
        users,
        can_manage,
        now: state.clock.now(),
    })
}

pub(super) async fn new_get(
    chrome: Chrome,
    _authorized: Authorized<permissions::ManageUsers>,
) -> Result<Response, AppError> {
    let form = NewUserForm {
        role: Role::Staff.code().to_owned(),
        ..NewUserForm::default()
    };
    chrome.render(&NewUserPage {
        roles: roles(&chrome),
        chrome: chrome.clone(),
        form,
        errors: Vec::new(),
    })
}

pub(super) async fn new_post(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ManageUsers>,
    CsrfForm(form): CsrfForm<NewUserForm>,
) -> Result<Response, AppError> {
    let raw = RawUser {
        login_id: &form.login_id,
        display_name: &form.display_name,
        role: &form.role,
    };
    let mut errors: Vec<String> = Vec::new();
    let policy =
        mamori_store::institution::password_policy(&state.store, &authorized.grant, None).await?;
    let new_user = NewUser::parse(raw)
        .map_err(|e| errors.extend(e.iter().map(|e| describe(e, chrome.locale))))
        .ok()
        .map(|new_user| new_user.with_break_glass(form.break_glass == "on"));
    let password =
        PlainPassword::parse_new(&form.password, policy, &form.login_id, &form.display_name)
            .map_err(|e| errors.push(describe(&e, chrome.locale)))
            .ok();
    let (Some(new_user), Some(password), true) = (new_user, password, errors.is_empty()) else {
        return chrome.render_with_status(
            StatusCode::BAD_REQUEST,
            &NewUserPage {
                roles: roles(&chrome),
                chrome: chrome.clone(),
                form,
                errors,
            },
        );
    };
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|error| AppError::Unexpected(error.to_string()))?
        .map_err(AppError::Unexpected)?;
    let result = mamori_store::people::insert(
        &state.store,
        &authorized.grant,
        &new_user,
        &password_hash,
        state.clock.now(),
    )
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/users?done=user_created").into_response()),
        Err(error) => {
            let errors = vec![store_error_message(&chrome, error)?];
            chrome.render_with_status(
                StatusCode::BAD_REQUEST,
                &NewUserPage {
                    roles: roles(&chrome),
                    chrome: chrome.clone(),
                    form,
                    errors,
                },
            )
        }
    }
}

pub(super) async fn edit_get(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ManageUsers>,
    IdPath(id): IdPath,
) -> Result<Response, AppError> {
    let user_id = UserId::from_db(id);
    let user = mamori_store::people::get(&state.store, &authorized.grant, user_id)
        .await
        .map_err(|error| AppError::from_store(chrome.locale, error))?;
    let form = EditUserForm {
        display_name: user.display_name.as_str().to_owned(),
        role: user.role.code().to_owned(),
        active: if user.active {
            "on".to_owned()
        } else {
            String::new()
        },
    };
    chrome.render(&EditUserPage::new(
        &chrome,
        user,
        form,
        Vec::new(),
        state.clock.now(),
    ))
}

pub(super) async fn edit_post(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ManageUsers>,
    IdPath(id): IdPath,
    CsrfForm(form): CsrfForm<EditUserForm>,
) -> Result<Response, AppError> {
    let user_id = UserId::from_db(id);
    let user = mamori_store::people::get(&state.store, &authorized.grant, user_id)
        .await
        .map_err(|error| AppError::from_store(chrome.locale, error))?;
    let mut errors = Vec::new();
    let display_name = DisplayName::parse(&form.display_name)
        .map_err(|e| errors.push(describe(&e, chrome.locale)))
        .ok();
    let role = Role::from_code(&form.role)
        .map_err(|e| errors.push(describe(&e, chrome.locale)))
        .ok();
    if let (Some(display_name), Some(role)) = (display_name, role) {
        let change = UserChange {
            display_name,
            role,
            active: form.active == "on",
        };
        match mamori_store::people::update(
            &state.store,
            &authorized.grant,
            user_id,
            &change,
            state.clock.now(),
        )
        .await
        {
            Ok(()) => return Ok(Redirect::to("/users?done=user_updated").into_response()),
            Err(error) => errors.push(store_error_message(&chrome, error)?),
        }
    }
    chrome.render_with_status(
        StatusCode::BAD_REQUEST,
        &EditUserPage::new(&chrome, user, form, errors, state.clock.now()),
    )
}

pub(super) async fn unlock_post(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ManageUsers>,
    IdPath(id): IdPath,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> Result<Response, AppError> {
    let user_id = UserId::from_db(id);
    mamori_store::people::unlock(&state.store, &authorized.grant, user_id, state.clock.now())
        .await
        .map_err(|error| AppError::from_store(chrome.locale, error))?;
    Ok(Redirect::to("/users?done=user_unlocked").into_response())
}

/// The message for a store error the user can fix; anything else is ours.
fn store_error_message(chrome: &Chrome, error: mamori_store::Error) -> Result<String, AppError> {
    let t = chrome.t;
    Ok(match error {
        mamori_store::Error::Conflict(_) => t.login_id_taken.to_owned(),
        mamori_store::Error::Rule(PeopleRuleViolation::SecurityManagerRoleReserved) => {
            t.rule_security_manager_reserved.to_owned()
        }
        mamori_store::Error::Rule(PeopleRuleViolation::LastSecurityManager) => {
            t.rule_last_security_manager.to_owned()
        }
        mamori_store::Error::Rule(PeopleRuleViolation::OwnAccount) => t.rule_own_account.to_owned(),
        other => return Err(AppError::from_store(chrome.locale, other)),
    })
}
