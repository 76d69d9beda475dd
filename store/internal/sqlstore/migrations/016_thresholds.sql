-- A subject's own alert thresholds, which replace its plan's for one metric. The
-- first schema's usage_thresholds was never written; this one replaces it. levels
-- is a JSON array of {"threshold": basis points, "severity": …}.

DROP TABLE usage_thresholds;

CREATE TABLE usage_thresholds (
    subject TEXT NOT NULL,
    metric TEXT NOT NULL,
    levels TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (subject, metric)
);
