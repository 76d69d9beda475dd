package store

import "fmt"

// DefaultRememberedRows is Settings.RememberedRows unless WithRememberedRows says
// otherwise: with it a store's share of a process's memory at a million subjects
// stays within the bound BENCHMARKS.md, "Larger default bounds", measures.
const DefaultRememberedRows = 131_072

// Option changes a setting of a store as it is opened (sqlite.Open and New,
// postgres.Open and New).
type Option func(*Settings)

// Settings are what Options set.
type Settings struct {
	// RememberedRows is the most keys of rows of each kind the store remembers
	// between batches, so that a batch need not read them: dimension values that
	// are kept; four times as many quota rows that exist, each held as a hash of
	// eight bytes (a batch tries to create the rows it does not remember, and
	// runs again when one exists); and as many quota rows as it last wrote them,
	// whose values cost several times the memory of a key: a batch decides
	// against remembered rows without reading them only if it remembers every row
	// it charges, so the bound should hold the quota rows (subjects × metrics)
	// that send within a few seconds of each other. Past the
	// bound, a new row takes the place of one that no batch has met lately (CLOCK
	// eviction), so the subjects that keep sending stay remembered; one dropped
	// is read from the database when it returns, with the same results. The
	// store also remembers the keys of at least as many events as it stored last,
	// in two Bloom filters of 16 bits a key, so that a batch reads first the
	// replays among its events instead of finding them by its insert and running
	// again. It bounds the store's memory however many subjects it meters.
	RememberedRows int
}

// WithRememberedRows sets Settings.RememberedRows; n must be at least 1.
func WithRememberedRows(n int) Option {
	return func(s *Settings) { s.RememberedRows = n }
}

// SettingsOf applies opts to the defaults, and checks the result.
func SettingsOf(opts []Option) (Settings, error) {
	s := Settings{RememberedRows: DefaultRememberedRows}
	for _, opt := range opts {
		opt(&s)
	}
	if s.RememberedRows < 1 {
		return Settings{}, fmt.Errorf("WithRememberedRows(%d): the store must remember at least one row", s.RememberedRows)
	}
	return s, nil
}
