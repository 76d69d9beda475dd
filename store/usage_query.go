package store

import "time"

// OtherDimensionValue is the value a dimension takes in rollups once its subject has
// used more distinct values than the metric's bound: later values fold into it.
const OtherDimensionValue = "other"

// Dimensions are the declared dimensions of an event's metric and the event's values
// for them, which Ingest keeps in the event's hourly rollups.
type Dimensions struct {
	// Names are the declared dimensions, sorted, without repeats.
	Names []string
	// Values holds the event's value of each name, in the order of Names; a property
	// the event lacks is the empty string.
	Values []string
	// Limit bounds the distinct values of each dimension per subject and metric: the
	// first Limit values Ingest stores are kept, in the order it stores them, and
	// later ones are kept as OtherDimensionValue. Which values are kept is recorded in
	// the store inside the ingest transaction, so every process folds alike.
	Limit int
}

// UsageWindow is one window [Start, End) of a usage query.
type UsageWindow struct {
	Start, End time.Time
}

// UsageQueryParams are the arguments of Store.QueryUsage.
type UsageQueryParams struct {
	Metric string
	// Subject selects one subject; empty means every subject.
	Subject string
	// Windows are the windows to aggregate, in ascending order, not overlapping.
	Windows []UsageWindow
	// Dimensions are the metric's declared dimensions, which the store needs with
	// GroupBy or Filters to fold the values of events it reads as Ingest folded them.
	Dimensions []string
	// GroupBy lists declared dimensions to group by: one row per window and
	// combination of their values (values past the bound are OtherDimensionValue).
	GroupBy []string
	// Filters keeps only the events whose value of each named dimension is one of
	// those listed (compared as stored: past the bound, OtherDimensionValue).
	Filters map[string][]string
	// CountDistinct asks for the number of distinct values of DistinctProperty (or
	// of the events' users when it is empty) in each row's Count, per subject
	// (across subjects, the sum of each subject's count). It reads the events, not
	// the rollups; the other fields of the rows are then zero.
	CountDistinct    bool
	DistinctProperty string
	// Latest asks for the rows' Last and LastAt, which take more reading.
	Latest bool
}

// UsageRow aggregates the events of one window, or of one window and one
// combination of dimension values.
type UsageRow struct {
	// Window is the index of the window in UsageQueryParams.Windows.
	Window int
	// Group holds the row's value of each GroupBy dimension; nil without GroupBy.
	Group map[string]string
	// Total is the sum of the values in micro-units; Count the number of events; Min
	// and Max the extreme values.
	Total, Count, Min, Max int64
	// Last is the value of the latest event by time (of those at the same
	// microsecond, the last stored; across dimension groups, the greatest), and
	// LastAt its time.
	Last   int64
	LastAt time.Time
}

// UsageQueryResult is the result of Store.QueryUsage.
type UsageQueryResult struct {
	// Rows are ordered by window, then group; windows without events have none.
	Rows []UsageRow
}
