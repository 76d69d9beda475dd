package usage_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
)

// hostileStrings are what a careless or malicious caller passes for a string.
var hostileStrings = map[string]string{
	"empty":         "",
	"NUL":           "a\x00b",
	"invalid UTF-8": "\xff\xfe\xfd",
	"10000 chars":   strings.Repeat("x", 10000),
	"SQL":           "'; DROP TABLE usage_events;--",
	"formula":       "=1+2",
	"newline":       "a\nb",
	"unicode":       "ünïcødé 🙂",
}

// hostileNumbers are the float64 values that are not plain amounts, and those at and
// just past the documented bounds.
var hostileNumbers = map[string]float64{
	"NaN":                  math.NaN(),
	"+Inf":                 math.Inf(1),
	"-Inf":                 math.Inf(-1),
	"-0":                   math.Copysign(0, -1),
	"subnormal":            5e-324,
	"negative subnormal":   -5e-324,
	"a millionth":          1e-6,
	"seven places":         1e-7,
	"MaxValue":             usage.MaxValue,
	"just past MaxValue":   math.Nextafter(usage.MaxValue, math.Inf(1)),
	"-MaxValue":            -usage.MaxValue,
	"MaxWholeValue":        usage.MaxWholeValue,
	"past MaxWholeValue":   math.Nextafter(usage.MaxWholeValue, math.Inf(1)),
	"largest float64":      math.MaxFloat64,
	"smallest normal":      2.2250738585072014e-308,
	"negative one":         -1,
	"one":                  1,
	"half":                 0.5,
	"2^63":                 math.Ldexp(1, 63),
	"minus largest float":  -math.MaxFloat64,
	"a tenth of a million": 1e-7 * 1e6,
}

// documented reports whether err is one a public call documents for bad input or
// for a record that does not exist, and reads as a short, printable message.
func documented(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, want := range []error{usage.ErrInvalidEvent, usage.ErrUnknownPlan, usage.ErrNoPlan,
		usage.ErrAnomalyNotFound, usage.ErrEventNotFound, usage.ErrInsufficientHistory, usage.ErrQuotaExceeded} {
		if errors.Is(err, want) {
			require.LessOrEqual(t, len(err.Error()), 600, "the message quotes at most a prefix of the input: %.200s", err)
			require.True(t, utf8.ValidString(err.Error()), "the message is valid UTF-8: %q", err)
			return
		}
	}
	t.Fatalf("an error no call documents for bad input: %v", err)
}

// hostile runs call, which must not panic and must return nil or a documented
// error; then the Meter must still track.
func hostile(t *testing.T, tm *testMeter, call func() error) {
	t.Helper()
	var err error
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("panic: %v", p)
			}
		}()
		err = call()
	}()
	documented(t, err)
	_, err = tm.meter.Track(context.Background(), usage.Event{Subject: "healthy", Metric: usage.MetricAPICalls, Value: 1})
	require.NoError(t, err, "the Meter tracks after the hostile call")
}

// TestHostileStringsGetADocumentedErrorOrRoundTrip passes each hostile string in
// every string argument of every public call: each call returns a documented error
// or takes the string, and what Track takes it gives back verbatim.
func TestHostileStringsGetADocumentedErrorOrRoundTrip(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		t.Parallel()
		ctx := context.Background()
		tm := newMeter(t, db)
		m := tm.meter
		track(t, m, usage.Event{Subject: "acme", ID: "e1", Metric: "credits", Value: 1})
		stored, err := tm.st.InsertAnomalies(ctx, &store.InsertAnomaliesParams{Anomalies: []store.Anomaly{{
			Subject: "acme", Metric: "credits", At: tm.clock.Now().Truncate(time.Hour), Method: "ensemble",
			Status: string(usage.AnomalyOpen), CreatedAt: tm.clock.Now(), UpdatedAt: tm.clock.Now()}}})
		require.NoError(t, err)
		anomalyID := stored.Inserted[0].ID
		n := 0
		for name, s := range hostileStrings {
			t.Run(name, func(t *testing.T) {
				calls := map[string]func() error{
					"Track.Subject": func() error { return roundTrip(t, m, usage.Event{Subject: s, Metric: "credits", Value: 1}) },
					"Track.ID": func() error {
						return roundTrip(t, m, usage.Event{Subject: "acme", ID: s, Metric: "credits", Value: 1})
					},
					"Track.User": func() error {
						return roundTrip(t, m, usage.Event{Subject: "acme", User: s, Metric: "credits", Value: 1})
					},
					"Track.Metric": func() error { return roundTrip(t, m, usage.Event{Subject: "acme", Metric: s, Value: 1}) },
					"Track.Properties value": func() error {
						return roundTrip(t, m, usage.Event{Subject: "acme", Metric: "credits", Value: 1,
							Properties: map[string]string{"route": s}})
					},
					"Track.Properties key": func() error {
						return roundTrip(t, m, usage.Event{Subject: "acme", Metric: "credits", Value: 1,
							Properties: map[string]string{s: "v"}})
					},
					"TrackBatch.Subject": func() error {
						_, err := m.TrackBatch(ctx, []usage.Event{{Subject: "acme", Metric: "credits", Value: 1}, {Subject: s, Metric: "credits", Value: 1}})
						return err
					},
					"CheckQuota.subject": func() error { _, err := m.CheckQuota(ctx, s, "credits", 1); return err },
					"CheckQuota.metric":  func() error { _, err := m.CheckQuota(ctx, "acme", s, 1); return err },
					"Quotas.subject":     func() error { _, err := m.Quotas(ctx, s); return err },
					"Assign.Subject":     func() error { return m.Assign(ctx, usage.Assignment{Subject: s, Plan: "strict"}) },
					"Assign.Plan":        func() error { return m.Assign(ctx, usage.Assignment{Subject: "assigned", Plan: s}) },
					"Assign.TimeZone": func() error {
						return m.Assign(ctx, usage.Assignment{Subject: "assigned", Plan: "strict", TimeZone: s})
					},
					"Assign.Cycle": func() error {
						return m.Assign(ctx, usage.Assignment{Subject: "assigned", Plan: "strict", Cycle: usage.Cycle(s)})
					},
					"Invoice.subject": func() error { _, err := m.Invoice(ctx, s, time.Time{}); return err },
					"Correct.Subject": func() error {
						_, err := m.Correct(ctx, usage.Correction{Subject: s, EventID: "e1", Kind: usage.CorrectionVoid, Reason: "r"})
						return err
					},
					"Correct.EventID": func() error {
						_, err := m.Correct(ctx, usage.Correction{Subject: "acme", EventID: s, Kind: usage.CorrectionVoid, Reason: "r"})
						return err
					},
					"Correct.ID": func() error {
						_, err := m.Correct(ctx, usage.Correction{ID: s, Subject: "acme", EventID: "missing", Kind: usage.CorrectionVoid, Reason: "r"})
						return err
					},
					"Correct.Reason": func() error {
						_, err := m.Correct(ctx, usage.Correction{Subject: "acme", EventID: "missing", Kind: usage.CorrectionVoid, Reason: s})
						return err
					},
					"Correct.Actor": func() error {
						_, err := m.Correct(ctx, usage.Correction{Subject: "acme", EventID: "missing", Kind: usage.CorrectionVoid, Reason: "r", Actor: s})
						return err
					},
					"Correct.Kind": func() error {
						_, err := m.Correct(ctx, usage.Correction{Subject: "acme", EventID: "missing", Kind: usage.CorrectionKind(s), Reason: "r"})
						return err
					},
					"Grant.Subject": func() error {
						_, err := m.Grant(ctx, usage.QuotaGrant{Subject: s, Metric: "credits", Units: 1, Reason: "r"})
						return err
					},
					"Grant.Metric": func() error {
						_, err := m.Grant(ctx, usage.QuotaGrant{Subject: "acme", Metric: s, Units: 1, Reason: "r"})
						return err
					},
					"Grant.Reason": func() error {
						_, err := m.Grant(ctx, usage.QuotaGrant{Subject: "acme", Metric: "credits", Units: 1, Reason: s})
						return err
					},
					"Grant.Actor": func() error {
						_, err := m.Grant(ctx, usage.QuotaGrant{Subject: "acme", Metric: "credits", Units: 1, Reason: "r", Actor: s})
						return err
					},
					"ResetQuota.Reason": func() error {
						_, err := m.ResetQuota(ctx, usage.QuotaReset{Subject: "acme", Metric: "credits", Reason: s})
						return err
					},
					"ResetQuota.Subject": func() error {
						_, err := m.ResetQuota(ctx, usage.QuotaReset{Subject: s, Metric: "credits", Reason: "r"})
						return err
					},
					"Anomalies.Subject": func() error { _, err := m.Anomalies(ctx, usage.AnomalyFilter{Subject: s}); return err },
					"Anomalies.Metric":  func() error { _, err := m.Anomalies(ctx, usage.AnomalyFilter{Metric: s}); return err },
					"Anomalies.Method": func() error {
						_, err := m.Anomalies(ctx, usage.AnomalyFilter{Method: usage.AnomalyMethod(s)})
						return err
					},
					"Anomalies.Status": func() error {
						_, err := m.Anomalies(ctx, usage.AnomalyFilter{Status: usage.AnomalyStatus(s)})
						return err
					},
					"SetAnomalyStatus.note": func() error {
						a, err := m.SetAnomalyStatus(ctx, anomalyID, usage.AnomalyInvestigating, s)
						if err == nil {
							require.Equal(t, s, a.Note, "the note round-trips verbatim")
						}
						return err
					},
					"SetAnomalyStatus.status": func() error {
						_, err := m.SetAnomalyStatus(ctx, anomalyID, usage.AnomalyStatus(s), "")
						return err
					},
					"Events.Subject": func() error { _, err := m.Events(ctx, usage.EventQuery{Subject: s}); return err },
					"Events.Metric": func() error {
						_, err := m.Events(ctx, usage.EventQuery{Subject: "acme", Metric: s})
						return err
					},
					"Corrections.subject": func() error { _, err := m.Corrections(ctx, s, 0, 0); return err },
					"Forecast.subject": func() error {
						_, err := m.Forecast(ctx, s, "credits", usage.ForecastOptions{})
						return err
					},
					"Forecast.metric": func() error {
						_, err := m.Forecast(ctx, "acme", s, usage.ForecastOptions{})
						return err
					},
					"Forecasts.subject": func() error { _, err := m.Forecasts(ctx, s, "", 0); return err },
					"Forecasts.metric":  func() error { _, err := m.Forecasts(ctx, "acme", s, 0); return err },
					"DetectAnomalies.subject": func() error {
						_, err := m.DetectAnomalies(ctx, s, "credits", usage.DetectOptions{SkipEvents: true})
						return err
					},
					"DetectAnomalies.metric": func() error {
						_, err := m.DetectAnomalies(ctx, "acme", s, usage.DetectOptions{SkipEvents: true})
						return err
					},
				}
				for call, fn := range calls {
					t.Run(call, func(t *testing.T) { hostile(t, tm, fn) })
					n++
				}
			})
		}
		require.Positive(t, n)
	})
}

// roundTrip tracks ev and, when it is taken, checks that the stored event gives back
// every string verbatim.
func roundTrip(t *testing.T, m *usage.Meter, ev usage.Event) error {
	t.Helper()
	res, err := m.Track(context.Background(), ev)
	if err != nil {
		return err
	}
	if ev.Subject != "" {
		require.Equal(t, ev.Subject, res.Event.Subject)
	}
	if ev.ID != "" {
		require.Equal(t, ev.ID, res.Event.ID)
	}
	page, err := m.Events(context.Background(), usage.EventQuery{Subject: res.Event.Subject, Limit: usage.MaxPageSize})
	require.NoError(t, err)
	for _, e := range page.Events {
		if e.ID == res.Event.ID {
			require.Equal(t, ev.User, e.User)
			require.Equal(t, ev.Metric, e.Metric)
			if len(ev.Properties) > 0 {
				require.Equal(t, ev.Properties, e.Properties)
			}
			return nil
		}
	}
	return fmt.Errorf("event %q of %q tracked but not listed", res.Event.ID, res.Event.Subject)
}

// TestHostileNumbersGetADocumentedErrorOrAreExact passes each hostile number as every
// amount a public call takes.
func TestHostileNumbersGetADocumentedErrorOrAreExact(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		t.Parallel()
		ctx := context.Background()
		tm := newMeter(t, db)
		m := tm.meter
		for name, v := range hostileNumbers {
			t.Run(name, func(t *testing.T) {
				subject := "n-" + strings.ReplaceAll(name, " ", "-")
				hostile(t, tm, func() error {
					res, err := m.Track(ctx, usage.Event{Subject: subject, ID: "e1", Metric: usage.MetricAPICalls, Value: v})
					if err == nil {
						require.Equal(t, v, res.Event.Value, "the value round-trips exactly")
					}
					return err
				})
				hostile(t, tm, func() error { _, err := m.CheckQuota(ctx, subject, "credits", v); return err })
				hostile(t, tm, func() error {
					_, err := m.Grant(ctx, usage.QuotaGrant{Subject: subject, Metric: "credits", Units: v, Reason: "r"})
					return err
				})
				hostile(t, tm, func() error {
					_, err := m.Correct(ctx, usage.Correction{Subject: subject, EventID: "e1", Kind: usage.CorrectionAmend, Value: v, Reason: "r"})
					return err
				})
			})
		}
	})
}

// TestHostilePagesAndSpansGetADocumentedError passes page sizes, cursors and time
// ranges at and past their bounds to every listing.
func TestHostilePagesAndSpansGetADocumentedError(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		t.Parallel()
		ctx := context.Background()
		tm := newMeter(t, db)
		m := tm.meter
		now := tm.clock.Now()
		times := []time.Time{{}, now, time.Unix(0, 0), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), time.Unix(1<<62, 0)}
		for _, limit := range []int{-1, 0, 1, usage.MaxPageSize, usage.MaxPageSize + 1, usage.MaxAnomalyListLimit + 1, math.MaxInt, math.MinInt} {
			for _, after := range []int64{-1, 0, 1, math.MaxInt64, math.MinInt64} {
				hostile(t, tm, func() error {
					_, err := m.Events(ctx, usage.EventQuery{Subject: "acme", After: after, Limit: limit})
					return err
				})
				hostile(t, tm, func() error { _, err := m.Corrections(ctx, "acme", after, limit); return err })
				hostile(t, tm, func() error {
					_, err := m.Anomalies(ctx, usage.AnomalyFilter{AfterID: after, Limit: limit})
					return err
				})
				hostile(t, tm, func() error {
					_, err := m.SetAnomalyStatus(ctx, after, usage.AnomalyDismissed, "")
					return err
				})
			}
			hostile(t, tm, func() error { _, err := m.Forecasts(ctx, "acme", "", limit); return err })
		}
		for _, from := range times {
			for _, to := range times {
				hostile(t, tm, func() error {
					_, err := m.Events(ctx, usage.EventQuery{Subject: "acme", From: from, To: to})
					return err
				})
				hostile(t, tm, func() error {
					_, err := m.Anomalies(ctx, usage.AnomalyFilter{From: from, To: to})
					return err
				})
			}
			hostile(t, tm, func() error { _, err := m.Invoice(ctx, "acme", from); return err })
			hostile(t, tm, func() error {
				_, err := m.Track(ctx, usage.Event{Subject: "acme", Metric: "credits", Value: 1, Time: from})
				return err
			})
		}
	})
}
