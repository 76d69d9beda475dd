package sqlstore

import (
	"reflect"
	"slices"
	"testing"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
)

// Ingest reads quota rows by quotaColumns and quotaRow.fields, not bun's mapping:
// a column added to quotaRow must be added to both.
func TestQuotaColumnsAreQuotaRowsColumns(t *testing.T) {
	table := bun.NewDB(nil, sqlitedialect.New()).Table(reflect.TypeFor[quotaRow]())
	var columns []string
	for _, f := range table.Fields {
		columns = append(columns, f.Name)
	}
	if !slices.Equal(columns, quotaColumns) {
		t.Errorf("quotaRow's columns are %v, quotaColumns %v", columns, quotaColumns)
	}
	var r quotaRow
	if got, want := len(r.fields()), len(quotaColumns); got != want {
		t.Errorf("quotaRow.fields has %d pointers for %d columns", got, want)
	}
}
