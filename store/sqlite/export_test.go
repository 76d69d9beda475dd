package sqlite

import (
	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store/internal/sqlstore"
)

// BunDB is the database under s, for the tests of package sqlite_test that check
// how the store uses it (the plans of its queries).
func BunDB(s *Store) *bun.DB { return s.Store.(*sqlstore.Store).DB() }
