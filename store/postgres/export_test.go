package postgres

import (
	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store/internal/sqlstore"
)

// CopyRows is copyRows, for the tests of package postgres_test, which have a server.
var CopyRows = copyRows

// BunDB is the database under s, for the tests of package postgres_test that work
// on its connections (CopyRows).
func BunDB(s *Store) *bun.DB { return s.Store.(*sqlstore.Store).DB() }

// DropIdle is dropIdle, for the tests of package postgres_test.
var DropIdle = dropIdle

// WarmUp is the statement Open has each of its connections run.
const WarmUp = sqlstore.WarmUp
