-- 非常時用アカウント (break-glass, policy 第4条⑰): flagged accounts, spent after a
-- use until an administrator resets the password, and every use with its reason.
ALTER TABLE users ADD COLUMN break_glass BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN break_glass_spent BIGINT NOT NULL DEFAULT 0;

CREATE TABLE break_glass_uses (
    id BIGSERIAL PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    session_token_hash TEXT NOT NULL,
    reason TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    acknowledged_by BIGINT REFERENCES users (id),
    acknowledged_at BIGINT
);
CREATE INDEX break_glass_uses_by_institution ON break_glass_uses (institution_id, id);
CREATE INDEX break_glass_uses_by_session ON break_glass_uses (session_token_hash);
