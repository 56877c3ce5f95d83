-- The .ics feed of each person's schedule (issue #15): a long random token in
-- a calendar app's subscription address, found by its SHA-256 and kept
-- sealed so the page can show the address again; one per person, replaced
-- when rotated, removed when revoked (both in the audit trail).
CREATE TABLE calendar_feeds (
    user_id INTEGER PRIMARY KEY REFERENCES users (id),
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    token_hash TEXT NOT NULL UNIQUE,
    token_sealed TEXT NOT NULL,
    issued_at INTEGER NOT NULL
);
