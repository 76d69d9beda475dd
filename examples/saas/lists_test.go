package main

// Checks of the dashboard's lists: alerts, reports, anomalies and top consumers.

import (
	"fmt"
	"io"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/report"
)

// shownAlerts is the IDs of the alerts the page lists.
func shownAlerts(t *testing.T, b *browser) []int64 {
	return eval[[]int64](t, b, `[...document.querySelectorAll('#alerts li[data-alert-id]')].map((li) => Number(li.dataset.alertId))`)
}

func unacknowledged(t *testing.T, m *usage.Meter, subject string) []int64 {
	t.Helper()
	no := false
	page, err := m.ListAlerts(t.Context(), usage.AlertFilter{Subject: subject, Acknowledged: &no})
	require.NoError(t, err)
	ids := []int64{}
	for _, al := range page.Alerts {
		ids = append(ids, al.ID)
	}
	return ids
}

func checkAlertList(t *testing.T, b *browser, m *usage.Meter, subject string) {
	t.Helper()
	want := unacknowledged(t, m, subject)
	require.NotEmpty(t, want)
	require.Equal(t, want, shownAlerts(t, b))
}

func acknowledgeAnAlert(t *testing.T, b *browser, m *usage.Meter, subject string) {
	t.Helper()
	ids := shownAlerts(t, b)
	id := ids[0]
	button := fmt.Sprintf(`#alerts li[data-alert-id="%d"] button`, id)
	// By keyboard: the button focused and pressed with Enter.
	b.do(t,
		chromedp.Focus(chromedp.CSS(button)),
		chromedp.KeyEvent("\r"),
		chromedp.WaitNotPresent(chromedp.CSS(fmt.Sprintf(`#alerts li[data-alert-id="%d"]`, id))),
	)
	require.Equal(t, ids[1:], shownAlerts(t, b))
	require.Equal(t, ids[1:], unacknowledged(t, m, subject))
	yes := true
	acked, err := m.ListAlerts(t.Context(), usage.AlertFilter{Subject: subject, Acknowledged: &yes})
	require.NoError(t, err)
	require.Len(t, acked.Alerts, 1)
	require.Equal(t, id, acked.Alerts[0].ID)
	require.Equal(t, subject, acked.Alerts[0].AcknowledgedBy)
	focused := eval[string](t, b, `document.activeElement.closest('#alerts li') ? 'next alert' : document.activeElement.id`)
	require.Equal(t, "next alert", focused, "the focus moves on to the next alert's button")
}

func checkReports(t *testing.T, b *browser, a *app, subject string) {
	t.Helper()
	shown := eval[[]string](t, b, `[...document.querySelectorAll('#reports tr[data-report-id]')].map((tr) => tr.dataset.reportId)`)
	records, err := a.reports.List(t.Context())
	require.NoError(t, err)
	var want []string
	for _, r := range records {
		if r.Subject == subject {
			want = append(want, r.ID)
		}
	}
	require.NotEmpty(t, want)
	require.ElementsMatch(t, want, shown)
}

type savedFile struct {
	Name, Content string
}

// downloadAReport presses a report's Download button and reads what the page
// saved: the report fetched with the key, under the server's file name.
func downloadAReport(t *testing.T, b *browser, a *app, subject string) {
	t.Helper()
	records, err := a.reports.List(t.Context())
	require.NoError(t, err)
	var csv usage.ReportRecord
	for _, r := range records {
		if r.Subject == subject && r.Format == report.CSV {
			csv = r
		}
	}
	require.NotEmpty(t, csv.ID)
	// The page saves a blob through a link to its URL: the test keeps both. (The
	// policy's connect-src lets no script fetch a blob URL, not even the test's.)
	eval[bool](t, b, `(() => {
		const createObjectURL = URL.createObjectURL;
		URL.createObjectURL = (blob) => { window.savedBlob = blob; return createObjectURL.call(URL, blob); };
		document.addEventListener('click', (e) => {
			if (e.target instanceof HTMLAnchorElement && e.target.download) window.savedLink = e.target;
		}, true);
		return true;
	})()`)
	b.do(t, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#reports tr[data-report-id=%q] button`, csv.ID))))
	_, err = runStep(b, chromedp.Poll[bool](`!!window.savedLink`, chromedp.WithPollingTimeout(stepTimeout)))
	require.NoError(t, err, "the page saves the report")
	saved, err := runStep(b, chromedp.Evaluate[savedFile](`window.savedBlob.text()
		.then((text) => ({Name: window.savedLink.download, Content: text}))`, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	body, rec, err := a.reports.Open(t.Context(), csv.ID)
	require.NoError(t, err)
	defer body.Close()
	want, err := io.ReadAll(body)
	require.NoError(t, err)
	require.Equal(t, string(want), saved.Content)
	require.Equal(t, rec.FileName(), saved.Name)
}

// generateAReport sends the form as it comes, a summary in CSV of this month so
// far: the report is stored and listed.
func generateAReport(t *testing.T, b *browser, a *app, subject string) {
	t.Helper()
	before := len(eval[[]string](t, b, `[...document.querySelectorAll('#reports tr[data-report-id]')].map((tr) => tr.dataset.reportId)`))
	b.do(t, chromedp.Click(chromedp.CSS(`#report-form button[type=submit]`)))
	_, err := runStep(b, chromedp.Poll[bool](fmt.Sprintf(`document.querySelectorAll('#reports tr[data-report-id]').length === %d`, before+1),
		chromedp.WithPollingTimeout(stepTimeout)))
	require.NoError(t, err, "the new report is listed; the section says: %s",
		eval[string](t, b, `document.querySelector('#reports-section [data-error]').textContent`))
	records, err := a.reports.List(t.Context())
	require.NoError(t, err)
	var mine []usage.ReportRecord
	for _, r := range records {
		if r.Subject == subject {
			mine = append(mine, r)
		}
	}
	require.Len(t, mine, before+1)
	newest := mine[0]
	for _, r := range mine {
		if r.CreatedAt.After(newest.CreatedAt) {
			newest = r
		}
	}
	require.Equal(t, report.TypeSummary, newest.Type)
	require.Equal(t, report.CSV, newest.Format)
	require.Equal(t, "Report generated.", eval[string](t, b, `document.getElementById('status').textContent`))
}

type anomalyView struct {
	ID    int64
	Fraud string
}

func checkAnomalies(t *testing.T, b *browser, m *usage.Meter, subject string) {
	t.Helper()
	shown := eval[[]anomalyView](t, b, `[...document.querySelectorAll('#anomalies tr[data-anomaly-id]')].map((tr) =>
		({ID: Number(tr.dataset.anomalyId), Fraud: tr.cells[5].textContent}))`)
	stored, err := m.Anomalies(t.Context(), usage.AnomalyFilter{Subject: subject})
	require.NoError(t, err)
	require.NotEmpty(t, stored)
	var want []anomalyView
	for _, an := range stored {
		fraud := "No"
		if an.FraudSuspect {
			fraud = "Yes"
		}
		want = append(want, anomalyView{ID: an.ID, Fraud: fraud})
	}
	require.ElementsMatch(t, want, shown)
}

type consumerView struct {
	Subject, Used string
}

func checkTopConsumers(t *testing.T, b *browser, m *usage.Meter, metric string) {
	t.Helper()
	shown := eval[[]consumerView](t, b, `[...document.querySelectorAll('#top tr[data-subject]')].map((tr) =>
		({Subject: tr.dataset.subject, Used: tr.querySelector('.used').textContent}))`)
	top, err := m.TopSubjects(t.Context(), usage.SubjectsQuery{Metric: metric}, usage.RankByUsage)
	require.NoError(t, err)
	var want []consumerView
	for _, s := range top.Subjects {
		want = append(want, consumerView{Subject: s.Subject, Used: s.Used.String()})
	}
	require.Len(t, want, len(demoTenants()))
	require.Equal(t, want, shown)
}
