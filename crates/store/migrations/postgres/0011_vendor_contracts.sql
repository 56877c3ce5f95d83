-- Contracts with vendors (委託契約, 第9条) and which items of 【別紙1】 each one
-- contains (clause keys of catalogs/contract_clauses.yaml, one per line).
-- Dates are ISO 8601 text (YYYY-MM-DD), instants microseconds since the epoch.
CREATE TABLE vendor_contracts (
    id BIGSERIAL PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    vendor_id BIGINT NOT NULL REFERENCES vendors (id),
    title TEXT NOT NULL,
    signed_on TEXT NOT NULL,
    expires_on TEXT,
    note TEXT NOT NULL DEFAULT '',
    clauses TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX vendor_contracts_by_vendor ON vendor_contracts (institution_id, vendor_id, id);
