-- The BCP (別紙3, issue #13): the institution's own answers where the outline
-- leaves ○○ (one row per institution), each approved version as the text of
-- the whole document (mamori_domain::document, one tagged line per line) with
-- who approved it and when, and who has read which version.
CREATE TABLE bcp_answers (
    institution_id BIGINT PRIMARY KEY REFERENCES institutions (id),
    meeting_members TEXT NOT NULL DEFAULT '',
    police_desk TEXT NOT NULL DEFAULT '',
    paper_records TEXT NOT NULL DEFAULT '',
    insurance_check TEXT NOT NULL DEFAULT '',
    reception_billing TEXT NOT NULL DEFAULT '',
    announcements TEXT NOT NULL DEFAULT '',
    restore_priority TEXT NOT NULL DEFAULT '',
    disaster TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL
);

CREATE TABLE bcp_versions (
    id BIGSERIAL PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    number BIGINT NOT NULL,
    text TEXT NOT NULL,
    approved_by BIGINT NOT NULL REFERENCES users (id),
    approved_at BIGINT NOT NULL,
    UNIQUE (institution_id, number)
);

CREATE TABLE bcp_acknowledgements (
    version_id BIGINT NOT NULL REFERENCES bcp_versions (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    acknowledged_at BIGINT NOT NULL,
    PRIMARY KEY (version_id, user_id)
);
