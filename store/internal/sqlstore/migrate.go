package sqlstore

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/uptrace/bun"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered schema step: SQL or, for values SQL cannot compute, Go.
// Files are named NNN_name.sql and written once for both backends; {{.Serial}} and
// {{.Bytes}} stand for the column types that differ.
type migration struct {
	version int
	name    string
	sql     string
	run     func(ctx context.Context, tx bun.Tx) error
}

// goMigrations are the steps written in Go, numbered among the files.
var goMigrations = []migration{
	{version: 9, name: "fill_events_series", run: fillEventSeries},
}

// migrate applies the migrations the database lacks, in one transaction, under the
// dialect's migration lock: several processes may open the same database at once,
// and a process killed mid-way leaves nothing half-applied (DDL is transactional on
// both backends).
func (s *engine) migrate(ctx context.Context) error {
	migrations, err := s.loadMigrations()
	if err != nil {
		return err
	}
	// The usual database has every migration already: seen by a read, without the
	// lock, which on SQLite is the write lock that a process opening beside busy
	// writers could wait for past its busy timeout.
	if s.upToDate(ctx, migrations) {
		return nil
	}
	return s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if s.dialect.MigrationLock != "" {
			if _, err := tx.ExecContext(ctx, s.dialect.MigrationLock); err != nil {
				return fmt.Errorf("lock migrations: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS usage_schema_migrations (
			version INTEGER PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
			return fmt.Errorf("create migrations table: %w", err)
		}
		applied, err := appliedVersions(ctx, tx)
		if err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		for _, m := range migrations {
			// Every missing version runs, not only those above the highest applied.
			if slices.Contains(applied, m.version) {
				continue
			}
			for _, stmt := range splitStatements(m.sql) {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("migration %03d_%s: %w", m.version, m.name, err)
				}
			}
			if m.run != nil {
				if err := m.run(ctx, tx); err != nil {
					return fmt.Errorf("migration %03d_%s: %w", m.version, m.name, err)
				}
			}
			if _, err := tx.NewInsert().Model(&map[string]any{"version": m.version, "name": m.name}).
				TableExpr("usage_schema_migrations").Exec(ctx); err != nil {
				return fmt.Errorf("record migration %03d: %w", m.version, err)
			}
		}
		return nil
	})
}

// upToDate reports whether the database records every one of migrations as
// applied; false too when it cannot tell, as for a new database without the table
// of them, and migrate takes the lock to find out. Migrations are only ever added,
// so a database found up to date stays so.
func (s *engine) upToDate(ctx context.Context, migrations []migration) bool {
	applied, err := appliedVersions(ctx, s.db)
	if err != nil {
		return false
	}
	for _, m := range migrations {
		if !slices.Contains(applied, m.version) {
			return false
		}
	}
	return true
}

// appliedVersions returns the versions the database records as applied.
func appliedVersions(ctx context.Context, db bun.IDB) ([]int, error) {
	var applied []int
	err := db.NewSelect().TableExpr("usage_schema_migrations").Column("version").Scan(ctx, &applied)
	return applied, err
}

func (s *engine) loadMigrations() ([]migration, error) {
	entries, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	out := slices.Clone(goMigrations)
	for _, path := range entries {
		base := strings.TrimSuffix(strings.TrimPrefix(path, "migrations/"), ".sql")
		num, name, ok := strings.Cut(base, "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %s: want NNN_name.sql", path)
		}
		text, err := migrationFiles.ReadFile(path)
		if err != nil {
			return nil, err
		}
		tmpl, err := template.New(base).Option("missingkey=error").Parse(string(text))
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", path, err)
		}
		var buf bytes.Buffer
		if err := tmpl.Execute(&buf, s.dialect); err != nil {
			return nil, fmt.Errorf("migration %s: %w", path, err)
		}
		out = append(out, migration{version: version, name: name, sql: buf.String()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("two migrations numbered %03d: %s and %s", out[i].version, out[i-1].name, out[i].name)
		}
	}
	return out, nil
}

// splitStatements splits a migration file on semicolons that end a line, dropping
// comment-only lines, since a prepared Exec runs one statement at a time.
func splitStatements(script string) []string {
	var lines []string
	for _, line := range strings.Split(script, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		lines = append(lines, line)
	}
	var out []string
	for _, stmt := range strings.Split(strings.Join(lines, "\n"), ";\n") {
		if stmt = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(stmt), ";")); stmt != "" {
			out = append(out, stmt)
		}
	}
	return out
}
