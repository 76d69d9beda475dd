package usage_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
)

// adminSubjects puts five subjects on the basic plan (100 documents included, then
// €0.50 each) with documents 120, 150, 90, 101 and 150.
func adminSubjects(t *testing.T, b *testMeter) {
	t.Helper()
	ctx := context.Background()
	for subject, docs := range map[string]float64{"s1": 120, "s2": 150, "s3": 90, "s4": 101, "s5": 150} {
		require.NoError(t, b.meter.Assign(ctx, usage.Assignment{Subject: subject, Plan: "basic"}))
		track(t, b.meter, usage.Event{Subject: subject, Metric: usage.MetricDocuments, Value: docs})
	}
}

// pages follows a view's cursors to its end and returns each page's subjects as
// "subject figure", where figure says what the view orders by.
func pages(t *testing.T, view func(cursor string) (*usage.SubjectPage, error), figure func(usage.SubjectUsage) string) [][]string {
	t.Helper()
	var out [][]string
	cursor := ""
	for {
		p, err := view(cursor)
		require.NoError(t, err)
		var page []string
		for _, s := range p.Subjects {
			page = append(page, s.Subject+" "+figure(s))
		}
		out = append(out, page)
		if p.NextCursor == "" {
			return out
		}
		require.Less(t, len(out), 10, "the cursors end")
		cursor = p.NextCursor
	}
}

func TestTopSubjectsByUsageComeAPageAtATime(t *testing.T) {
	eachMeter(t, func(t *testing.T, b *testMeter) {
		adminSubjects(t, b)
		got := pages(t, func(cursor string) (*usage.SubjectPage, error) {
			return b.meter.TopSubjects(context.Background(), usage.SubjectsQuery{Metric: usage.MetricDocuments, Limit: 2, Cursor: cursor}, usage.RankByUsage)
		}, func(s usage.SubjectUsage) string { return s.Used.String() + " " + s.OverageCost.String() })
		require.Equal(t, [][]string{{"s2 150 €25.00", "s5 150 €25.00"}, {"s1 120 €10.00", "s4 101 €0.50"}, {"s3 90 €0.00"}}, got)
	})
}

func TestTopSubjectsByOverageCostLeaveOutThoseWhoseUsageCostsNothing(t *testing.T) {
	eachMeter(t, func(t *testing.T, b *testMeter) {
		adminSubjects(t, b)
		got := pages(t, func(cursor string) (*usage.SubjectPage, error) {
			return b.meter.TopSubjects(context.Background(), usage.SubjectsQuery{Metric: usage.MetricDocuments, Limit: 2, Cursor: cursor}, usage.RankByOverageCost)
		}, func(s usage.SubjectUsage) string { return s.OverageCost.String() })
		require.Equal(t, [][]string{{"s2 €25.00", "s5 €25.00"}, {"s1 €10.00", "s4 €0.50"}}, got)
	})
}

func TestMetricQuotasListEverySubjectWithUsageBySubject(t *testing.T) {
	eachMeter(t, func(t *testing.T, b *testMeter) {
		adminSubjects(t, b)
		got := pages(t, func(cursor string) (*usage.SubjectPage, error) {
			return b.meter.MetricQuotas(context.Background(), usage.SubjectsQuery{Metric: usage.MetricDocuments, Limit: 2, Cursor: cursor})
		}, func(s usage.SubjectUsage) string { return s.Remaining.String() })
		require.Equal(t, [][]string{{"s1 0", "s2 0"}, {"s3 10", "s4 0"}, {"s5 0"}}, got)
	})
}

func TestAdminViewsRefuseACursorOfAnotherView(t *testing.T) {
	eachMeter(t, func(t *testing.T, b *testMeter) {
		adminSubjects(t, b)
		ctx := context.Background()
		p, err := b.meter.MetricQuotas(ctx, usage.SubjectsQuery{Metric: usage.MetricDocuments, Limit: 1})
		require.NoError(t, err)
		_, err = b.meter.TopSubjects(ctx, usage.SubjectsQuery{Metric: usage.MetricDocuments, Cursor: p.NextCursor}, usage.RankByUsage)
		var ve *usage.ValidationError
		require.ErrorAs(t, err, &ve)
		require.Equal(t, "cursor", ve.Field)
		_, err = b.meter.TopSubjects(ctx, usage.SubjectsQuery{Metric: usage.MetricDocuments, Limit: -1}, usage.RankByUsage)
		require.ErrorAs(t, err, &ve)
		require.Equal(t, "limit", ve.Field)
	})
}
