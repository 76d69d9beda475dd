-- Every index on usage_events is written by every ingested event, so each one
-- slows ingestion. Reading a period's events (corrections) uses the
-- (subject, metric, at) index instead: an event's time is never before its
-- period's start.

DROP INDEX usage_events_subject_period;
