-- Login IDs are unique per institution, not per server, so that creating an
-- account in one institution reveals nothing about another's (hosted mode).
-- Each institution gets a sign-in code (医療機関コード) that names it at sign-in
-- when the server holds more than one.
ALTER TABLE institutions ADD COLUMN sign_in_code TEXT NOT NULL DEFAULT '';
UPDATE institutions SET sign_in_code = 'm' || lpad(id::text, 4, '0');
CREATE UNIQUE INDEX institutions_by_sign_in_code ON institutions (sign_in_code);

ALTER TABLE users DROP CONSTRAINT users_login_id_key;
ALTER TABLE users ADD CONSTRAINT users_institution_login_id UNIQUE (institution_id, login_id);
