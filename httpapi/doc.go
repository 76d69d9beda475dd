// Package httpapi is the REST API of a usage.Meter: one http.Handler a service
// mounts under any prefix, with its OpenAPI 3.1 document served at /openapi.json.
//
//	h, err := httpapi.New(meter, httpapi.Options{Authenticate: fromAPIKey})
//	mux.Handle("/usage/", http.StripPrefix("/usage", h))
//
// Every route under /v1/ is authenticated by Options.Authenticate, which says who
// calls: a tenant (a subject) or an operator. A tenant's subject comes only from
// its credentials: a tenant request that names a subject (the subject query
// parameter) is refused with 400, and JSON bodies carry no subject field. An
// operator names the subject of tenant routes with ?subject= (whoami and the
// plans need none) and alone may call the routes under /v1/admin/ (403 for
// tenants). A resource of another subject
// (an alert, an anomaly, a report, an event to correct) answers 404, as an
// unknown one does.
//
// Errors are RFC 9457 application/problem+json bodies whose type URIs are the
// Problem* constants. Quantities and money amounts are JSON strings, times RFC
// 3339 in UTC, lists {"items": [...], "next_cursor": "..."} paged with ?cursor=
// and ?limit=. GET reads carry an ETag and answer 304 to a matching
// If-None-Match.
package httpapi
