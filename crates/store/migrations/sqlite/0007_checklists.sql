-- The MHLW checklists: one assessment per institution, form and 年度; one row per
-- answered item (keyed by the catalog's stable topic key); evidence files and
-- links; vendors with their single-purpose form links; the Tokushima levels.
CREATE TABLE checklist_assessments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    form TEXT NOT NULL,
    fiscal_year INTEGER NOT NULL,
    catalog_version TEXT NOT NULL,
    system_in_use INTEGER,
    system_checked_on TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (institution_id, form, fiscal_year)
);

CREATE TABLE checklist_answers (
    assessment_id INTEGER NOT NULL REFERENCES checklist_assessments (id),
    item_key TEXT NOT NULL,
    first_answer TEXT,
    first_date TEXT,
    target_date TEXT,
    second_answer TEXT,
    second_date TEXT,
    remarks TEXT NOT NULL DEFAULT '',
    not_applicable_reason TEXT,
    needs_recheck INTEGER NOT NULL DEFAULT 0,
    answered_by INTEGER REFERENCES users (id),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (assessment_id, item_key)
);

CREATE TABLE checklist_evidence (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    assessment_id INTEGER NOT NULL REFERENCES checklist_assessments (id),
    item_key TEXT NOT NULL,
    file_name TEXT,
    content_type TEXT,
    size_bytes INTEGER,
    sha256 TEXT,
    content BLOB,
    link_path TEXT,
    label TEXT NOT NULL,
    added_by INTEGER NOT NULL REFERENCES users (id),
    added_at INTEGER NOT NULL,
    removed_at INTEGER
);
CREATE INDEX checklist_evidence_by_item ON checklist_evidence (assessment_id, item_key);

CREATE TABLE vendors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    name TEXT NOT NULL,
    contact TEXT NOT NULL DEFAULT '',
    systems TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    UNIQUE (institution_id, name)
);

CREATE TABLE vendor_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    vendor_id INTEGER NOT NULL REFERENCES vendors (id),
    fiscal_year INTEGER NOT NULL,
    catalog_version TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    issued_by INTEGER NOT NULL REFERENCES users (id),
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER,
    answered_at INTEGER,
    officer_name TEXT
);
CREATE INDEX vendor_requests_by_vendor ON vendor_requests (vendor_id, id);

CREATE TABLE vendor_answers (
    request_id INTEGER NOT NULL REFERENCES vendor_requests (id),
    item_key TEXT NOT NULL,
    answer TEXT NOT NULL,
    answered_on TEXT NOT NULL,
    remarks TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (request_id, item_key)
);

CREATE TABLE vendor_documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id INTEGER NOT NULL REFERENCES vendor_requests (id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    added_at INTEGER NOT NULL
);

CREATE TABLE tokushima_levels (
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    fiscal_year INTEGER NOT NULL,
    item_number INTEGER NOT NULL,
    level INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    updated_by INTEGER NOT NULL REFERENCES users (id),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (institution_id, fiscal_year, item_number)
);
