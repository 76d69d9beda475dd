-- Anomaly records are keyed by what found them where: detection run again over an
-- overlapping window must not store the same anomaly twice. Rows written before the
-- key existed keep their first copy. The key's index replaces the plain one on
-- (subject, metric, at); an index on status serves triage lists across subjects.

DELETE FROM usage_anomalies WHERE id NOT IN (
    SELECT MIN(id) FROM usage_anomalies GROUP BY subject, metric, at, method
);

DROP INDEX usage_anomalies_subject_at;

CREATE UNIQUE INDEX usage_anomalies_key ON usage_anomalies (subject, metric, at, method);

CREATE INDEX usage_anomalies_status ON usage_anomalies (status, id);

ALTER TABLE usage_anomalies ADD COLUMN note TEXT NOT NULL DEFAULT '';
