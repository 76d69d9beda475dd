-- The scale at which each metric's quantities are stored (integers of units times
-- 10^scale). Metrics used before this table existed were stored in micro-units.
CREATE TABLE usage_metrics (
    metric TEXT PRIMARY KEY,
    scale  INTEGER NOT NULL
);

INSERT INTO usage_metrics (metric, scale)
SELECT metric, 6 FROM usage_events
UNION
SELECT metric, 6 FROM usage_quotas;
