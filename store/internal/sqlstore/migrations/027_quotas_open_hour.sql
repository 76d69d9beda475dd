-- A quota row holds the hourly rollup over all dimension values of its latest hour
-- (its open hour), which a batch adds its events to in the UPDATE that charges the
-- row, instead of upserting a rollup row per subject per batch. The hour goes into
-- usage_aggregations when the row's first event of a later hour comes, or when a
-- correction or retention needs it there; readers of the rollups add the open
-- hours (hour_count = 0: none). None of these columns may be indexed (see 026).
ALTER TABLE usage_quotas ADD COLUMN hour_start BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_quotas ADD COLUMN hour_total BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_quotas ADD COLUMN hour_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_quotas ADD COLUMN hour_min BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_quotas ADD COLUMN hour_max BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_quotas ADD COLUMN hour_last_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_quotas ADD COLUMN hour_last BIGINT NOT NULL DEFAULT 0;
