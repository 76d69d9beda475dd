package sqlstore

// WarmUp is a statement that reads nothing and changes nothing: lookups, of keys
// no row has, through the indexes that Track and CheckQuota use on every call, in
// the shapes of their statements. A Postgres server process reads the catalog
// entries of a table, of its indexes and of their operators the first time one of
// its statements uses them; a pool of new connections that each ran it does not
// make the first calls after a start pay for that once per connection.
const WarmUp = "SELECT FROM usage_subjects WHERE subject IN ('');\n" +
	"SELECT FROM usage_quotas WHERE id = ANY('{\"\"}'::text[]);\n" +
	"SELECT FROM usage_events WHERE event_id = '' AND subject = ''"
