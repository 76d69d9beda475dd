-- Usage queries group and filter hourly rollups by a metric's declared dimensions.
-- usage_dimension_values records, per subject, metric and dimension, the values
-- rollups keep; past the metric's bound, Ingest keeps a value as "other". It is
-- read and written inside the ingest transaction, so every process folds alike.
CREATE TABLE usage_dimension_values (
    subject   TEXT NOT NULL,
    metric    TEXT NOT NULL,
    dimension TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (subject, metric, dimension, value)
);

-- The latest event of each rollup (by time, then as stored), for latest metrics.
ALTER TABLE usage_aggregations ADD COLUMN last_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_aggregations ADD COLUMN last_value BIGINT NOT NULL DEFAULT 0;

-- Rollups written before hold only the total over all dimensions (''), whose
-- latest event is read back from the events.
UPDATE usage_aggregations SET
    last_at = (SELECT MAX(e.at) FROM usage_events e
        WHERE e.subject = usage_aggregations.subject AND e.metric = usage_aggregations.metric
          AND e.at >= usage_aggregations.bucket_start AND e.at < usage_aggregations.bucket_start + 3600000000),
    last_value = (SELECT e.value FROM usage_events e
        WHERE e.subject = usage_aggregations.subject AND e.metric = usage_aggregations.metric
          AND e.at >= usage_aggregations.bucket_start AND e.at < usage_aggregations.bucket_start + 3600000000
        ORDER BY e.at DESC, e.seq DESC LIMIT 1)
WHERE granularity = 'hour' AND EXISTS (SELECT 1 FROM usage_events e
        WHERE e.subject = usage_aggregations.subject AND e.metric = usage_aggregations.metric
          AND e.at >= usage_aggregations.bucket_start AND e.at < usage_aggregations.bucket_start + 3600000000);
