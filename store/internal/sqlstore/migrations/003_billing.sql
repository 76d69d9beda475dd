-- Billing: the plan history, administrative quota adjustments, event corrections
-- and closed bills. Everything here is appended to, never rewritten: a correction or
-- an adjustment is a new row, and a bill once closed stays as it was delivered.
-- Amounts are exact decimal strings; times are BIGINT microseconds.

CREATE TABLE usage_plan_changes (
    id      {{.Serial}},
    subject TEXT NOT NULL,
    plan    TEXT NOT NULL,
    at      BIGINT NOT NULL
);

CREATE INDEX usage_plan_changes_subject_at ON usage_plan_changes (subject, at);

CREATE TABLE usage_quota_adjustments (
    id           {{.Serial}},
    subject      TEXT NOT NULL,
    metric       TEXT NOT NULL,
    period_start BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    amount       BIGINT NOT NULL,
    reason       TEXT NOT NULL,
    actor        TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE INDEX usage_quota_adjustments_quota ON usage_quota_adjustments (subject, period_start, metric);

CREATE TABLE usage_corrections (
    seq           {{.Serial}},
    subject       TEXT NOT NULL,
    correction_id TEXT NOT NULL,
    event_id      TEXT NOT NULL,
    metric        TEXT NOT NULL,
    period_start  BIGINT NOT NULL,
    kind          TEXT NOT NULL,
    old_value     BIGINT NOT NULL,
    new_value     BIGINT NOT NULL,
    reason        TEXT NOT NULL,
    actor         TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    UNIQUE (subject, correction_id)
);

CREATE INDEX usage_corrections_event ON usage_corrections (subject, event_id);

CREATE INDEX usage_events_subject_period ON usage_events (subject, metric, period_start);

-- One row per subject whose bills are being closed: closing a bill updates it, so
-- bills of one subject close one at a time on every backend.
CREATE TABLE usage_bill_subjects (
    subject TEXT PRIMARY KEY,
    closes  BIGINT NOT NULL
);

CREATE TABLE usage_bills (
    subject      TEXT NOT NULL,
    period_start BIGINT NOT NULL,
    period_end   BIGINT NOT NULL,
    closed_at    BIGINT NOT NULL,
    document     TEXT NOT NULL,
    PRIMARY KEY (subject, period_start)
);

CREATE TABLE usage_bill_lines (
    subject            TEXT NOT NULL,
    bill_period_start  BIGINT NOT NULL,
    metric             TEXT NOT NULL,
    usage_period_start BIGINT NOT NULL,
    used               BIGINT NOT NULL,
    amount             TEXT NOT NULL,
    currency           TEXT NOT NULL,
    PRIMARY KEY (subject, bill_period_start, metric, usage_period_start)
);

CREATE INDEX usage_bill_lines_usage ON usage_bill_lines (subject, usage_period_start);
