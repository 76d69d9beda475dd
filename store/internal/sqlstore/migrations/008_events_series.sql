-- Every ingested event is inserted into each index on usage_events, and the
-- (subject, metric, at) index, which finds a series' events by time, compared two
-- strings for each step down it. Events now carry their series key, an integer
-- computed from the subject and metric (seriesOf), and 010 indexes (series, at)
-- in its place. 009 fills in the key of the events stored before, in Go. The column
-- stays nullable: SQLite cannot add a NOT NULL column without a default, and a
-- default would hide an event written without its key.
ALTER TABLE usage_events ADD COLUMN series BIGINT;
