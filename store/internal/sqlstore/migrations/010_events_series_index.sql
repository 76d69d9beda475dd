-- Events are found by series and time through (series, at) from now on (see 008);
-- 009 has given every stored event its key.
CREATE INDEX usage_events_series_at ON usage_events (series, at);
DROP INDEX usage_events_subject_metric_at;
