-- Checklist versions made in mamori (issue #16): each is the text of a catalog
-- file (the format of catalogs/checklists/), validated like a shipped one. An
-- institution's version is seen by that institution only; one the operator
-- shares (institution_id NULL) by every institution on the server. A draft is
-- edited; a published version is in force and no longer changes.
-- Also the 確認日 of each answer, which the final R7 form added.
CREATE TABLE checklist_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id INTEGER REFERENCES institutions (id),
    catalog_id TEXT NOT NULL,
    form TEXT NOT NULL,
    fiscal_year INTEGER NOT NULL,
    based_on TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    created_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    published_by INTEGER REFERENCES users (id),
    published_at INTEGER
);
CREATE UNIQUE INDEX checklist_versions_per_institution
    ON checklist_versions (institution_id, catalog_id) WHERE institution_id IS NOT NULL;
CREATE UNIQUE INDEX checklist_versions_for_everyone
    ON checklist_versions (catalog_id) WHERE institution_id IS NULL;

ALTER TABLE checklist_answers ADD COLUMN checked_on TEXT;
