-- A vendor's certifications (プライバシーマーク, ISMS, ISMAP…; 別紙1 1-①) with
-- their registration number and last valid day (ISO 8601 text).
CREATE TABLE vendor_certificates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    vendor_id INTEGER NOT NULL REFERENCES vendors (id),
    kind TEXT NOT NULL,
    number TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX vendor_certificates_by_vendor ON vendor_certificates (institution_id, vendor_id, id);
