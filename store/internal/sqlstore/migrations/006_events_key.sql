-- On Postgres, usage_events had two unique indexes that every ingested event
-- writes: the primary key on seq and the key (subject, event_id), which Ingest
-- needs to find duplicates. Nothing looks an event up by seq alone (ListEvents
-- finds a subject's events through its indexes on subject, then sorts them by
-- seq), and the index on seq slowed ingestion, so (subject, event_id) is now the
-- only key; seq is still assigned from its sequence. On SQLite seq is the rowid,
-- which costs nothing, and the table stays as it is.
{{- if eq .Capabilities.Name "postgres"}}
ALTER TABLE usage_events DROP CONSTRAINT usage_events_pkey;
ALTER TABLE usage_events REPLICA IDENTITY USING INDEX usage_events_subject_event_id_key;
{{- end}}
