//! The store's story, run on SQLite and, with `TEST_DATABASE_URL`, on PostgreSQL:
//! setup, tenants, people and their rules, sessions and the audit events of each change.

use jiff::{SignedDuration, Timestamp};
use mamori_domain::institution::{
    DisplayName, LoginId, NewInstitution, NewUser, PasswordHash, PeopleRuleViolation, Principal,
    RawInstitution, RawUser, Role, permissions,
};
use mamori_store::people::UserChange;
use mamori_store::testing::TestDatabase;
use mamori_store::{Error, Store};

fn institution(name: &str) -> NewInstitution {
    NewInstitution::parse(RawInstitution {
        name,
        kind: "clinic_with_beds",
        bed_count: "19",
        prefecture: "徳島県",
        address: "徳島市1-1",
        phone: "088-000-0000",
    })
    .expect("valid institution")
}

fn user(login_id: &str, role: Role) -> NewUser {
    NewUser::parse(RawUser {
        login_id,
        display_name: "試験 太郎",
        role: role.code(),
    })
    .expect("valid user")
}

/// A hash is opaque to the store; the web layer makes real ones.
fn hash() -> PasswordHash {
    PasswordHash::from_stored(
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".into(),
    )
}

/// First-run setup of institution `name` with its security manager "admin";
/// returns that admin as a principal.
async fn set_up_admin(store: &Store, name: &str, now: Timestamp) -> Principal {
    let (institution_id, admin_id) = mamori_store::institution::set_up_first(
        store,
        &institution(name),
        None,
        &user("admin", Role::SecurityManager),
        &hash(),
        now,
    )
    .await
    .expect("setup");
    Principal::new(admin_id, institution_id, Role::SecurityManager)
}

async fn open() -> (TestDatabase, Store) {
    let database = TestDatabase::create().await;
    let store = Store::open(database.url()).await.expect("open");
    (database, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_are_idempotent_and_setup_happens_once_even_when_raced() {
    let (database, store) = open().await;
    Store::open(database.url())
        .await
        .expect("a second open migrates nothing and succeeds");
    assert!(
        !mamori_store::institution::is_set_up(&store)
            .await
            .expect("query")
    );
    let now = Timestamp::now();
    let race = |name: &'static str, login_id: &'static str| {
        let store = store.clone();
        tokio::spawn(async move {
            let (institution, admin) = (institution(name), user(login_id, Role::SecurityManager));
            mamori_store::institution::set_up_first(
                &store,
                &institution,
                None,
                &admin,
                &hash(),
                now,
            )
            .await
        })
    };
    let (first, second) = (race("一", "one"), race("二", "two"));
    let (first, second) = (first.await.expect("task"), second.await.expect("task"));
    let n_ok = [first.is_ok(), second.is_ok()]
        .iter()
        .filter(|ok| **ok)
        .count();
    assert_eq!(n_ok, 1, "{first:?} {second:?}");
    let refused = if first.is_ok() { second } else { first };
    assert!(
        matches!(refused, Err(Error::AlreadySetUp) | Err(Error::Database(_))),
        "{refused:?}"
    );
    assert_eq!(
        mamori_store::institution::list_all_for_operator(&store)
            .await
            .expect("list")
            .len(),
        1
    );
    assert!(
        mamori_store::institution::is_set_up(&store)
            .await
            .expect("query")
    );
}

#[tokio::test]
async fn tenants_see_only_their_own_people() {
    let (_database, store) = open().await;
    let now = Timestamp::now();
    let (a, a_admin) = mamori_store::institution::set_up_first(
        &store,
        &institution("甲"),
        None,
        &user("a-admin", Role::SecurityManager),
        &hash(),
        now,
    )
    .await
    .expect("setup");
    let (b, b_admin) = mamori_store::institution::create_by_operator(
        &store,
        &institution("乙"),
        None,
        &user("b-admin", Role::SecurityManager),
        &hash(),
        now,
    )
    .await
    .expect("operator");
    let a_grant = Principal::new(a_admin, a, Role::SecurityManager)
        .grant::<permissions::ManageUsers>()
        .expect("grant");
    let b_grant = Principal::new(b_admin, b, Role::SecurityManager)
        .grant::<permissions::ManageUsers>()
        .expect("grant");
    let a_staff = mamori_store::people::insert(
        &store,
        &a_grant,
        &user("a-staff", Role::Staff),
        &hash(),
        now,
    )
    .await
    .expect("insert");

    let a_list = mamori_store::people::list(&store, &a_grant)
        .await
        .expect("list");
    assert_eq!(
        a_list
            .iter()
            .map(|u| u.login_id.as_str())
            .collect::<Vec<_>>(),
        ["a-admin", "a-staff"]
    );
    assert!(matches!(
        mamori_store::people::get(&store, &b_grant, a_staff).await,
        Err(Error::NotFound)
    ));
    let change = UserChange {
        display_name: DisplayName::parse("乗っ取り").expect("name"),
        role: Role::Viewer,
        active: false,
    };
    assert!(matches!(
        mamori_store::people::update(&store, &b_grant, a_staff, &change, now).await,
        Err(Error::NotFound)
    ));
    let unchanged = mamori_store::people::get(&store, &a_grant, a_staff)
        .await
        .expect("get");
    assert!(unchanged.active && unchanged.role == Role::Staff);

    // Login IDs are unique per institution: B may use A's, but not its own twice.
    mamori_store::people::insert(
        &store,
        &b_grant,
        &user("a-staff", Role::Staff),
        &hash(),
        now,
    )
    .await
    .expect("the same login ID in another institution");
    let duplicate = mamori_store::people::insert(
        &store,
        &b_grant,
        &user("a-staff", Role::Staff),
        &hash(),
        now,
    )
    .await;
    assert!(
        matches!(duplicate, Err(Error::Conflict("login_id"))),
        "{duplicate:?}"
    );
    let b_view = Principal::new(b_admin, b, Role::SecurityManager)
        .grant::<permissions::ViewInstitution>()
        .expect("grant");
    assert_eq!(
        mamori_store::institution::get(&store, &b_view)
            .await
            .expect("get")
            .details
            .name(),
        "乙"
    );
}

#[tokio::test]
async fn people_rules_hold_in_the_store_and_every_change_is_audited() {
    let (_database, store) = open().await;
    let now = Timestamp::now();
    let admin = set_up_admin(&store, "丙", now).await;
    let (institution_id, admin_id) = (admin.institution_id(), admin.user_id());
    let manage = admin.grant::<permissions::ManageUsers>().expect("grant");
    let planner_id = mamori_store::people::insert(
        &store,
        &manage,
        &user("planner", Role::PlanningManager),
        &hash(),
        now,
    )
    .await
    .expect("insert");
    let planner = Principal::new(planner_id, institution_id, Role::PlanningManager)
        .grant::<permissions::ManageUsers>()
        .expect("grant");
    let refused = mamori_store::people::insert(
        &store,
        &planner,
        &user("boss", Role::SecurityManager),
        &hash(),
        now,
    )
    .await;
    assert!(
        matches!(
            refused,
            Err(Error::Rule(
                PeopleRuleViolation::SecurityManagerRoleReserved
            ))
        ),
        "{refused:?}"
    );
    let self_demotion = UserChange {
        display_name: DisplayName::parse("管理").expect("name"),
        role: Role::Staff,
        active: true,
    };
    let refused =
        mamori_store::people::update(&store, &manage, admin_id, &self_demotion, now).await;
    assert!(
        matches!(refused, Err(Error::Rule(PeopleRuleViolation::OwnAccount))),
        "{refused:?}"
    );

    let rename = UserChange {
        display_name: DisplayName::parse("企画 花子").expect("name"),
        role: Role::PlanningManager,
        active: true,
    };
    mamori_store::people::update(&store, &manage, planner_id, &rename, now)
        .await
        .expect("update");
    let audit = admin.grant::<permissions::ViewAuditTrail>().expect("grant");
    let events = mamori_store::audit_log::list_recent(&store, &audit, 50)
        .await
        .expect("events");
    let actions: Vec<&str> = events.iter().map(|event| event.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "user.update",
            "user.create",
            "user.create",
            "institution.create"
        ]
    );
    let update: serde_json::Value = serde_json::from_str(&events[0].detail).expect("json");
    assert_eq!(update["before"]["display_name"], "試験 太郎");
    assert_eq!(update["after"]["display_name"], "企画 花子");
    assert_eq!(events[0].actor_label, "admin");
    assert_eq!(events[0].target, format!("user:{planner_id}"));
}

#[tokio::test]
async fn sessions_expire_when_idle_or_old_and_end_with_deactivation() {
    let (_database, store) = open().await;
    let start = Timestamp::now();
    let admin = set_up_admin(&store, "丁", start).await;
    let institution_id = admin.institution_id();
    let manage = admin.grant::<permissions::ManageUsers>().expect("grant");
    let staff_id =
        mamori_store::people::insert(&store, &manage, &user("staff", Role::Staff), &hash(), start)
            .await
            .expect("insert");
    let idle = SignedDuration::from_mins(30);
    let later = |minutes: i64| {
        start
            .checked_add(SignedDuration::from_mins(minutes))
            .expect("time")
    };
    mamori_store::session::create(
        &store,
        staff_id,
        "hash-1",
        "csrf-1",
        false,
        start,
        later(12 * 60),
    )
    .await
    .expect("create");

    let loaded = mamori_store::session::load(&store, "hash-1", later(20), idle)
        .await
        .expect("load")
        .expect("live");
    assert_eq!(
        loaded.principal,
        Principal::new(staff_id, institution_id, Role::Staff)
    );
    assert_eq!(loaded.csrf_token, "csrf-1");
    assert!(
        mamori_store::session::load(&store, "hash-1", later(45), idle)
            .await
            .expect("load")
            .is_some(),
        "use at 20 min refreshed it"
    );
    assert!(
        mamori_store::session::load(&store, "hash-1", later(45 + 31), idle)
            .await
            .expect("load")
            .is_none(),
        "idle for 31 min"
    );
    assert!(
        mamori_store::session::load(&store, "hash-1", later(46), idle)
            .await
            .expect("load")
            .is_none(),
        "an idle-expired session is gone"
    );

    mamori_store::session::create(
        &store,
        staff_id,
        "hash-2",
        "csrf-2",
        false,
        start,
        later(60),
    )
    .await
    .expect("create");
    assert!(
        mamori_store::session::load(&store, "hash-2", later(61), SignedDuration::from_hours(24))
            .await
            .expect("load")
            .is_none(),
        "absolute expiry"
    );
    assert_eq!(
        mamori_store::session::delete_expired(&store, later(61))
            .await
            .expect("delete"),
        1
    );

    mamori_store::session::create(
        &store,
        staff_id,
        "hash-3",
        "csrf-3",
        false,
        start,
        later(60),
    )
    .await
    .expect("create");
    let deactivate = UserChange {
        display_name: DisplayName::parse("職員").expect("name"),
        role: Role::Staff,
        active: false,
    };
    mamori_store::people::update(&store, &manage, staff_id, &deactivate, start)
        .await
        .expect("deactivate");
    assert!(
        mamori_store::session::load(&store, "hash-3", start, idle)
            .await
            .expect("load")
            .is_none()
    );
    let credentials =
        mamori_store::people::find_credentials(&store, None, &LoginId::parse("staff").expect("id"))
            .await
            .expect("query")
            .expect("exists");
    assert!(!credentials.active);
}

/// Files a vendor attached to a refused try are kept for the link while it can
/// still be sent, and removed once it has expired or been revoked.
#[tokio::test]
async fn a_vendors_kept_files_go_when_the_link_expires_or_is_revoked() {
    use mamori_domain::calendar::FiscalYear;
    use mamori_store::vendor::{self, NewDocument};

    let (_database, store) = open().await;
    let now = Timestamp::now();
    let grant = set_up_admin(&store, "戊", now)
        .await
        .grant::<permissions::ManageVendors>()
        .expect("grant");
    let year = FiscalYear::new(2025).expect("FY");
    let file = NewDocument {
        name: "mds.pdf".into(),
        content_type: "application/pdf".into(),
        content: b"%PDF-1.4".to_vec(),
        sha256: "00".repeat(32),
    };
    // Three vendors' links (a new link replaces a vendor's earlier one), each
    // with a file kept from a refused try.
    let mut requests = Vec::new();
    for (token, days) in [("live", 30), ("short", 1), ("revoked", 30)] {
        let vendor_id = vendor::add(
            &store,
            &grant,
            &mamori_domain::checklist::parse_vendor(token, "", "").expect("vendor"),
            now,
        )
        .await
        .expect("vendor");
        let id = vendor::issue(
            &store,
            &grant,
            vendor_id,
            year,
            "R7",
            token,
            now + SignedDuration::from_hours(24 * days),
            now,
        )
        .await
        .expect("issue");
        vendor::stage_documents(&store, token, std::slice::from_ref(&file), now)
            .await
            .expect("stage");
        requests.push((token, id));
    }
    vendor::revoke(&store, &grant, requests[2].1, now)
        .await
        .expect("revoke");
    let kept = |token: &'static str| {
        let store = store.clone();
        async move {
            vendor::staged_document_names(&store, token, now)
                .await
                .expect("names")
                .len()
        }
    };
    assert_eq!(kept("live").await, 1);

    // Two days on: the one-day link has expired, one was revoked.
    let later = now + SignedDuration::from_hours(48);
    assert_eq!(
        vendor::discard_stale_staged(&store, later)
            .await
            .expect("discard"),
        2
    );
    assert_eq!(kept("live").await, 1, "a live link keeps its files");
    assert_eq!(
        vendor::discard_stale_staged(&store, later)
            .await
            .expect("again"),
        0
    );
}
