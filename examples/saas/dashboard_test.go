package main

// The dashboard in a real browser, against the example service and its seed.

import (
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/usagekit/usage"
)

func TestTheDashboardShowsTheSeededUsageInABrowser(t *testing.T) {
	b := newBrowser(t)
	a := openTestApp(t)
	srv := httptest.NewServer(a.handler)
	t.Cleanup(srv.Close)

	b.do(t, chromedp.Navigate(srv.URL+"/usage/dashboard/"))
	refuseAWrongKey(t, b)
	b.signIn(t, a.keys.key("acme"), "tenant-view")
	b.do(t,
		chromedp.WaitVisible(chromedp.CSS(`#quotas-section[data-loaded]`)),
		chromedp.WaitVisible(chromedp.CSS(`#trend-section[data-loaded]`)),
		chromedp.WaitVisible(chromedp.CSS(`#forecast-section[data-loaded]`)),
		chromedp.WaitVisible(chromedp.CSS(`#alerts-section[data-loaded]`)),
		chromedp.WaitVisible(chromedp.CSS(`#anomalies-section[data-loaded]`)),
		chromedp.WaitVisible(chromedp.CSS(`#reports-section[data-loaded]`)),
	)
	checkQuotaBars(t, b, a.meter, "acme")
	checkTrendChart(t, b, a.meter, "acme")
	checkForecast(t, b, a.meter, "acme")
	checkAlertList(t, b, a.meter, "acme")
	checkReports(t, b, a, "acme")
	checkAccessibility(t, b)
	saveScreenshots(t, b, "tenant")
	acknowledgeAnAlert(t, b, a.meter, "acme")

	downloadAReport(t, b, a, "acme")
	generateAReport(t, b, a, "acme")
	// Last: the forecast of another metric may raise an alert the list has not seen.
	checkAGaugeIsDrawnAsItsLevel(t, b, a.meter, "acme", usage.MetricStorageGB)

	// The tab keeps the key: a reload shows the tenant's view again.
	b.do(t, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#quotas-section[data-loaded]`)),
		chromedp.WaitVisible(chromedp.CSS(`#alerts-section[data-loaded]`)))

	b.signOut(t)
	b.signIn(t, a.keys.key("globex"), "tenant-view")
	b.do(t, chromedp.WaitVisible(chromedp.CSS(`#anomalies-section[data-loaded]`)))
	checkAnomalies(t, b, a.meter, "globex")

	b.noErrors(t)
}

func TestTheOperatorSeesTheTopConsumersInABrowser(t *testing.T) {
	b := newBrowser(t)
	a := openTestApp(t)
	srv := httptest.NewServer(a.handler)
	t.Cleanup(srv.Close)

	b.do(t, chromedp.Navigate(srv.URL+"/usage/dashboard/"))
	b.signIn(t, a.keys.key(operatorName), "operator-view")
	b.do(t, chromedp.WaitVisible(chromedp.CSS(`#top-section[data-loaded]`)))
	checkTopConsumers(t, b, a.meter, usage.MetricAPICalls)
	checkAccessibility(t, b)
	saveScreenshots(t, b, "operator")
	b.noErrors(t)
}
