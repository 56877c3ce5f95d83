-- Each check of an institution's tamper-evident access log run from the
-- review page (第10条(4): logs protected from deletion and alteration),
-- kept as evidence: when, by whom, and what it found. `problem` is NULL
-- when every entry, tile and the signed checkpoint matched; then `size` is
-- the entries the checkpoint signs, `checked` those read and hashed, and
-- `archived` those whose bundles were moved elsewhere (hashes only).
CREATE TABLE log_verifications (
    id INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    verified_by INTEGER NOT NULL REFERENCES users (id),
    verified_at INTEGER NOT NULL,
    size INTEGER,
    checked INTEGER,
    archived INTEGER,
    problem TEXT
);
CREATE INDEX log_verifications_latest ON log_verifications (institution_id, verified_at);
