package store

import "time"

// Bucket is the rollup of the events of one subject and metric in one hour (UTC
// hours: Start is a whole hour since the Unix epoch).
type Bucket struct {
	Start time.Time
	// Total is the sum of the values in micro-units; Count the number of events; Min
	// and Max the extreme values in micro-units.
	Total, Count, Min, Max int64
}

// SeriesParams are the arguments of Store.Series.
type SeriesParams struct {
	Subject  string
	Metric   string
	From, To time.Time
}

// SeriesResult is the result of Store.Series.
type SeriesResult struct {
	Buckets []Bucket
}

// SeriesKey names the hourly series of one subject's metric.
type SeriesKey struct {
	Subject string
	Metric  string
}

// ListActiveSeriesParams are the arguments of Store.ListActiveSeries.
type ListActiveSeriesParams struct {
	// Since selects series with an hourly rollup starting at or after it.
	Since time.Time
	// After lists keys greater than it, by subject then metric, for paging; the zero
	// key starts from the first.
	After SeriesKey
	// Limit caps the number of keys; 0 means 1000.
	Limit int
}

// ListActiveSeriesResult is the result of Store.ListActiveSeries.
type ListActiveSeriesResult struct {
	// Series are ordered by subject, then metric.
	Series []SeriesKey
}
