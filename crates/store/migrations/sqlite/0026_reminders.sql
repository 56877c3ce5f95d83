-- Reminders by e-mail (issue #15): each person's own address, and the
-- outbox — one digest per person and day (UNIQUE), so nothing is sent twice;
-- a failed send is retried and its error kept for the dashboard.
ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';

CREATE TABLE reminder_mails (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    day TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    sent_at INTEGER,
    UNIQUE (user_id, day)
);
CREATE INDEX reminder_mails_by_status ON reminder_mails (status, attempts);
CREATE INDEX reminder_mails_by_day ON reminder_mails (day);
