package sqlstore

import (
	"cmp"
	"slices"
	"strings"

	"github.com/usagekit/usage/store"
)

// partial is an aggregate of some of a window's events: one rollup row, a
// window's sum of them, or one event.
type partial struct {
	window                               int64
	total, count, min, max, lastAt, last int64
}

type accKey struct {
	window int
	group  string
}

// usageAcc folds partial aggregates into the rows of a usage query: it filters them
// by their dimension values and groups them by the query's GroupBy.
type usageAcc struct {
	params   *store.UsageQueryParams
	rows     map[accKey]*store.UsageRow
	distinct map[accKey]map[[2]string]bool
}

func newUsageAcc(params *store.UsageQueryParams) *usageAcc {
	return &usageAcc{params: params, rows: map[accKey]*store.UsageRow{}, distinct: map[accKey]map[[2]string]bool{}}
}

// byDimensions reports whether the query needs each event's dimension values.
func (a *usageAcc) byDimensions() bool {
	return len(a.params.GroupBy) > 0 || len(a.params.Filters) > 0
}

// row returns the row of the window and group of values, or nil when the filters
// leave the values out.
func (a *usageAcc) row(window int, values map[string]string) *store.UsageRow {
	for name, allowed := range a.params.Filters {
		if !slices.Contains(allowed, values[name]) {
			return nil
		}
	}
	group := make([]string, len(a.params.GroupBy))
	for i, name := range a.params.GroupBy {
		group[i] = values[name]
	}
	k := accKey{window, groupKey(group)}
	r := a.rows[k]
	if r == nil {
		r = &store.UsageRow{Window: window}
		if len(group) > 0 {
			r.Group = make(map[string]string, len(group))
			for i, name := range a.params.GroupBy {
				r.Group[name] = group[i]
			}
		}
		a.rows[k] = r
	}
	return r
}

// add folds p into its row. Of two parts whose latest events have the same time,
// the one stored later wins if storedLater (events read in storage order), else
// the greater value (rollup rows of different dimension values).
func (a *usageAcc) add(p partial, values map[string]string, storedLater bool) {
	r := a.row(int(p.window), values)
	if r == nil || p.count == 0 {
		return
	}
	first := r.Count == 0
	r.Total += p.total
	r.Count += p.count
	if first || p.min < r.Min {
		r.Min = p.min
	}
	if first || p.max > r.Max {
		r.Max = p.max
	}
	at := micros(r.LastAt)
	if first || p.lastAt > at || (p.lastAt == at && (storedLater || p.last > r.Last)) {
		r.LastAt, r.Last = fromMicros(p.lastAt), p.last
	}
}

// addDistinct counts the value of a subject once in its row.
func (a *usageAcc) addDistinct(window int, values map[string]string, subject, value string) {
	r := a.row(window, values)
	if r == nil {
		return
	}
	k := accKey{window, groupKey(groupValues(r.Group, a.params.GroupBy))}
	if a.distinct[k] == nil {
		a.distinct[k] = map[[2]string]bool{}
	}
	if v := [2]string{subject, value}; !a.distinct[k][v] {
		a.distinct[k][v] = true
		r.Count++
	}
}

func groupValues(group map[string]string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = group[n]
	}
	return out
}

// result returns the rows with events, by window, then group.
func (a *usageAcc) result() *store.UsageQueryResult {
	keys := make([]accKey, 0, len(a.rows))
	for k, r := range a.rows {
		if r.Count > 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(x, y accKey) int {
		return cmp.Or(cmp.Compare(x.window, y.window), strings.Compare(x.group, y.group))
	})
	out := &store.UsageQueryResult{Rows: make([]store.UsageRow, len(keys))}
	for i, k := range keys {
		out.Rows[i] = *a.rows[k]
	}
	return out
}
