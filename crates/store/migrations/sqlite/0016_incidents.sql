-- Incidents (issue #12). A report (不具合発生報告書, 参考3) opens an incident
-- or joins an open one; the incident's timeline is append-only: status
-- changes, notes, playbook steps (done / not applicable), decisions and files
-- are rows of `incident_entries`, and a correction is a new row. Nothing here
-- is ever updated or deleted, except the incident's current status, severity
-- and lead, which each change also records as an entry. Instants are
-- microseconds since the epoch; days ISO 8601 text.
CREATE TABLE incidents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    severity TEXT NOT NULL,
    drill INTEGER NOT NULL DEFAULT 0,
    lead_user_id INTEGER REFERENCES users (id),
    known_on TEXT NOT NULL,
    opened_at INTEGER NOT NULL,
    closed_at INTEGER
);
CREATE INDEX incidents_by_institution ON incidents (institution_id, status, id);

CREATE TABLE incident_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    noticed_on TEXT NOT NULL,
    noticed_at TEXT,
    place TEXT NOT NULL,
    device_id INTEGER REFERENCES devices (id),
    device_name TEXT NOT NULL,
    segment_id INTEGER REFERENCES network_segments (id),
    department TEXT NOT NULL,
    reporter TEXT NOT NULL,
    reporter_user_id INTEGER REFERENCES users (id),
    patterns TEXT NOT NULL,
    other TEXT NOT NULL,
    details TEXT NOT NULL,
    measures TEXT NOT NULL,
    anonymous INTEGER NOT NULL DEFAULT 0,
    submitted_at INTEGER NOT NULL
);
CREATE INDEX incident_reports_by_incident ON incident_reports (institution_id, incident_id, id);

CREATE TABLE incident_files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    report_id INTEGER REFERENCES incident_reports (id),
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    content BLOB NOT NULL,
    added_by INTEGER REFERENCES users (id),
    added_at INTEGER NOT NULL
);
CREATE INDEX incident_files_by_incident ON incident_files (institution_id, incident_id, id);

CREATE TABLE incident_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    at INTEGER NOT NULL,
    user_id INTEGER REFERENCES users (id),
    kind TEXT NOT NULL,
    step TEXT,
    value TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    report_id INTEGER REFERENCES incident_reports (id),
    file_id INTEGER REFERENCES incident_files (id)
);
CREATE INDEX incident_entries_by_incident ON incident_entries (institution_id, incident_id, id);
