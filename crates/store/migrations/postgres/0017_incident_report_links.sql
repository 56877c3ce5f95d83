-- The poster link (issue #12): a long random token that opens only the
-- incident report form, for staff without an account. One live link per
-- institution; rotating it revokes the old one. Only the SHA-256 of the
-- token finds a link; the token itself is kept sealed (see sealed.rs) so the
-- poster can be printed again. Revoked links are kept, never deleted.
CREATE TABLE incident_report_links (
    id BIGSERIAL PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    token_hash TEXT NOT NULL UNIQUE,
    token_sealed TEXT NOT NULL,
    issued_by BIGINT REFERENCES users (id),
    issued_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX incident_report_links_by_institution ON incident_report_links (institution_id, revoked_at);
