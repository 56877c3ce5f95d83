-- The security policy (第1–16条 with 【別紙2】, issue #15): the institution's
-- answers to the template's choices (one row per institution, the text of
-- mamori_domain::policy::answers_to_text), and approved versions of generated
-- documents by kind ('policy'), each the whole document's text with who
-- approved it and when. A version never changes once approved.
CREATE TABLE policy_answers (
    institution_id BIGINT PRIMARY KEY REFERENCES institutions (id),
    answers TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE document_versions (
    id BIGSERIAL PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    kind TEXT NOT NULL,
    number BIGINT NOT NULL,
    text TEXT NOT NULL,
    approved_by BIGINT NOT NULL REFERENCES users (id),
    approved_at BIGINT NOT NULL,
    UNIQUE (institution_id, kind, number)
);
