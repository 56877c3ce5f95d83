-- Remote maintenance sessions (issue #15, 第4条, 【別紙1】): for a device the
-- ledger marks as remotely maintained, each session's request, the
-- 企画管理者's decision, when it was carried out and by whom, and the
-- vendor's work report with its log file (SHA-256 kept). Never deleted; each
-- step moves `status` forward only from the status it expects.
CREATE TABLE remote_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    device_id INTEGER NOT NULL REFERENCES devices (id),
    vendor TEXT NOT NULL,
    planned_on TEXT NOT NULL,
    purpose TEXT NOT NULL,
    status TEXT NOT NULL,
    -- who asked: a person, or the vendor through its link (requested_via)
    requested_by INTEGER REFERENCES users (id),
    requested_via INTEGER REFERENCES vendor_requests (id),
    requested_at INTEGER NOT NULL,
    decided_by INTEGER REFERENCES users (id),
    decided_at INTEGER,
    decision_note TEXT NOT NULL DEFAULT '',
    started_at TEXT,
    ended_at TEXT,
    operator TEXT NOT NULL DEFAULT '',
    report TEXT NOT NULL DEFAULT '',
    file_name TEXT,
    file_type TEXT,
    file_sha256 TEXT,
    file_content BLOB,
    reported_by INTEGER REFERENCES users (id),
    reported_at INTEGER
);
CREATE INDEX remote_sessions_by_institution ON remote_sessions (institution_id, status);
