package httpapi

import "net/http"

// route is one API route: its Go 1.22 ServeMux pattern, split into method and path
// as the OpenAPI document names them.
type route struct {
	method, path string
	// operator routes answer 403 to tenants; the others concern one subject.
	operator bool
	// subjectOptional routes serve an operator who names no subject (whoami, the
	// catalog).
	subjectOptional bool
	handle          func(a *api, w http.ResponseWriter, r *http.Request, c *call) error
}

func (rt route) pattern() string { return rt.method + " " + rt.path }

// routeTable is every authenticated route of the API; GET /openapi.json and the
// dashboard's static files are served beside them. The OpenAPI document has one
// operation per entry, as a test checks.
func routeTable() []route {
	return []route{
		{method: "GET", path: "/v1/whoami", subjectOptional: true, handle: (*api).whoami},
		{method: "GET", path: "/v1/summary", handle: (*api).summary},
		{method: "GET", path: "/v1/quotas", handle: (*api).quotas},
		{method: "GET", path: "/v1/quotas/{metric}/check", handle: (*api).checkQuota},
		{method: "POST", path: "/v1/events", handle: (*api).trackEvent},
		{method: "POST", path: "/v1/events/batch", handle: (*api).trackBatch},
		{method: "GET", path: "/v1/events", handle: (*api).listEvents},
		{method: "GET", path: "/v1/usage/{metric}", handle: (*api).usageQuery},
		{method: "GET", path: "/v1/trends/{metric}", handle: (*api).trend},
		{method: "GET", path: "/v1/forecasts/{metric}", handle: (*api).forecast},
		{method: "GET", path: "/v1/invoice", handle: (*api).invoice},
		{method: "GET", path: "/v1/corrections", handle: (*api).listCorrections},
		{method: "POST", path: "/v1/corrections", handle: (*api).correct},
		{method: "GET", path: "/v1/anomalies", handle: (*api).listAnomalies},
		{method: "POST", path: "/v1/anomalies/detect", handle: (*api).detectAnomalies},
		{method: "POST", path: "/v1/anomalies/{id}/status", handle: (*api).setAnomalyStatus},
		{method: "GET", path: "/v1/alerts", handle: (*api).listAlerts},
		{method: "POST", path: "/v1/alerts/{id}/acknowledge", handle: (*api).acknowledgeAlert},
		{method: "GET", path: "/v1/thresholds", handle: (*api).listThresholds},
		{method: "PUT", path: "/v1/thresholds/{metric}", handle: (*api).setThresholds},
		{method: "GET", path: "/v1/reports", handle: (*api).listReports},
		{method: "POST", path: "/v1/reports", handle: (*api).saveReport},
		{method: "GET", path: "/v1/reports/{id}", handle: (*api).downloadReport},
		{method: "GET", path: "/v1/plans", subjectOptional: true, handle: (*api).listPlans},
		{method: "PUT", path: "/v1/admin/assignments/{subject}", operator: true, handle: (*api).assign},
		{method: "GET", path: "/v1/admin/quotas", operator: true, handle: (*api).metricQuotas},
		{method: "GET", path: "/v1/admin/top", operator: true, handle: (*api).topSubjects},
		{method: "POST", path: "/v1/admin/subjects/{subject}/quotas/{metric}/reset", operator: true, handle: (*api).resetQuota},
		{method: "POST", path: "/v1/admin/subjects/{subject}/quotas/{metric}/grants", operator: true, handle: (*api).grant},
	}
}
