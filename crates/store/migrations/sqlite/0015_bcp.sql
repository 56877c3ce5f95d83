-- The BCP (別紙3, issue #13): the institution's own answers where the outline
-- leaves ○○ (one row per institution), each approved version as the text of
-- the whole document (mamori_domain::document, one tagged line per line) with
-- who approved it and when, and who has read which version.
CREATE TABLE bcp_answers (
    institution_id INTEGER PRIMARY KEY REFERENCES institutions (id),
    meeting_members TEXT NOT NULL DEFAULT '',
    police_desk TEXT NOT NULL DEFAULT '',
    paper_records TEXT NOT NULL DEFAULT '',
    insurance_check TEXT NOT NULL DEFAULT '',
    reception_billing TEXT NOT NULL DEFAULT '',
    announcements TEXT NOT NULL DEFAULT '',
    restore_priority TEXT NOT NULL DEFAULT '',
    disaster TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL
);

CREATE TABLE bcp_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    number INTEGER NOT NULL,
    text TEXT NOT NULL,
    approved_by INTEGER NOT NULL REFERENCES users (id),
    approved_at INTEGER NOT NULL,
    UNIQUE (institution_id, number)
);

CREATE TABLE bcp_acknowledgements (
    version_id INTEGER NOT NULL REFERENCES bcp_versions (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    acknowledged_at INTEGER NOT NULL,
    PRIMARY KEY (version_id, user_id)
);
