package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
)

// RowVersion is a version the database keeps of every row, which any transaction
// that writes the row changes, whoever runs it: Postgres' xmin, the ID of the
// transaction that wrote the row's current version. Ingest compares a remembered
// quota row by its version and its usage (see compareAndSetQuotas) instead of by
// every column a write may change: fewer values to send, parse and compare per row,
// and no column a new kind of write could change unseen.
type RowVersion struct {
	// Column is the row's version, of type Type, to compare with an array of Type.
	Column, Type string
	// Read is Column as a bigint, to read with the row.
	Read string
	// Current is the version, as a bigint, of the rows the current transaction
	// writes; evaluating it gives the transaction its ID if it has none yet.
	Current string
	// QueryLast runs stmt, statements without arguments, in one message on conn,
	// and returns the values of the first row of the last statement's result.
	QueryLast func(ctx context.Context, conn *sql.Conn, stmt string) ([]string, error)
}

// versionedCompareAndSetColumns name the values compareAndSetQuotas gives each row
// where the database keeps row versions: counterColumns, then the row's version
// and usage as remembered. The usage guards against a version that comes round
// again: a transaction ID is 32 bits on Postgres.
var versionedCompareAndSetColumns = append(slices.Clone(counterColumns), "was_version", "was_used")

// versionedCompareAndSet is compareAndSetQuotas's statement where the database keeps
// row versions (v), around its rows: it writes the rows found as remembered, in key
// order (see keyOrder), and returns how many it wrote and the version it gave them.
func versionedCompareAndSet(v *RowVersion) arrayForm {
	types := slices.Repeat([]string{"bigint"}, len(versionedCompareAndSetColumns))
	types[0], types[len(types)-2] = "text", v.Type
	return arrayForm{
		head: "WITH w AS (" + setCounters + "(SELECT * FROM ",
		tail: " ORDER BY id) AS v WHERE q.id = v.id AND q." + v.Column + " = v.was_version AND q.used = v.was_used " +
			"RETURNING 1) SELECT count(*), " + v.Current + " FROM w",
		names: versionedCompareAndSetColumns, types: types,
	}
}

// queryLast runs stmt in t with the dialect's RowVersion.QueryLast and returns the
// values of its last statement's first row as integers; on a pipelined transaction
// the first statement also opens the transaction.
func (s *engine) queryLast(ctx context.Context, t *ingestTx, stmt string) ([]int64, error) {
	if t.pipelined && !t.begun {
		stmt = "BEGIN;\n" + stmt
	}
	vals, err := s.dialect.RowVersion.QueryLast(ctx, t.conn, stmt)
	if err != nil {
		return nil, err
	}
	t.begun = true
	out := make([]int64, len(vals))
	for i, v := range vals {
		if out[i], err = strconv.ParseInt(v, 10, 64); err != nil {
			return nil, fmt.Errorf("sqlstore: a value of %q is not an integer", v)
		}
	}
	return out, nil
}

// learnVersion reads the version of the rows the attempt writes where the database
// keeps versions and no statement of the attempt has returned it yet: an attempt
// that only created quota rows, or wrote by key only rows it created. Rows left
// with their version known are decided against as remembered by the next batch,
// instead of being read and locked by it, as every subject's rows of a new period
// would be in the second pass over them.
func (s *engine) learnVersion(ctx context.Context, t *ingestTx) error {
	v := s.dialect.RowVersion
	if v == nil || t.version != 0 {
		return nil
	}
	vals, err := s.queryLast(ctx, t, "SELECT "+v.Current)
	if err != nil {
		return fmt.Errorf("read the transaction's version: %w", err)
	}
	t.version = vals[0]
	return nil
}

// versionOf returns the version of quota row id that this attempt leaves: the
// transaction's for a row it wrote (changed, created or compared), and the one read
// for a row it locked and left as it was; zero where it does not know.
func (t *ingestTx) versionOf(id string, written bool) int64 {
	if v, ok := t.rowVersions[id]; ok && !written {
		return v
	}
	return t.version
}
