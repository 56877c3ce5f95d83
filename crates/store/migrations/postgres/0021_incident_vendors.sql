-- Manual IV (issue #12): a vendor's account called into an incident by those
-- who handle it. Only a called-in vendor sees that incident's manual IV and
-- answers its steps; a call is never deleted (the incident's end closes it).
CREATE TABLE incident_vendors (
    id BIGSERIAL PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    called_by BIGINT NOT NULL REFERENCES users (id),
    called_at BIGINT NOT NULL,
    UNIQUE (incident_id, user_id)
);
CREATE INDEX incident_vendors_by_user ON incident_vendors (institution_id, user_id);
