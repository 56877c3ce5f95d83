-- The device ledger (使用機器一覧表, 第5条): one row per device, unique 管理番号 per
-- institution; its disposal (廃棄) record with the erasure certificate; files
-- uploaded for import, kept until applied or replaced. A device's history is the
-- audit trail's events for `device:{id}`.
CREATE TABLE devices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    asset_number TEXT NOT NULL,
    kind TEXT NOT NULL,
    maker_model TEXT NOT NULL DEFAULT '',
    location TEXT NOT NULL DEFAULT '',
    manager TEXT NOT NULL DEFAULT '',
    remarks TEXT NOT NULL DEFAULT '',
    os_version TEXT NOT NULL DEFAULT '',
    last_security_update TEXT,
    antivirus TEXT NOT NULL,
    remote_used INTEGER,
    remote_vendor TEXT NOT NULL DEFAULT '',
    remote_method TEXT NOT NULL DEFAULT '',
    mds_sds_received INTEGER,
    internet_connected INTEGER,
    segment TEXT NOT NULL DEFAULT '',
    ip_addresses TEXT NOT NULL DEFAULT '',
    mac_addresses TEXT NOT NULL DEFAULT '',
    initial_password_changed INTEGER,
    external_media_restricted INTEGER,
    external_media_how TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    -- The searchable fields, lower-cased, one per line: the list's search reads one column.
    search_text TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (institution_id, asset_number)
);
CREATE INDEX devices_by_status ON devices (institution_id, status, asset_number);

CREATE TABLE device_disposals (
    device_id INTEGER PRIMARY KEY REFERENCES devices (id),
    disposed_on TEXT NOT NULL,
    contractor TEXT NOT NULL,
    method TEXT NOT NULL,
    certificate_name TEXT,
    certificate_type TEXT,
    certificate_sha256 TEXT,
    certificate BLOB,
    recorded_by INTEGER NOT NULL REFERENCES users (id),
    recorded_at INTEGER NOT NULL
);

CREATE TABLE device_imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    ledger TEXT NOT NULL DEFAULT 'devices',
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    applied_at INTEGER
);

-- A record's history (device pages) reads its audit events by target.
CREATE INDEX audit_events_by_target ON audit_events (institution_id, target, id);

-- Carry-out requests (持ち出し, 第13条(1)): 申請 → 承認/却下 → 持ち出し中 → 返却.
CREATE TABLE carry_outs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    device_id INTEGER REFERENCES devices (id),
    what TEXT NOT NULL,
    purpose TEXT NOT NULL,
    destination TEXT NOT NULL DEFAULT '',
    out_on TEXT NOT NULL,
    return_by TEXT NOT NULL,
    encrypted INTEGER NOT NULL,
    status TEXT NOT NULL,
    requested_by INTEGER NOT NULL REFERENCES users (id),
    requested_at INTEGER NOT NULL,
    decided_by INTEGER REFERENCES users (id),
    decided_at INTEGER,
    decision_note TEXT NOT NULL DEFAULT '',
    taken_at INTEGER,
    returned_at INTEGER
);
CREATE INDEX carry_outs_by_status ON carry_outs (institution_id, status, return_by);

-- Reviews of a ledger (棚卸, 第13条(1)②; the yearly review of the network diagram):
-- who confirmed it matched reality, on which day, with what note.
CREATE TABLE ledger_reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    ledger TEXT NOT NULL,
    reviewed_on TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    reviewed_by INTEGER NOT NULL REFERENCES users (id),
    recorded_at INTEGER NOT NULL
);
CREATE INDEX ledger_reviews_by_ledger ON ledger_reviews (institution_id, ledger, reviewed_on);

-- Staff (職員), their accounts on each system, the tasks a 退職日 opens, and
-- the access rights per 職種 and 情報区分.
CREATE TABLE staff (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    name TEXT NOT NULL,
    job TEXT NOT NULL,
    department TEXT NOT NULL DEFAULT '',
    joined_on TEXT,
    left_on TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX staff_by_name ON staff (institution_id, name);

CREATE TABLE system_accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    system TEXT NOT NULL,
    login TEXT NOT NULL,
    staff_id INTEGER REFERENCES staff (id),
    shared INTEGER NOT NULL,
    admin INTEGER NOT NULL,
    last_used_on TEXT,
    note TEXT NOT NULL DEFAULT '',
    deleted_on TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (institution_id, system, login)
);
CREATE INDEX system_accounts_by_staff ON system_accounts (institution_id, staff_id);

CREATE TABLE account_tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    account_id INTEGER NOT NULL REFERENCES system_accounts (id),
    due_on TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    done_at INTEGER,
    UNIQUE (account_id)
);

CREATE TABLE access_rules (
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    job TEXT NOT NULL,
    category TEXT NOT NULL,
    level TEXT NOT NULL,
    PRIMARY KEY (institution_id, job, category)
);

-- The usage log (使用管理簿, 第6条): who used which device when, and whether
-- the virus check at start-up was done.
CREATE TABLE device_uses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    device_id INTEGER NOT NULL REFERENCES devices (id),
    used_on TEXT NOT NULL,
    start_time TEXT NOT NULL,
    end_time TEXT NOT NULL,
    user_name TEXT NOT NULL,
    virus_checked INTEGER NOT NULL,
    recorded_by INTEGER NOT NULL REFERENCES users (id),
    recorded_at INTEGER NOT NULL
);
CREATE INDEX device_uses_by_day ON device_uses (institution_id, used_on);

-- Private devices used for work (私物の機器, 第7条): the 所属長's permission with
-- the virus check, and the deletion of data after use.
CREATE TABLE private_devices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    owner_name TEXT NOT NULL,
    device TEXT NOT NULL,
    purpose TEXT NOT NULL,
    permitted_by TEXT NOT NULL,
    permitted_on TEXT NOT NULL,
    virus_checked INTEGER NOT NULL,
    data_deleted_on TEXT,
    recorded_by INTEGER NOT NULL REFERENCES users (id),
    recorded_at INTEGER NOT NULL
);

-- The network diagram (全体構成図): segments by name (devices name theirs in
-- devices.segment) and the links between them, through a device if named.
CREATE TABLE network_segments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    UNIQUE (institution_id, name)
);

CREATE TABLE network_links (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    from_segment INTEGER NOT NULL REFERENCES network_segments (id),
    to_segment INTEGER NOT NULL REFERENCES network_segments (id),
    via TEXT
);
