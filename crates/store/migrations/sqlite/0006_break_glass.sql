-- 非常時用アカウント (break-glass, policy 第4条⑰): flagged accounts, spent after a
-- use until an administrator resets the password, and every use with its reason.
ALTER TABLE users ADD COLUMN break_glass INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN break_glass_spent INTEGER NOT NULL DEFAULT 0;

CREATE TABLE break_glass_uses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    session_token_hash TEXT NOT NULL,
    reason TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    acknowledged_by INTEGER REFERENCES users (id),
    acknowledged_at INTEGER
);
CREATE INDEX break_glass_uses_by_institution ON break_glass_uses (institution_id, id);
CREATE INDEX break_glass_uses_by_session ON break_glass_uses (session_token_hash);
