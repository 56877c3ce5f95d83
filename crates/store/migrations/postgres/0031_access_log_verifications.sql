-- Each check of an institution's tamper-evident access log run from the
-- review page (第10条(4): logs protected from deletion and alteration),
-- kept as evidence: when, by whom, and what it found. `problem` is NULL
-- when every entry, tile and the signed checkpoint matched; then `size` is
-- the entries the checkpoint signs, `checked` those read and hashed, and
-- `archived` those whose bundles were moved elsewhere (hashes only).
CREATE TABLE log_verifications (
    id BIGSERIAL PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    verified_by BIGINT NOT NULL REFERENCES users (id),
    verified_at BIGINT NOT NULL,
    size BIGINT,
    checked BIGINT,
    archived BIGINT,
    problem TEXT
);
CREATE INDEX log_verifications_latest ON log_verifications (institution_id, verified_at);
