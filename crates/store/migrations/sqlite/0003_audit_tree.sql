-- The audit trail as an append-only Merkle tree (RFC 9162): each event gets a dense
-- position, its leaf hash and the tree root after it; the head row holds the size,
-- root and frontier (right-edge subtree roots) and serialises appends.
-- Events written before this migration are sealed in id order when the store opens.
ALTER TABLE audit_events ADD COLUMN position INTEGER;
ALTER TABLE audit_events ADD COLUMN leaf_hash TEXT;
ALTER TABLE audit_events ADD COLUMN root_after TEXT;
CREATE UNIQUE INDEX audit_events_by_position ON audit_events (position);

CREATE TABLE audit_log_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    size INTEGER NOT NULL,
    root TEXT NOT NULL,
    frontier TEXT NOT NULL
);
INSERT INTO audit_log_head (id, size, root, frontier)
VALUES (1, 0, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', '');

CREATE TABLE audit_checkpoints (
    size INTEGER PRIMARY KEY,
    root TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
