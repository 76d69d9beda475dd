-- The admin views list the quota rows of one metric whose period holds a time. The
-- index leaves out used, which every ingest batch changes: an index on it would be
-- rewritten with each of them.
CREATE INDEX usage_quotas_metric_period ON usage_quotas (metric, period_start);
