-- The backup register (バックアップ台帳, issue #13): one line per system that
-- holds medical information, linked to its device in the ledger when it is
-- there; the restore tests that prove each line (with an optional evidence
-- file kept with its SHA-256); and the runs of mamori's own scheduled backup,
-- recorded on the line marked `own`. Dates are ISO 8601 text, instants
-- microseconds since the epoch, yes/no 0/1 (NULL: unknown).
CREATE TABLE backup_plans (
    id BIGSERIAL PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    device_id BIGINT REFERENCES devices (id),
    own BIGINT NOT NULL DEFAULT 0,
    system TEXT NOT NULL,
    data TEXT NOT NULL,
    method TEXT NOT NULL,
    frequency TEXT NOT NULL,
    generations BIGINT NOT NULL,
    offline_copy BIGINT,
    location TEXT NOT NULL,
    responsible TEXT NOT NULL,
    last_success TEXT,
    note TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX backup_plans_by_institution ON backup_plans (institution_id, id);
CREATE UNIQUE INDEX backup_plans_own ON backup_plans (institution_id) WHERE own = 1;

CREATE TABLE restore_tests (
    id BIGSERIAL PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    plan_id BIGINT NOT NULL REFERENCES backup_plans (id),
    tested_on TEXT NOT NULL,
    restored TEXT NOT NULL,
    minutes BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    performed_by TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    evidence_name TEXT,
    evidence_type TEXT,
    evidence_sha256 TEXT,
    evidence BYTEA,
    recorded_by BIGINT NOT NULL REFERENCES users (id),
    recorded_at BIGINT NOT NULL
);
CREATE INDEX restore_tests_by_plan ON restore_tests (institution_id, plan_id, tested_on);

CREATE TABLE backup_runs (
    id BIGSERIAL PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    plan_id BIGINT NOT NULL REFERENCES backup_plans (id),
    started_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    ok BIGINT NOT NULL,
    file_name TEXT NOT NULL DEFAULT '',
    bytes BIGINT NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX backup_runs_by_plan ON backup_runs (institution_id, plan_id, id);
