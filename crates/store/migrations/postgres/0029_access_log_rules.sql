-- The access-log review's rules as the institution set them (issue #14):
-- a burst of failed sign-ins, the opening hours ('' when open around the
-- clock), too many patients read in a day, how long a source may be silent.
-- One row per institution; absent means the defaults.
CREATE TABLE log_rules (
    institution_id BIGINT PRIMARY KEY REFERENCES institutions (id),
    burst_threshold BIGINT NOT NULL,
    burst_window_minutes BIGINT NOT NULL,
    opens_at TEXT NOT NULL,
    closes_at TEXT NOT NULL,
    closed_sundays_holidays BIGINT NOT NULL,
    many_patients BIGINT NOT NULL,
    silent_hours BIGINT NOT NULL,
    updated_by BIGINT NOT NULL REFERENCES users (id),
    updated_at BIGINT NOT NULL
);

-- What the reviewer made of a finding of the monthly review: a note, and
-- the incident it was handled in where there is one. Once per finding
-- (its key: the rule, what it is about and when), never changed.
CREATE TABLE log_finding_notes (
    id BIGSERIAL PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    month TEXT NOT NULL,
    finding_key TEXT NOT NULL,
    note TEXT NOT NULL,
    incident_id BIGINT REFERENCES incidents (id),
    noted_by BIGINT NOT NULL REFERENCES users (id),
    noted_at BIGINT NOT NULL,
    UNIQUE (institution_id, finding_key)
);

-- A source that sends its lines over HTTPS (POST /logs/ingest) presents a
-- token; only the token's SHA-256 is kept, NULL until one is issued.
ALTER TABLE log_sources ADD COLUMN ingest_token_sha256 TEXT;
CREATE UNIQUE INDEX log_sources_ingest_token ON log_sources (ingest_token_sha256);
