-- no-transaction
-- Login IDs are unique per institution, not per server, so that creating an
-- account in one institution reveals nothing about another's (hosted mode).
-- Each institution gets a sign-in code (医療機関コード) that names it at sign-in
-- when the server holds more than one.
--
-- SQLite cannot drop the inline UNIQUE of users.login_id, so the table is
-- rebuilt (SQLite's "generalized ALTER TABLE procedure"). Foreign keys must be
-- off while users is dropped, or the implicit DELETE would cascade to sessions
-- and two-factor recovery codes; that pragma only works outside a transaction,
-- hence "no-transaction" above and the explicit transaction below.
PRAGMA foreign_keys = OFF;

BEGIN IMMEDIATE;

ALTER TABLE institutions ADD COLUMN sign_in_code TEXT NOT NULL DEFAULT '';
UPDATE institutions SET sign_in_code = printf('m%04d', id);
CREATE UNIQUE INDEX institutions_by_sign_in_code ON institutions (sign_in_code);

CREATE TABLE users_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    login_id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    failed_sign_ins INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    totp_secret TEXT,
    totp_pending_secret TEXT,
    totp_last_step INTEGER,
    break_glass INTEGER NOT NULL DEFAULT 0,
    break_glass_spent INTEGER NOT NULL DEFAULT 0,
    UNIQUE (institution_id, login_id)
);
INSERT INTO users_rebuilt (id, institution_id, login_id, display_name, role, password_hash,
    active, created_at, updated_at, failed_sign_ins, locked_until, totp_secret,
    totp_pending_secret, totp_last_step, break_glass, break_glass_spent)
SELECT id, institution_id, login_id, display_name, role, password_hash,
    active, created_at, updated_at, failed_sign_ins, locked_until, totp_secret,
    totp_pending_secret, totp_last_step, break_glass, break_glass_spent
FROM users;
DROP TABLE users;
ALTER TABLE users_rebuilt RENAME TO users;
CREATE INDEX users_by_institution ON users (institution_id, id);

COMMIT;

PRAGMA foreign_keys = ON;
