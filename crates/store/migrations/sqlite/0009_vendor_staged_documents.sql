-- Files a vendor attached to a form that was refused for another field: kept
-- for that link until the form is sent (then they become vendor_documents) or
-- replaced by other files, so the vendor does not attach them again.
CREATE TABLE vendor_staged_documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id INTEGER NOT NULL REFERENCES vendor_requests (id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    added_at INTEGER NOT NULL
);
CREATE INDEX vendor_staged_documents_by_request ON vendor_staged_documents (request_id);
