-- Lockout: consecutive failed sign-ins and the end of a lock (microseconds since the epoch).
ALTER TABLE users ADD COLUMN failed_sign_ins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until BIGINT;
