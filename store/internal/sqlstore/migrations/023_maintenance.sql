-- Maintenance: one lease row per job, so one instance at a time runs it, with the
-- last schedule slot it completed, so that each slot runs once across instances;
-- and what retention has deleted, per quota row's period, so a deleted period is
-- not searched again. Times are BIGINT microseconds, 0 for none.

CREATE TABLE usage_leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    completed  BIGINT NOT NULL
);

CREATE TABLE usage_retained (
    subject            TEXT NOT NULL,
    metric             TEXT NOT NULL,
    period_start       BIGINT NOT NULL,
    events_deleted_at  BIGINT NOT NULL,
    rollups_deleted_at BIGINT NOT NULL,
    PRIMARY KEY (subject, metric, period_start)
);

-- Retention looks for the oldest periods that have ended.
CREATE INDEX usage_quotas_period_end ON usage_quotas (period_end);
