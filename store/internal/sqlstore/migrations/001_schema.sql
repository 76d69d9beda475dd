-- The schema of usage: the eight record kinds (events, quotas, aggregations, alerts,
-- forecasts, anomalies, reports, thresholds) plus subjects and distinct values.
-- Times are BIGINT microseconds since the Unix epoch; quantities are BIGINT
-- micro-units, so both backends store them exactly and alike.

CREATE TABLE usage_subjects (
    subject    TEXT PRIMARY KEY,
    plan       TEXT NOT NULL,
    anchor     BIGINT NOT NULL,
    cycle      TEXT NOT NULL,
    time_zone  TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE usage_events (
    seq          {{.Serial}},
    subject      TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    metric       TEXT NOT NULL,
    value        BIGINT NOT NULL,
    at           BIGINT NOT NULL,
    period_start BIGINT NOT NULL,
    properties   TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    used_after   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    UNIQUE (subject, event_id)
);

CREATE INDEX usage_events_subject_metric_at ON usage_events (subject, metric, at);

CREATE TABLE usage_quotas (
    id            TEXT PRIMARY KEY,
    subject       TEXT NOT NULL,
    metric        TEXT NOT NULL,
    period_start  BIGINT NOT NULL,
    period_end    BIGINT NOT NULL,
    aggregation   TEXT NOT NULL,
    quota_limit   BIGINT NOT NULL,
    unlimited     BOOLEAN NOT NULL,
    allow_overage BOOLEAN NOT NULL,
    used          BIGINT NOT NULL,
    count         BIGINT NOT NULL,
    total         BIGINT NOT NULL,
    last_at       BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE INDEX usage_quotas_subject_period ON usage_quotas (subject, period_start);

CREATE TABLE usage_quota_distinct (
    quota_id TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (quota_id, value)
);

CREATE TABLE usage_aggregations (
    subject      TEXT NOT NULL,
    metric       TEXT NOT NULL,
    granularity  TEXT NOT NULL,
    bucket_start BIGINT NOT NULL,
    dimensions   TEXT NOT NULL,
    total        BIGINT NOT NULL,
    count        BIGINT NOT NULL,
    min_value    BIGINT NOT NULL,
    max_value    BIGINT NOT NULL,
    PRIMARY KEY (subject, metric, granularity, bucket_start, dimensions)
);

CREATE TABLE usage_thresholds (
    id         {{.Serial}},
    plan       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    metric     TEXT NOT NULL,
    percent    INTEGER NOT NULL,
    severity   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (plan, subject, metric, percent)
);

CREATE TABLE usage_alerts (
    id              {{.Serial}},
    subject         TEXT NOT NULL,
    metric          TEXT NOT NULL,
    period_start    BIGINT NOT NULL,
    percent         INTEGER NOT NULL,
    severity        TEXT NOT NULL,
    used            BIGINT NOT NULL,
    quota_limit     BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    acknowledged_at BIGINT,
    acknowledged_by TEXT,
    UNIQUE (subject, metric, period_start, percent)
);

CREATE TABLE usage_forecasts (
    id           {{.Serial}},
    subject      TEXT NOT NULL,
    metric       TEXT NOT NULL,
    model        TEXT NOT NULL,
    step         TEXT NOT NULL,
    horizon      INTEGER NOT NULL,
    generated_at BIGINT NOT NULL,
    payload      TEXT NOT NULL
);

CREATE INDEX usage_forecasts_subject_metric ON usage_forecasts (subject, metric, generated_at);

CREATE TABLE usage_anomalies (
    id            {{.Serial}},
    subject       TEXT NOT NULL,
    metric        TEXT NOT NULL,
    at            BIGINT NOT NULL,
    method        TEXT NOT NULL,
    value         DOUBLE PRECISION NOT NULL,
    expected      DOUBLE PRECISION NOT NULL,
    score         DOUBLE PRECISION NOT NULL,
    risk          DOUBLE PRECISION NOT NULL,
    fraud_suspect BOOLEAN NOT NULL,
    status        TEXT NOT NULL,
    reasons       TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE INDEX usage_anomalies_subject_at ON usage_anomalies (subject, metric, at);

CREATE TABLE usage_reports (
    id           {{.Serial}},
    subject      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    format       TEXT NOT NULL,
    period_start BIGINT NOT NULL,
    period_end   BIGINT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    content      {{.Bytes}} NOT NULL
);
