//! People: users with login IDs unique in their institution, their roles, and the permissions roles grant.
//!
//! A `Grant<P>` is proof that a signed-in person holds permission `P` within one
//! institution. Store functions that change or reveal tenant data take a grant, so a
//! path that skipped the permission check does not compile, and the institution id
//! always comes from the grant, never from the request.

use std::fmt;
use std::marker::PhantomData;

use super::InstitutionId;
use crate::error::required_text;
use crate::{ParseError, ParseErrorKind};

/// The id of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(i64);

impl UserId {
    /// Wraps a database id; only the store and route parsing should call this.
    pub fn from_db(raw: i64) -> Self {
        Self(raw)
    }

    /// The database id.
    pub fn get(&self) -> i64 {
        self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A login ID: 3–64 characters of lower-case ASCII letters, digits, `.`, `_` and `-`,
/// starting with a letter or digit. Unique within its institution, so one ID is
/// one person there; another institution on the same server may use it too.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LoginId(String);

impl LoginId {
    /// Parses a login ID; upper-case letters are folded to lower case.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        parse_ascii_name("login_id", raw, 3, 64, &['.', '_', '-']).map(Self)
    }

    /// The ID.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An institution's sign-in code (施設コード): 2–32 lower-case ASCII letters,
/// digits, `_` and `-`, starting with a letter or digit, unique on the server.
/// It names the institution at sign-in when a server holds more than one
/// (hosted mode); an association may use its members' 医療機関コード.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InstitutionCode(String);

impl InstitutionCode {
    /// Parses a code; upper-case letters are folded to lower case.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        parse_ascii_name("institution_code", raw, 2, 32, &['_', '-']).map(Self)
    }

    /// The code given to an institution created without one: `m` and its id,
    /// zero-padded to four digits (as the migration gave existing ones).
    pub fn for_id(id: InstitutionId) -> Self {
        Self(format!("m{:04}", id.get()))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Trims and lower-cases `raw` and checks it is `min`–`max` ASCII letters,
/// digits and `punctuation`, starting with a letter or digit.
fn parse_ascii_name(
    field: &'static str,
    raw: &str,
    min: usize,
    max: usize,
    punctuation: &[char],
) -> Result<String, ParseError> {
    let name = raw.trim().to_ascii_lowercase();
    let kind = if name.is_empty() {
        Some(ParseErrorKind::Empty)
    } else if name.len() < min {
        Some(ParseErrorKind::TooShort { min })
    } else if name.len() > max {
        Some(ParseErrorKind::TooLong { max })
    } else if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || punctuation.contains(&c))
    {
        Some(ParseErrorKind::BadFormat(if punctuation.contains(&'.') {
            "only a-z, 0-9, '.', '_' and '-' are allowed"
        } else {
            "only a-z, 0-9, '_' and '-' are allowed"
        }))
    } else if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        Some(ParseErrorKind::BadFormat(
            "must start with a letter or digit",
        ))
    } else {
        None
    };
    match kind {
        Some(kind) => Err(ParseError::new(field, kind)),
        None => Ok(name),
    }
}

/// A person's name as shown in the UI (氏名), 1–100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Parses a name; surrounding white space is removed.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        required_text("display_name", raw, 100).map(Self)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A role in the institution's security organisation (policy 第3条, 第10条).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// 医療情報システム安全管理責任者: the institution's administrator.
    SecurityManager,
    /// (医療情報システム) 企画管理者: plans and runs the security measures.
    PlanningManager,
    /// システム運用担当者: operates the systems day to day.
    SystemOperator,
    /// 職員: every member of staff.
    Staff,
    /// 閲覧: read-only, e.g. for an inspector (立入検査).
    Viewer,
    /// 外部事業者: a vendor, limited to the forms sent to it.
    Vendor,
}

impl Role {
    /// All roles, from most to least privileged.
    pub const ALL: [Self; 6] = [
        Self::SecurityManager,
        Self::PlanningManager,
        Self::SystemOperator,
        Self::Staff,
        Self::Viewer,
        Self::Vendor,
    ];

    /// The stable code stored in the database and sent by forms.
    pub fn code(self) -> &'static str {
        match self {
            Self::SecurityManager => "security_manager",
            Self::PlanningManager => "planning_manager",
            Self::SystemOperator => "system_operator",
            Self::Staff => "staff",
            Self::Viewer => "viewer",
            Self::Vendor => "vendor",
        }
    }

    /// Parses a code written by [`Role::code`].
    pub fn from_code(code: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|role| role.code() == code.trim())
            .ok_or(ParseError::new("role", ParseErrorKind::UnknownChoice))
    }

    /// The Japanese name.
    pub fn name_ja(self) -> &'static str {
        match self {
            Self::SecurityManager => "医療情報システム安全管理責任者",
            Self::PlanningManager => "企画管理者",
            Self::SystemOperator => "システム運用担当者",
            Self::Staff => "職員",
            Self::Viewer => "閲覧",
            Self::Vendor => "外部事業者",
        }
    }

    /// The English name.
    pub fn name_en(self) -> &'static str {
        match self {
            Self::SecurityManager => "Security manager",
            Self::PlanningManager => "Planning manager",
            Self::SystemOperator => "System operator",
            Self::Staff => "Staff",
            Self::Viewer => "Read-only viewer",
            Self::Vendor => "External vendor",
        }
    }

    /// Whether this role holds `permission`. This table is the one place that decides.
    pub fn has(self, permission: Permission) -> bool {
        use Permission as P;
        use Role as R;
        match permission {
            P::ViewDashboard | P::ViewInstitution => !matches!(self, R::Vendor),
            P::ViewUsers => matches!(
                self,
                R::SecurityManager | R::PlanningManager | R::SystemOperator | R::Viewer
            ),
            P::ManageUsers => matches!(self, R::SecurityManager | R::PlanningManager),
            P::ManageSecurityManagers | P::EditInstitution => matches!(self, R::SecurityManager),
            P::ViewAuditTrail => {
                matches!(self, R::SecurityManager | R::PlanningManager | R::Viewer)
            }
            P::ChangeOwnPassword => true,
            P::ViewChecklist => matches!(
                self,
                R::SecurityManager | R::PlanningManager | R::SystemOperator | R::Viewer
            ),
            P::EditChecklistVersions => matches!(self, R::SecurityManager),
            P::EditChecklist | P::ManageVendors => {
                matches!(self, R::SecurityManager | R::PlanningManager)
            }
            P::ViewLedger => matches!(
                self,
                R::SecurityManager | R::PlanningManager | R::SystemOperator | R::Viewer
            ),
            P::EditLedger => matches!(
                self,
                R::SecurityManager | R::PlanningManager | R::SystemOperator
            ),
            P::ViewCarryOuts => !matches!(self, R::Vendor),
            P::RequestCarryOut | P::RecordUse => !matches!(self, R::Vendor | R::Viewer),
            P::ApproveCarryOut => matches!(self, R::SecurityManager | R::PlanningManager),
            P::ViewBcp => !matches!(self, R::Vendor),
            P::EditBcp => matches!(self, R::SecurityManager | R::PlanningManager),
            P::ApproveBcp => matches!(self, R::SecurityManager),
            P::ReportIncident => true,
            P::ViewIncidents => matches!(
                self,
                R::SecurityManager | R::PlanningManager | R::SystemOperator | R::Viewer
            ),
            P::HandleIncidents => matches!(self, R::SecurityManager | R::PlanningManager),
            P::ViewContacts => !matches!(self, R::Vendor),
            P::AnswerVendorManual => matches!(self, R::Vendor),
            P::ViewPolicy => !matches!(self, R::Vendor),
            P::EditPolicy => matches!(self, R::SecurityManager | R::PlanningManager),
            P::ApprovePolicy => matches!(self, R::SecurityManager),
            P::RecordTraining => matches!(self, R::SecurityManager | R::PlanningManager),
            P::ApproveMaintenance => matches!(self, R::SecurityManager | R::PlanningManager),
            P::ViewAccessLogs => matches!(
                self,
                R::SecurityManager | R::PlanningManager | R::SystemOperator | R::Viewer
            ),
            P::ReviewAccessLogs => matches!(self, R::SecurityManager | R::PlanningManager),
        }
    }
}

/// Something a role may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// See the dashboard.
    ViewDashboard,
    /// See the institution's details.
    ViewInstitution,
    /// Change the institution's details.
    EditInstitution,
    /// List users and their roles.
    ViewUsers,
    /// Add, change and deactivate users other than 安全管理責任者.
    ManageUsers,
    /// Grant, change or remove the 安全管理責任者 role.
    ManageSecurityManagers,
    /// Read the audit trail.
    ViewAuditTrail,
    /// Change one's own password.
    ChangeOwnPassword,
    /// Read the checklists, their evidence and print them (an inspector may).
    ViewChecklist,
    /// Answer the checklists and attach evidence.
    EditChecklist,
    /// Make a new version of a checklist form (a new 年度's wording) and
    /// publish it for the institution (安全管理責任者 only).
    EditChecklistVersions,
    /// Keep the list of vendors (ベンダ) and send them the 事業者確認用 form.
    ManageVendors,
    /// Read the ledgers (台帳) and export them (an inspector may).
    ViewLedger,
    /// Add, change, import and dispose of ledger records.
    EditLedger,
    /// See carry-out requests (one's own, or all of them with [`Permission::ViewLedger`]),
    /// the usage log and private-device permissions.
    ViewCarryOuts,
    /// Ask to take information or a device out (持ち出し申請).
    RequestCarryOut,
    /// Approve or reject carry-out requests (企画管理者, 第13条(1)①).
    ApproveCarryOut,
    /// Write the usage log (使用管理簿, 第6条) and private-device permissions (第7条).
    RecordUse,
    /// Read the approved BCP (別紙3) and acknowledge having read it (every member of staff).
    ViewBcp,
    /// Write the institution's answers into the BCP and see who has read it.
    EditBcp,
    /// Approve a version of the BCP (安全管理責任者 only).
    ApproveBcp,
    /// Report something wrong (不具合発生報告書): everyone signed in.
    ReportIncident,
    /// Read incidents, their timelines and files (an inspector may).
    ViewIncidents,
    /// Handle incidents: status, notes, playbook steps, decisions (企画管理者,
    /// 安全管理責任者); they also see the banner of a new report.
    HandleIncidents,
    /// Read the contact chart (連絡体制図) and enter one's own number: every
    /// member of the institution, not a vendor's account.
    ViewContacts,
    /// Answer the vendors' manual (IV) on the incidents one's vendor account
    /// was called into, and nothing else of them (外部事業者 only).
    AnswerVendorManual,
    /// Read the approved security policy (第1–16条, 【別紙2】): every member
    /// of the institution, not a vendor's account.
    ViewPolicy,
    /// Answer the policy's choices and see the draft (企画管理者, 安全管理責任者).
    EditPolicy,
    /// Approve a version of the policy (安全管理責任者 only).
    ApprovePolicy,
    /// Record training sessions and drills (企画管理者, 安全管理責任者); those
    /// who read the ledgers read them.
    RecordTraining,
    /// Approve or reject a remote maintenance session beforehand (企画管理者,
    /// 安全管理責任者; 第4条, 【別紙1】).
    ApproveMaintenance,
    /// Read the access logs' monthly review, search them and export what is
    /// found (an inspector may).
    ViewAccessLogs,
    /// Sign off the monthly review of the access logs (企画管理者,
    /// 安全管理責任者; 第10条(4)).
    ReviewAccessLogs,
}

/// A rule about people that a change would break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PeopleRuleViolation {
    /// Only a 安全管理責任者 may give or take the 安全管理責任者 role.
    #[error("only a security manager may assign or change a security manager")]
    SecurityManagerRoleReserved,
    /// The institution must keep at least one active 安全管理責任者 (第3条(1)).
    #[error("the last active security manager cannot be removed")]
    LastSecurityManager,
    /// Nobody may deactivate or demote their own account.
    #[error("you cannot deactivate or demote your own account")]
    OwnAccount,
}

/// Marker types, one per permission, for [`Grant`].
pub mod permissions {
    use super::Permission;

    /// A permission known at compile time.
    pub trait Marker: Send + Sync + 'static {
        /// The permission the marker stands for.
        const PERMISSION: Permission;
    }

    macro_rules! marker {
        ($($name:ident),*) => {$(
            #[doc = concat!("Marker for [`Permission::", stringify!($name), "`].")]
            #[derive(Debug, Clone, Copy)]
            pub struct $name;
            impl Marker for $name {
                const PERMISSION: Permission = Permission::$name;
            }
        )*};
    }

    marker!(
        ViewDashboard,
        ViewInstitution,
        EditInstitution,
        ViewUsers,
        ManageUsers,
        ViewAuditTrail,
        ChangeOwnPassword,
        ViewChecklist,
        EditChecklist,
        EditChecklistVersions,
        ManageVendors,
        ViewLedger,
        EditLedger,
        ViewCarryOuts,
        RequestCarryOut,
        ApproveCarryOut,
        RecordUse,
        ViewBcp,
        EditBcp,
        ApproveBcp,
        ReportIncident,
        ViewIncidents,
        HandleIncidents,
        ViewContacts,
        AnswerVendorManual,
        ViewPolicy,
        EditPolicy,
        ApprovePolicy,
        RecordTraining,
        ApproveMaintenance,
        ViewAccessLogs,
        ReviewAccessLogs
    );

    /// Permissions that allow reading the access logs.
    pub trait ReadsAccessLogs: Marker {}
    impl ReadsAccessLogs for ViewAccessLogs {}
    impl ReadsAccessLogs for ReviewAccessLogs {}

    /// Permissions that allow reading the approved policy.
    pub trait ReadsPolicy: Marker {}
    impl ReadsPolicy for ViewPolicy {}
    impl ReadsPolicy for EditPolicy {}
    impl ReadsPolicy for ApprovePolicy {}

    /// Permissions that allow reading incidents.
    pub trait ReadsIncidents: Marker {}
    impl ReadsIncidents for ViewIncidents {}
    impl ReadsIncidents for HandleIncidents {}

    /// Permissions that allow reading the BCP.
    pub trait ReadsBcp: Marker {}
    impl ReadsBcp for ViewBcp {}
    impl ReadsBcp for EditBcp {}
    impl ReadsBcp for ApproveBcp {}

    /// Permissions that allow reading the ledgers.
    pub trait ReadsLedger: Marker {}
    impl ReadsLedger for ViewLedger {}
    impl ReadsLedger for EditLedger {}
    impl ReadsLedger for RecordTraining {}

    /// Permissions that allow reading the checklists.
    pub trait ReadsChecklist: Marker {}
    impl ReadsChecklist for ViewChecklist {}
    impl ReadsChecklist for EditChecklist {}
    impl ReadsChecklist for ManageVendors {}
    impl ReadsChecklist for EditChecklistVersions {}

    /// Permissions that allow reading the institution's user list.
    pub trait ReadsUsers: Marker {}
    impl ReadsUsers for ViewUsers {}
    impl ReadsUsers for ManageUsers {}
}

/// The signed-in person, as loaded from a live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    user_id: UserId,
    institution_id: InstitutionId,
    role: Role,
}

impl Principal {
    /// A principal; only session loading should call this.
    pub fn new(user_id: UserId, institution_id: InstitutionId, role: Role) -> Self {
        Self {
            user_id,
            institution_id,
            role,
        }
    }

    /// The person.
    pub fn user_id(&self) -> UserId {
        self.user_id
    }

    /// The institution the person belongs to.
    pub fn institution_id(&self) -> InstitutionId {
        self.institution_id
    }

    /// The person's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Proof that this person holds `P`, or `None` when the role does not.
    pub fn grant<P: permissions::Marker>(&self) -> Option<Grant<P>> {
        self.role.has(P::PERMISSION).then(|| Grant {
            principal: self.clone(),
            permission: PhantomData,
        })
    }
}

/// Proof that `principal` holds permission `P` in its institution.
#[derive(Debug, Clone)]
pub struct Grant<P> {
    principal: Principal,
    permission: PhantomData<P>,
}

impl<P> Grant<P> {
    /// The institution the grant is limited to.
    pub fn institution_id(&self) -> InstitutionId {
        self.principal.institution_id
    }

    /// Who acts.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }
}

impl Grant<permissions::ManageUsers> {
    /// Checks a change of `target`'s role from `old_role` to `new_role` (the same
    /// role when only the name changes) and whether it stays `active`.
    /// `n_active_security_managers` counts the institution's active 安全管理責任者
    /// before the change.
    pub fn check_change(
        &self,
        target: UserId,
        old_role: Option<Role>,
        new_role: Role,
        active: bool,
        n_active_security_managers: i64,
    ) -> Result<(), PeopleRuleViolation> {
        let touches_security_manager =
            old_role == Some(Role::SecurityManager) || new_role == Role::SecurityManager;
        if touches_security_manager && !self.principal.role.has(Permission::ManageSecurityManagers)
        {
            return Err(PeopleRuleViolation::SecurityManagerRoleReserved);
        }
        let is_self = target == self.principal.user_id;
        if is_self && (!active || new_role != self.principal.role) {
            return Err(PeopleRuleViolation::OwnAccount);
        }
        let removes_security_manager = old_role == Some(Role::SecurityManager)
            && (new_role != Role::SecurityManager || !active);
        if removes_security_manager && n_active_security_managers <= 1 {
            return Err(PeopleRuleViolation::LastSecurityManager);
        }
        Ok(())
    }
}

/// The raw strings of a user form, before parsing.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawUser<'a> {
    /// ログインID
    pub login_id: &'a str,
    /// 氏名
    pub display_name: &'a str,
    /// 役割 code
    pub role: &'a str,
}

/// A validated new user (without the password, which is parsed with its own policy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    login_id: LoginId,
    display_name: DisplayName,
    role: Role,
    break_glass: bool,
}

impl NewUser {
    /// Parses every field and returns all the errors found.
    pub fn parse(raw: RawUser<'_>) -> Result<Self, Vec<ParseError>> {
        let mut errors = Vec::new();
        let login_id = LoginId::parse(raw.login_id)
            .map_err(|e| errors.push(e))
            .ok();
        let display_name = DisplayName::parse(raw.display_name)
            .map_err(|e| errors.push(e))
            .ok();
        let role = Role::from_code(raw.role).map_err(|e| errors.push(e)).ok();
        match (login_id, display_name, role) {
            (Some(login_id), Some(display_name), Some(role)) => Ok(Self {
                login_id,
                display_name,
                role,
                break_glass: false,
            }),
            _ => Err(errors),
        }
    }

    /// Marks the account as a 非常時用アカウント (break-glass, 第4条⑰): each use
    /// needs a stated reason, alerts the 安全管理責任者, and spends the account until
    /// its password is reset.
    pub fn with_break_glass(mut self, break_glass: bool) -> Self {
        self.break_glass = break_glass;
        self
    }

    /// Whether this is a break-glass account.
    pub fn is_break_glass(&self) -> bool {
        self.break_glass
    }

    /// ログインID
    pub fn login_id(&self) -> &LoginId {
        &self.login_id
    }
    /// 氏名
    pub fn display_name(&self) -> &DisplayName {
        &self.display_name
    }
    /// 役割
    pub fn role(&self) -> Role {
        self.role
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_ids_are_folded_and_checked() {
        assert_eq!(
            LoginId::parse(" Tanaka.Hanako ").map(|l| l.0),
            Ok("tanaka.hanako".to_owned())
        );
        for bad in [
            "",
            "ab",
            "田中",
            "a b",
            "-abc",
            "x".repeat(65).as_str(),
            "abc;drop",
        ] {
            assert!(LoginId::parse(bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn institution_codes_are_folded_and_checked() {
        assert_eq!(
            InstitutionCode::parse(" Handa-Clinic ").map(|c| c.0),
            Ok("handa-clinic".to_owned())
        );
        assert_eq!(
            InstitutionCode::parse("3612345678").map(|c| c.0),
            Ok("3612345678".to_owned())
        );
        assert_eq!(
            InstitutionCode::for_id(InstitutionId::from_db(7)).as_str(),
            "m0007"
        );
        for bad in ["", "a", "半田", "a.b", "_ab", "x".repeat(33).as_str()] {
            assert!(
                InstitutionCode::parse(bad).is_err(),
                "{bad:?} must be refused"
            );
        }
    }

    #[test]
    fn role_codes_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::from_code(role.code()), Ok(role));
        }
        assert!(Role::from_code("root").is_err());
    }

    #[test]
    fn the_permission_table_is_least_privilege() {
        use Permission as P;
        // Only the 安全管理責任者 may grant the 安全管理責任者 role or edit the institution.
        let may = |permission| {
            Role::ALL
                .into_iter()
                .filter(|role| role.has(permission))
                .collect::<Vec<_>>()
        };
        assert_eq!(may(P::ManageSecurityManagers), vec![Role::SecurityManager]);
        assert_eq!(may(P::EditInstitution), vec![Role::SecurityManager]);
        assert_eq!(
            may(P::ManageUsers),
            vec![Role::SecurityManager, Role::PlanningManager]
        );
        // A vendor sees nothing of the institution; a viewer reads but never writes.
        assert!(!may(P::ViewDashboard).contains(&Role::Vendor));
        // Only a vendor's account answers the vendors' manual (IV), and it reads
        // no incident otherwise.
        assert_eq!(may(P::AnswerVendorManual), vec![Role::Vendor]);
        assert_eq!(may(P::ApprovePolicy), vec![Role::SecurityManager]);
        assert!(!may(P::ViewPolicy).contains(&Role::Vendor));
        assert!(!may(P::ViewIncidents).contains(&Role::Vendor));
        for write in [
            P::EditInstitution,
            P::ManageUsers,
            P::ManageSecurityManagers,
        ] {
            assert!(!Role::Viewer.has(write));
            assert!(!Role::Staff.has(write));
            assert!(!Role::Vendor.has(write));
        }
    }

    #[test]
    fn people_rules_protect_the_security_manager_role() {
        let manager = Principal::new(
            UserId::from_db(1),
            InstitutionId::from_db(1),
            Role::SecurityManager,
        );
        let planner = Principal::new(
            UserId::from_db(2),
            InstitutionId::from_db(1),
            Role::PlanningManager,
        );
        let manager_grant = manager.grant::<permissions::ManageUsers>().expect("grant");
        let planner_grant = planner.grant::<permissions::ManageUsers>().expect("grant");
        let other = UserId::from_db(9);
        assert_eq!(
            planner_grant.check_change(other, None, Role::SecurityManager, true, 1),
            Err(PeopleRuleViolation::SecurityManagerRoleReserved)
        );
        assert_eq!(
            planner_grant.check_change(other, None, Role::Staff, true, 1),
            Ok(())
        );
        assert_eq!(
            manager_grant.check_change(
                UserId::from_db(1),
                Some(Role::SecurityManager),
                Role::Staff,
                true,
                2
            ),
            Err(PeopleRuleViolation::OwnAccount)
        );
        assert_eq!(
            manager_grant.check_change(
                other,
                Some(Role::SecurityManager),
                Role::SecurityManager,
                false,
                1
            ),
            Err(PeopleRuleViolation::LastSecurityManager)
        );
        assert_eq!(
            manager_grant.check_change(other, Some(Role::SecurityManager), Role::Staff, true, 2),
            Ok(())
        );
    }

    #[test]
    fn a_grant_carries_the_principals_institution() {
        let principal = Principal::new(
            UserId::from_db(7),
            InstitutionId::from_db(3),
            Role::PlanningManager,
        );
        let grant = principal
            .grant::<permissions::ManageUsers>()
            .expect("planning manager manages users");
        assert_eq!(grant.institution_id(), InstitutionId::from_db(3));
        let staff = Principal::new(UserId::from_db(8), InstitutionId::from_db(3), Role::Staff);
        assert!(staff.grant::<permissions::ManageUsers>().is_none());
    }
}
