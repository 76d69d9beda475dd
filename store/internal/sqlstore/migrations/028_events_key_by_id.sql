-- usage_events' key was (subject, event_id): the events of a commit went into it
-- at one place per subject, and a commit of thousands of subjects changed a page of
-- it per event. Keyed by (event_id, subject), events whose IDs increase over time
-- (the IDs the Meter generates, counters, UUIDv7, ULID) go in at one end of it,
-- whatever the subjects; random IDs go in anywhere, as before. The key still finds
-- an event by its subject and ID. Listing a subject's events goes through the
-- (series, at) index instead (see ListEvents). Building the new key reads every
-- stored event once, inside this migration's transaction.
{{- if eq .Capabilities.Name "postgres"}}
CREATE UNIQUE INDEX usage_events_event_id_subject_key ON usage_events (event_id, subject);
ALTER TABLE usage_events ADD CONSTRAINT usage_events_event_id_subject_key
    UNIQUE USING INDEX usage_events_event_id_subject_key;
ALTER TABLE usage_events REPLICA IDENTITY USING INDEX usage_events_event_id_subject_key;
ALTER TABLE usage_events DROP CONSTRAINT usage_events_subject_event_id_key;
{{- else}}
-- SQLite cannot drop a table's UNIQUE constraint: the table is built again, with
-- the same columns, sequence numbers and sequence.
CREATE TABLE usage_events_new (
    seq          {{.Serial}},
    subject      TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    metric       TEXT NOT NULL,
    value        BIGINT NOT NULL,
    at           BIGINT NOT NULL,
    period_start BIGINT NOT NULL,
    properties   TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    used_after   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    series       BIGINT,
    UNIQUE (event_id, subject)
);
INSERT INTO usage_events_new (seq, subject, event_id, user_id, metric, value, at, period_start,
    properties, fingerprint, used_after, created_at, series)
SELECT seq, subject, event_id, user_id, metric, value, at, period_start,
    properties, fingerprint, used_after, created_at, series
FROM usage_events ORDER BY seq;
-- The next event's number follows the last one ever given, even if that event is
-- gone.
DELETE FROM sqlite_sequence WHERE name = 'usage_events_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'usage_events_new', seq FROM sqlite_sequence WHERE name = 'usage_events';
DROP TABLE usage_events;
ALTER TABLE usage_events_new RENAME TO usage_events;
CREATE INDEX usage_events_series_at ON usage_events (series, at);
{{- end}}
