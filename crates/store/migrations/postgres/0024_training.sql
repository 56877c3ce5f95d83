-- Training and drills (issue #15): each session with its day, kind, content,
-- materials, and for a drill its scenario and what was learned; who attended,
-- from the staff ledger. A session is never deleted.
CREATE TABLE training_sessions (
    id BIGSERIAL PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    held_on TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    materials TEXT NOT NULL,
    scenario TEXT NOT NULL,
    lessons TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX training_sessions_by_institution ON training_sessions (institution_id, held_on);

CREATE TABLE training_attendees (
    session_id BIGINT NOT NULL REFERENCES training_sessions (id),
    staff_id BIGINT NOT NULL REFERENCES staff (id),
    PRIMARY KEY (session_id, staff_id)
);
CREATE INDEX training_attendees_by_staff ON training_attendees (staff_id);
