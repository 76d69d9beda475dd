-- Usage queries read a subject's rollups over all dimension values by ranges of
-- hours, and those of each combination of values apart. The combinations move to
-- a table of their own, so that the rows over all values of a subject's metric lie
-- next to each other in the key instead of one among each hour's combinations; on
-- SQLite both tables are stored in their key's order (WITHOUT ROWID), so that a
-- range is read from adjacent pages rather than row by row from the table.
CREATE TABLE usage_dimension_rollups (
    subject      TEXT NOT NULL,
    metric       TEXT NOT NULL,
    granularity  TEXT NOT NULL,
    bucket_start BIGINT NOT NULL,
    dimensions   TEXT NOT NULL,
    total        BIGINT NOT NULL,
    count        BIGINT NOT NULL,
    min_value    BIGINT NOT NULL,
    max_value    BIGINT NOT NULL,
    last_at      BIGINT NOT NULL,
    last_value   BIGINT NOT NULL,
    PRIMARY KEY (subject, metric, granularity, bucket_start, dimensions)
) {{.Clustered}};

INSERT INTO usage_dimension_rollups
SELECT subject, metric, granularity, bucket_start, dimensions, total, count, min_value, max_value, last_at, last_value
FROM usage_aggregations WHERE dimensions <> '';

{{if .Clustered}}
CREATE TABLE usage_aggregations_clustered (
    subject      TEXT NOT NULL,
    metric       TEXT NOT NULL,
    granularity  TEXT NOT NULL,
    bucket_start BIGINT NOT NULL,
    dimensions   TEXT NOT NULL,
    total        BIGINT NOT NULL,
    count        BIGINT NOT NULL,
    min_value    BIGINT NOT NULL,
    max_value    BIGINT NOT NULL,
    last_at      BIGINT NOT NULL DEFAULT 0,
    last_value   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (subject, metric, granularity, bucket_start, dimensions)
) {{.Clustered}};

INSERT INTO usage_aggregations_clustered
SELECT subject, metric, granularity, bucket_start, dimensions, total, count, min_value, max_value, last_at, last_value
FROM usage_aggregations WHERE dimensions = '';

DROP TABLE usage_aggregations;

ALTER TABLE usage_aggregations_clustered RENAME TO usage_aggregations;
{{else}}
DELETE FROM usage_aggregations WHERE dimensions <> '';
{{end}}
