-- Every batch rewrites the counters of the quota rows it charges. On Postgres an
-- update writes a new version of the row; on a full page it goes to another page
-- and every index of the table gets an entry for it, while on the same page, with
-- no indexed column changed, it touches no index and the old version is reclaimed
-- by the next visit to the page (a heap-only tuple). Pages are filled at first only
-- in part, so that the new versions fit. No index of usage_quotas may include a
-- column the counters' UPDATE changes (used, count, total, last_at, updated_at).
{{if .UpdateRoom}}
ALTER TABLE usage_quotas SET ({{.UpdateRoom}});
{{end}}
