-- 【別紙2】 acknowledged (issue #15): each member of staff (from the staff
-- ledger, with or without an account) acknowledges the current version of the
-- policy, signed in (user_id, and staff_id when exactly one member of staff
-- bears the account's name) or on a printed sheet the 企画管理者 records
-- (on_paper, staff_id, the day on the sheet). A new version asks again.
CREATE TABLE policy_acknowledgements (
    id BIGSERIAL PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    version_id BIGINT NOT NULL REFERENCES document_versions (id),
    staff_id BIGINT REFERENCES staff (id),
    user_id BIGINT REFERENCES users (id),
    on_paper BIGINT NOT NULL,
    acknowledged_on TEXT NOT NULL,
    recorded_by BIGINT NOT NULL REFERENCES users (id),
    recorded_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX policy_acknowledgements_by_staff
    ON policy_acknowledgements (version_id, staff_id) WHERE staff_id IS NOT NULL;
CREATE UNIQUE INDEX policy_acknowledgements_by_user
    ON policy_acknowledgements (version_id, user_id) WHERE user_id IS NOT NULL;
