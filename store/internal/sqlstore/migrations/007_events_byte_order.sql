-- The key columns of usage_events are identifiers, compared for equality and never
-- sorted for people to read, and every ingested event is compared against them many
-- times on its way into the two indexes. Under a database's linguistic collation
-- each comparison copies both strings and calls the C library's strcoll; under "C"
-- it is one memcmp. "C" is also SQLite's BINARY order, so both backends now order
-- these columns alike. Only the indexes are rebuilt: the rows do not change.
{{- if eq .Capabilities.Name "postgres"}}
ALTER TABLE usage_events
    ALTER COLUMN subject TYPE TEXT COLLATE "C",
    ALTER COLUMN event_id TYPE TEXT COLLATE "C",
    ALTER COLUMN metric TYPE TEXT COLLATE "C";
{{- end}}
