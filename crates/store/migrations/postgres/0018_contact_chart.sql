-- The contact chart (連絡体制図, issue #12): what the institution writes on
-- each line — a person's own number, a vendor's phone, e-mail and hours, an
-- outside body's desk as confirmed — and the day it was last confirmed.
-- entry_key names the line: user:ID, vendor:ID or authority:CODE. A change
-- overwrites the line; the audit trail keeps the values before and after.
CREATE TABLE contact_entries (
    id BIGSERIAL PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    entry_key TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    hours TEXT NOT NULL DEFAULT '',
    page TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    confirmed_on TEXT,
    confirmed_by BIGINT REFERENCES users (id),
    updated_by BIGINT REFERENCES users (id),
    updated_at BIGINT NOT NULL,
    UNIQUE (institution_id, entry_key)
);
