-- 再発防止策 (issue #12, manual II-10, IV-3): tasks of an incident with an
-- owner and a due day, shown on the dashboard until done. Setting and
-- finishing a task are also timeline entries; a task is never deleted.
CREATE TABLE incident_tasks (
    id BIGSERIAL PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    title TEXT NOT NULL,
    owner_user_id BIGINT NOT NULL REFERENCES users (id),
    due_on TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    done_at BIGINT,
    done_by BIGINT REFERENCES users (id),
    done_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX incident_tasks_by_institution ON incident_tasks (institution_id, done_at, due_on);
