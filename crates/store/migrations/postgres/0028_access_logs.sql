-- Access logs (issue #14). The events themselves live in the data folder as a
-- tamper-evident tiled log per institution (crates/tiles); these tables hold
-- the registered sources, the searchable fields of each event (an index that
-- can be rebuilt from the log: `seq` is the event's position in it) and the
-- files imported, by SHA-256, so the same file twice adds nothing.
CREATE TABLE log_sources (
    id BIGSERIAL PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    -- The device in the device ledger this source is (a router, a server), if any.
    device_id BIGINT REFERENCES devices (id),
    -- The addresses it may send from, comma-separated; lines from any other
    -- sender are counted and kept apart, never mixed in.
    senders TEXT NOT NULL,
    -- An EHR CSV source's column mapping, one key=value a line.
    mapping TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    retention_years BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (institution_id, name)
);

CREATE TABLE log_events (
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    seq BIGINT NOT NULL,
    source_id BIGINT REFERENCES log_sources (id),
    occurred_at BIGINT NOT NULL,
    host TEXT,
    user_name TEXT,
    source_address TEXT,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    patient_id TEXT,
    PRIMARY KEY (institution_id, seq)
);
CREATE INDEX log_events_by_user ON log_events (institution_id, user_name, occurred_at);
CREATE INDEX log_events_by_time ON log_events (institution_id, occurred_at);
CREATE INDEX log_events_by_address ON log_events (institution_id, source_address, occurred_at);
CREATE INDEX log_events_by_patient ON log_events (institution_id, patient_id, occurred_at);

CREATE TABLE log_imports (
    id BIGSERIAL PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    source_id BIGINT NOT NULL REFERENCES log_sources (id),
    sha256 TEXT NOT NULL,
    file_name TEXT NOT NULL,
    first_seq BIGINT NOT NULL,
    events BIGINT NOT NULL,
    unrecognised BIGINT NOT NULL,
    imported_at BIGINT NOT NULL,
    UNIQUE (institution_id, sha256)
);

-- The monthly review (第10条(4)): who signed off which month, with a note;
-- once per month, never changed.
CREATE TABLE log_reviews (
    id BIGSERIAL PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    month TEXT NOT NULL,
    note TEXT NOT NULL,
    signed_by BIGINT NOT NULL REFERENCES users (id),
    signed_at BIGINT NOT NULL,
    UNIQUE (institution_id, month)
);
