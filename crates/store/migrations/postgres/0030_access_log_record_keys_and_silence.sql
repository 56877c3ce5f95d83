-- The source's own identifier of an event where it has one (a Windows
-- event's COMPUTER/Channel/EventRecordID), so that an export overlapping an
-- earlier one adds only the events not kept yet (issue #14). Not unique: a
-- forwarder that sends an event twice (at least once) is kept twice, as
-- the log holds it.
ALTER TABLE log_events ADD COLUMN record_key TEXT;
CREATE INDEX log_events_by_record_key ON log_events (source_id, record_key);

-- How many events of an imported file the source already had (by record
-- key) and were therefore not added again.
ALTER TABLE log_imports ADD COLUMN already_kept BIGINT NOT NULL DEFAULT 0;

-- How many hours a source may send nothing before its silence is a finding
-- of the review (a router that stopped sending); NULL: the institution's
-- rule (log_rules.silent_hours, 24 by default).
ALTER TABLE log_sources ADD COLUMN silent_hours INTEGER;
