package usage_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/report"
)

// reportSubject is the subject of the report tests: on the professional plan in
// Lisbon, a name with accents and Greek, and one that starts a formula.
const reportSubject = "Ωmega Café"

// reportNow is the report tests' now: late in March 2026, Lisbon time.
var reportNow = time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC)

// reportMeter is a Meter whose clock stands at reportNow, with a month of usage:
// for each of the first 27 days of March (Lisbon), 100 API calls and 20 documents
// for reportSubject, and 10 API calls for "=cmd|' /C calc'!A0" in UTC.
func reportMeter(t *testing.T, db testdb.Backend) *testMeter {
	t.Helper()
	tm := newMeter(t, db)
	tm.clock.Set(reportNow)
	ctx := context.Background()
	require.NoError(t, tm.meter.Assign(ctx, usage.Assignment{Subject: reportSubject, Plan: "professional",
		TimeZone: "Europe/Lisbon"}))
	require.NoError(t, tm.meter.Assign(ctx, usage.Assignment{Subject: "=cmd|' /C calc'!A0", Plan: "basic"}))
	lisbon, _ := time.LoadLocation("Europe/Lisbon")
	var events []usage.Event
	for day := 1; day <= 27; day++ {
		at := time.Date(2026, 3, day, 10, 0, 0, 0, lisbon)
		events = append(events,
			usage.Event{Subject: reportSubject, Metric: usage.MetricAPICalls, Value: 100, Time: at},
			usage.Event{Subject: reportSubject, Metric: usage.MetricDocuments, Value: 20, Time: at},
			usage.Event{Subject: "=cmd|' /C calc'!A0", Metric: usage.MetricAPICalls, Value: 10, Time: at})
	}
	track(t, tm.meter, events...)
	return tm
}

func generate(t *testing.T, m *usage.Meter, req usage.ReportRequest) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, m.GenerateReport(context.Background(), req, &buf))
	return buf.Bytes()
}

func TestGenerateReportSummarisesTheBillingPeriod(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		tm := reportMeter(t, db)
		raw := generate(t, tm.meter, usage.ReportRequest{Type: report.TypeSummary, Format: report.CSV,
			Subject: reportSubject})
		recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
		require.NoError(t, err)
		rows := map[string]map[string]string{}
		for _, rec := range recs[1:] {
			row := map[string]string{}
			for i, key := range recs[0] {
				row[key] = rec[i]
			}
			rows[row["metric"]] = row
		}
		docs := rows[usage.MetricDocuments]
		// 27 × 20 = 540 documents of 500: 40 over at €0.40.
		require.Equal(t, map[string]string{"subject": reportSubject, "metric": "documents", "unit": "documents",
			"period_start": "2026-03-01", "period_end": "2026-03-31", "time_zone": "Europe/Lisbon",
			"used": "540", "limit": "500", "percent": "108", "overage": "40", "overage_cost": "16.00",
			"currency": "EUR", "alerts": "80%, 90%, 100%"}, docs)
		calls := rows[usage.MetricAPICalls]
		require.Equal(t, "2700", calls["used"])
		require.Equal(t, "27", calls["percent"])
		require.Empty(t, calls["alerts"])
	})
}

func TestGenerateReportDetailedFoldsRollupsIntoTheSubjectsDays(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		tm := reportMeter(t, db)
		raw := generate(t, tm.meter, usage.ReportRequest{Type: report.TypeDetailed, Format: report.JSON,
			Subject: reportSubject})
		var doc struct {
			TimeZone string              `json:"time_zone"`
			Rows     []map[string]any    `json:"rows"`
			Columns  []map[string]string `json:"columns"`
		}
		require.NoError(t, json.Unmarshal(raw, &doc))
		require.Equal(t, "Europe/Lisbon", doc.TimeZone)
		var calls []map[string]any
		for _, r := range doc.Rows {
			if r["metric"] == usage.MetricAPICalls {
				calls = append(calls, r)
			}
		}
		// Every day of March up to today (the 28th), in Lisbon, with usage on the
		// first 27.
		require.Len(t, calls, 28)
		require.Equal(t, "2026-03-01", calls[0]["date"])
		require.Equal(t, "100", calls[0]["usage"])
		require.Equal(t, "2700", calls[26]["cumulative"])
		require.Equal(t, "0", calls[27]["usage"])
		require.Equal(t, "10000", calls[27]["limit"])
		require.Equal(t, "2700", calls[27]["total"])
		require.Equal(t, "0", calls[27]["previous_total"])
		require.Nil(t, calls[27]["change_percent"], "no previous usage to compare with")
		require.Equal(t, "2026-03-01T10:00:00Z", calls[0]["peak_hour"], "the first hour of most usage, in Lisbon (UTC+0 in winter)")
		require.Equal(t, "flat", calls[0]["trend"], "the same usage every day")
	})
}

func TestGenerateReportWritesEveryTypeInEveryFormat(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		tm := reportMeter(t, db)
		for _, typ := range report.Types() {
			for _, f := range report.Formats() {
				raw := generate(t, tm.meter, usage.ReportRequest{Type: typ, Format: f, Subject: reportSubject})
				require.NotEmpty(t, raw, "%s %s", typ, f)
				switch f {
				case report.XLSX:
					x, err := excelize.OpenReader(bytes.NewReader(raw))
					require.NoError(t, err, "%s %s", typ, f)
					x.Close()
				case report.PDF:
					require.True(t, bytes.HasPrefix(raw, []byte("%PDF-")), "%s %s", typ, f)
				case report.JSON:
					require.True(t, json.Valid(raw), "%s %s", typ, f)
				}
			}
		}
	})
}

func TestGenerateReportOfAllSubjectsNeutralisesTheirNames(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		tm := reportMeter(t, db)
		raw := generate(t, tm.meter, usage.ReportRequest{Type: report.TypeSummary, Format: report.XLSX})
		x, err := excelize.OpenReader(bytes.NewReader(raw))
		require.NoError(t, err)
		defer x.Close()
		rows, err := x.GetRows("Summary")
		require.NoError(t, err)
		subjects := map[string]bool{}
		for _, r := range rows[1:] {
			subjects[r[0]] = true
		}
		require.Equal(t, map[string]bool{"'=cmd|' /C calc'!A0": true, reportSubject: true}, subjects)
		for i := range rows[1:] {
			formula, err := x.GetCellFormula("Summary", fmt.Sprintf("A%d", i+2))
			require.NoError(t, err)
			require.Empty(t, formula)
		}
	})
}

func TestGenerateReportRefusesBadRequests(t *testing.T) {
	tm := reportMeter(t, testdb.SQLite())
	ctx := context.Background()
	for field, req := range map[string]usage.ReportRequest{
		"type":   {Type: "weekly", Format: report.CSV},
		"format": {Type: report.TypeSummary, Format: "docx"},
		"to":     {Type: report.TypeSummary, Format: report.CSV, From: reportNow},
	} {
		err := tm.meter.GenerateReport(ctx, req, io.Discard)
		var ve *usage.ValidationError
		require.ErrorAs(t, err, &ve, field)
		require.Equal(t, field, ve.Field)
	}
}

func TestReportsAreStoredListedOpenedAndExpire(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		tm := reportMeter(t, db)
		ctx := context.Background()
		dir := filepath.Join(t.TempDir(), "missing", "reports")
		reports, err := usage.NewReports(tm.meter, usage.ReportsConfig{Dir: dir})
		require.NoError(t, err)
		require.DirExists(t, dir, "a missing storage folder is created")

		rec, err := reports.Save(ctx, usage.ReportRequest{Type: report.TypeSummary, Format: report.JSON,
			Subject: reportSubject})
		require.NoError(t, err)
		require.Equal(t, report.TypeSummary, rec.Type)
		require.Equal(t, reportSubject, rec.Subject)
		require.True(t, rec.CreatedAt.Equal(reportNow))
		require.True(t, rec.ExpiresAt.Equal(reportNow.Add(7*24*time.Hour)))
		info, err := os.Stat(filepath.Join(dir, rec.FileName()))
		require.NoError(t, err)
		require.Equal(t, info.Size(), rec.Size)

		list, err := reports.List(ctx)
		require.NoError(t, err)
		require.Len(t, list, 1, "a JSON report is not mistaken for a record")
		require.Equal(t, rec.ID, list[0].ID)

		rc, got, err := reports.Open(ctx, rec.ID)
		require.NoError(t, err)
		content, _ := io.ReadAll(rc)
		rc.Close()
		require.True(t, json.Valid(content))
		require.Equal(t, rec.Size, int64(len(content)))
		require.Equal(t, rec.ID, got.ID)

		removed, err := reports.RemoveExpired(ctx)
		require.NoError(t, err)
		require.Empty(t, removed, "nothing expires within 7 days")

		tm.clock.Set(reportNow.Add(7*24*time.Hour + time.Second))
		_, _, err = reports.Open(ctx, rec.ID)
		require.ErrorIs(t, err, usage.ErrReportExpired)
		removed, err = reports.RemoveExpired(ctx)
		require.NoError(t, err)
		require.Len(t, removed, 1)
		require.NoFileExists(t, filepath.Join(dir, rec.FileName()))
		list, err = reports.List(ctx)
		require.NoError(t, err)
		require.Len(t, list, 1, "the record stays")
		require.False(t, list[0].RemovedAt.IsZero(), "and says the report was removed")
		_, _, err = reports.Open(ctx, "no-such-report")
		require.ErrorIs(t, err, usage.ErrReportNotFound)
	})
}

func TestReportStorageInAFolderThatCannotBeWrittenIsAClearError(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	_, err := usage.NewFileReportStorage(filepath.Join(file, "reports"))
	require.ErrorContains(t, err, "report folder")
	require.ErrorContains(t, err, "cannot be created")

	if os.Geteuid() == 0 {
		return // root writes in read-only folders; the case above still runs
	}
	dir := filepath.Join(t.TempDir(), "read-only")
	require.NoError(t, os.Mkdir(dir, 0o500))
	_, err = usage.NewFileReportStorage(dir)
	require.ErrorContains(t, err, "is not writable")
}

func TestWriteStatementsStoresOneSummaryPerClosedPeriod(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		tm := reportMeter(t, db)
		ctx := context.Background()
		reports, err := usage.NewReports(tm.meter, usage.ReportsConfig{Dir: t.TempDir(),
			StatementFormats: []report.Format{report.PDF, report.CSV}})
		require.NoError(t, err)
		tm.clock.Set(time.Date(2026, 4, 2, 9, 0, 0, 0, time.UTC))
		recs, err := reports.WriteStatements(ctx)
		require.NoError(t, err)
		require.Len(t, recs, 4, "two subjects, two formats")
		for _, r := range recs {
			require.True(t, r.Statement)
			require.Equal(t, report.TypeSummary, r.Type)
			require.Equal(t, 3, int(r.From.Month()), "the period that closed: March")
		}
		again, err := reports.WriteStatements(ctx)
		require.NoError(t, err)
		require.Empty(t, again, "a period's statement is written once")
	})
}
