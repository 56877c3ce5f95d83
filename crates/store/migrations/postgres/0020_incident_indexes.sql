-- The incident list's and the banner's lookups by incident (issue #12): each
-- list line reads its incident's report count, latest assessment and first
-- PPC notices, which the (institution_id, incident_id, id) indexes of 0016
-- cannot serve from inside a correlated subquery.
CREATE INDEX incident_entries_by_kind ON incident_entries (incident_id, kind, id);
CREATE INDEX incident_reports_by_incident_id ON incident_reports (incident_id);
CREATE INDEX incidents_unhandled ON incidents (institution_id, status, lead_user_id);
