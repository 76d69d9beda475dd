package sqlstore

import "strings"

// valuesList renders row, such as "(?, ?)", once per item, separated by commas,
// for a VALUES list (the form of row-value lists both backends accept), and the
// arguments that add appends for each item, in order.
func valuesList[T any](items []T, row string, add func(args []any, item T) []any) (string, []any) {
	var b strings.Builder
	args := make([]any, 0, strings.Count(row, "?")*len(items))
	for i, it := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
		args = add(args, it)
	}
	return b.String(), args
}
