package store

import "time"

// Forecast is a stored forecast of a subject's usage of one metric. The store keeps
// Payload as it is given; the root package defines what it holds (point forecasts,
// intervals, the quota projection).
type Forecast struct {
	// ID is assigned by the backend, increasing.
	ID      int64
	Subject string
	Metric  string
	// Model names the forecasting method, such as "auto(ses)".
	Model string
	// Step is the length of one forecast step, such as "day" or "hour".
	Step string
	// Horizon is the number of steps forecast.
	Horizon int
	// GeneratedAt is when the forecast was made.
	GeneratedAt time.Time
	// Payload is the forecast itself as JSON text.
	Payload string
}

// InsertForecastParams are the arguments of Store.InsertForecast.
type InsertForecastParams struct {
	// Forecast is stored as given; its ID is ignored.
	Forecast Forecast
}

// InsertForecastResult is the result of Store.InsertForecast.
type InsertForecastResult struct {
	// Forecast is the stored forecast, with its ID.
	Forecast Forecast
}

// ListForecastsParams are the arguments of Store.ListForecasts.
type ListForecastsParams struct {
	Subject string
	// Metric restricts the result to one metric; empty means every metric.
	Metric string
	// Limit caps the number of forecasts; 0 means 100.
	Limit int
}

// ListForecastsResult is the result of Store.ListForecasts.
type ListForecastsResult struct {
	// Forecasts are the latest first: by GeneratedAt, then by ID, descending.
	Forecasts []Forecast
}
