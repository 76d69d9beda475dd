-- Alerts and the outbox of their notifications. An alert's key holds it once
-- however many batches, processes or retries raise it: the writers insert with ON
-- CONFLICT DO NOTHING. arm is 0 while an alert holds its key; rearming (a
-- correction or reset that takes usage back below the threshold) sets it to the
-- alert's id, which frees the key for the next crossing in the period.

-- The first schema's usage_alerts was never written; this one replaces it.
DROP TABLE usage_alerts;

CREATE TABLE usage_alerts (
    id {{.Serial}},
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    subject TEXT NOT NULL,
    metric TEXT NOT NULL,
    threshold BIGINT NOT NULL,
    ref BIGINT NOT NULL,
    arm BIGINT NOT NULL DEFAULT 0,
    used BIGINT NOT NULL,
    quota_limit BIGINT NOT NULL,
    period_start BIGINT NOT NULL,
    period_end BIGINT NOT NULL,
    message TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    acknowledged_at BIGINT NOT NULL DEFAULT 0,
    acknowledged_by TEXT NOT NULL DEFAULT ''
);

CREATE UNIQUE INDEX usage_alerts_key ON usage_alerts (subject, metric, kind, threshold, period_start, ref, arm);

CREATE INDEX usage_alerts_subject ON usage_alerts (subject, id);

CREATE INDEX usage_alerts_unacknowledged ON usage_alerts (subject) WHERE acknowledged_at = 0;

-- One delivery per alert. next_at is when it is due; a claim moves it to the end of
-- the claim's lease and counts an attempt, whose number is the claim's token.
CREATE TABLE usage_alert_deliveries (
    id {{.Serial}},
    alert_id BIGINT NOT NULL UNIQUE REFERENCES usage_alerts (id),
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at BIGINT NOT NULL,
    delivered_to TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX usage_alert_deliveries_due ON usage_alert_deliveries (next_at) WHERE state = 'pending';
