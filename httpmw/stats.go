package httpmw

import "sync/atomic"

// Stats counts what a Middleware did since New. Every metered request that was
// served is in exactly one of Charged, Duplicates, NotCharged, Invalid, Failed or
// Refused once its event is settled.
type Stats struct {
	// Charged is the number of events stored.
	Charged int64
	// Duplicates is the number of requests whose ID was already stored: retries,
	// not charged again.
	Duplicates int64
	// NotCharged is the number of served requests the charge policy exempted, or
	// whose handler panicked.
	NotCharged int64
	// Throttled is the number of requests answered 429.
	Throttled int64
	// QueueFull is the number of times a request found the queue full.
	QueueFull int64
	// Invalid is the number of events the Meter refused as invalid even without
	// the handler's properties (a cost the metric cannot hold, say); they were
	// logged.
	Invalid int64
	// Refused is the number of events recorded after the response that the Meter
	// refused by quota (the plan changed meanwhile), and of amends past a limit.
	Refused int64
	// Failed is the number of events or corrections that could not be stored
	// before Close gave up, or that failed otherwise; they were logged.
	Failed int64
	// PropertiesDropped is the number of events stored without the properties
	// their handler set with SetProperty, because the Meter refused those as
	// invalid; they were logged. These events are counted in Charged or
	// Duplicates as well.
	PropertiesDropped int64
}

type counters struct {
	charged, duplicates, notCharged, throttled, queueFull, invalid, refused, failed atomic.Int64
	propertiesDropped                                                               atomic.Int64
}

func (c *counters) snapshot() Stats {
	return Stats{Charged: c.charged.Load(), Duplicates: c.duplicates.Load(),
		NotCharged: c.notCharged.Load(), Throttled: c.throttled.Load(),
		QueueFull: c.queueFull.Load(), Invalid: c.invalid.Load(), Refused: c.refused.Load(),
		Failed: c.failed.Load(), PropertiesDropped: c.propertiesDropped.Load()}
}
