-- The MHLW checklists: one assessment per institution, form and 年度; one row per
-- answered item (keyed by the catalog's stable topic key); evidence files and
-- links; vendors with their single-purpose form links; the Tokushima levels.
CREATE TABLE checklist_assessments (
    id BIGSERIAL PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    form TEXT NOT NULL,
    fiscal_year BIGINT NOT NULL,
    catalog_version TEXT NOT NULL,
    system_in_use BIGINT,
    system_checked_on TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (institution_id, form, fiscal_year)
);

CREATE TABLE checklist_answers (
    assessment_id BIGINT NOT NULL REFERENCES checklist_assessments (id),
    item_key TEXT NOT NULL,
    first_answer TEXT,
    first_date TEXT,
    target_date TEXT,
    second_answer TEXT,
    second_date TEXT,
    remarks TEXT NOT NULL DEFAULT '',
    not_applicable_reason TEXT,
    needs_recheck BIGINT NOT NULL DEFAULT 0,
    answered_by BIGINT REFERENCES users (id),
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (assessment_id, item_key)
);

CREATE TABLE checklist_evidence (
    id BIGSERIAL PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    assessment_id BIGINT NOT NULL REFERENCES checklist_assessments (id),
    item_key TEXT NOT NULL,
    file_name TEXT,
    content_type TEXT,
    size_bytes BIGINT,
    sha256 TEXT,
    content BYTEA,
    link_path TEXT,
    label TEXT NOT NULL,
    added_by BIGINT NOT NULL REFERENCES users (id),
    added_at BIGINT NOT NULL,
    removed_at BIGINT
);
CREATE INDEX checklist_evidence_by_item ON checklist_evidence (assessment_id, item_key);

CREATE TABLE vendors (
    id BIGSERIAL PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    name TEXT NOT NULL,
    contact TEXT NOT NULL DEFAULT '',
    systems TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    UNIQUE (institution_id, name)
);

CREATE TABLE vendor_requests (
    id BIGSERIAL PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    vendor_id BIGINT NOT NULL REFERENCES vendors (id),
    fiscal_year BIGINT NOT NULL,
    catalog_version TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    issued_by BIGINT NOT NULL REFERENCES users (id),
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    answered_at BIGINT,
    officer_name TEXT
);
CREATE INDEX vendor_requests_by_vendor ON vendor_requests (vendor_id, id);

CREATE TABLE vendor_answers (
    request_id BIGINT NOT NULL REFERENCES vendor_requests (id),
    item_key TEXT NOT NULL,
    answer TEXT NOT NULL,
    answered_on TEXT NOT NULL,
    remarks TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (request_id, item_key)
);

CREATE TABLE vendor_documents (
    id BIGSERIAL PRIMARY KEY,
    request_id BIGINT NOT NULL REFERENCES vendor_requests (id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content BYTEA NOT NULL,
    added_at BIGINT NOT NULL
);

CREATE TABLE tokushima_levels (
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    fiscal_year BIGINT NOT NULL,
    item_number BIGINT NOT NULL,
    level BIGINT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    updated_by BIGINT NOT NULL REFERENCES users (id),
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (institution_id, fiscal_year, item_number)
);
