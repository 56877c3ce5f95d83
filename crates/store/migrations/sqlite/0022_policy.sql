-- The security policy (第1–16条 with 【別紙2】, issue #15): the institution's
-- answers to the template's choices (one row per institution, the text of
-- mamori_domain::policy::answers_to_text), and approved versions of generated
-- documents by kind ('policy'), each the whole document's text with who
-- approved it and when. A version never changes once approved.
CREATE TABLE policy_answers (
    institution_id INTEGER PRIMARY KEY REFERENCES institutions (id),
    answers TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE document_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    kind TEXT NOT NULL,
    number INTEGER NOT NULL,
    text TEXT NOT NULL,
    approved_by INTEGER NOT NULL REFERENCES users (id),
    approved_at INTEGER NOT NULL,
    UNIQUE (institution_id, kind, number)
);
