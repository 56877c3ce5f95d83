-- An institution may accept 10-character passwords (instead of 13) for accounts
-- without two-factor authentication, but only with a recorded reason (NULL: not relaxed).
ALTER TABLE institutions ADD COLUMN password_relaxation_reason TEXT;
