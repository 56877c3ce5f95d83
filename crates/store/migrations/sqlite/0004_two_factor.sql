-- Two-factor authentication: TOTP secrets (base32), the last accepted time step
-- (codes are single-use), one-time recovery codes (SHA-256), the institution's rule,
-- and sessions that passed the password but not yet the second factor.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_pending_secret TEXT;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
ALTER TABLE institutions ADD COLUMN two_factor_policy TEXT NOT NULL DEFAULT 'optional';
ALTER TABLE sessions ADD COLUMN second_factor_pending INTEGER NOT NULL DEFAULT 0;

CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at INTEGER
);
CREATE INDEX recovery_codes_by_user ON recovery_codes (user_id);
