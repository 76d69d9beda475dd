package sqlstore

import (
	"encoding/json"
	"strconv"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

// eventRow is a row of usage_events.
type eventRow struct {
	bun.BaseModel `bun:"table:usage_events"`

	Seq         int64  `bun:"seq,pk,autoincrement"`
	Subject     string `bun:"subject"`
	EventID     string `bun:"event_id"`
	UserID      string `bun:"user_id"`
	Metric      string `bun:"metric"`
	Value       int64  `bun:"value"`
	At          int64  `bun:"at"`
	PeriodStart int64  `bun:"period_start"`
	Properties  string `bun:"properties"`
	Fingerprint string `bun:"fingerprint"`
	UsedAfter   int64  `bun:"used_after"`
	CreatedAt   int64  `bun:"created_at"`
	Series      int64  `bun:"series"`
}

func newEventRow(e store.Event) (eventRow, error) {
	props := "{}"
	if len(e.Properties) > 0 {
		b, err := json.Marshal(e.Properties)
		if err != nil {
			return eventRow{}, err
		}
		props = string(b)
	}
	return eventRow{
		Seq: e.Seq, Subject: e.Subject, EventID: e.ID, UserID: e.User, Metric: e.Metric,
		Value: e.Value, At: micros(e.Time), PeriodStart: micros(e.PeriodStart),
		Properties: props, Fingerprint: e.Fingerprint, UsedAfter: e.UsedAfter,
		CreatedAt: micros(e.CreatedAt), Series: seriesOf(e.Subject, e.Metric),
	}, nil
}

func (r eventRow) event() (store.Event, error) {
	var props map[string]string
	if r.Properties != "" && r.Properties != "{}" {
		if err := json.Unmarshal([]byte(r.Properties), &props); err != nil {
			return store.Event{}, err
		}
	}
	return store.Event{
		Seq: r.Seq, Subject: r.Subject, ID: r.EventID, User: r.UserID, Metric: r.Metric,
		Value: r.Value, Time: fromMicros(r.At), Properties: props,
		Fingerprint: r.Fingerprint, PeriodStart: fromMicros(r.PeriodStart),
		UsedAfter: r.UsedAfter, CreatedAt: fromMicros(r.CreatedAt),
	}, nil
}

// quotaRow is a row of usage_quotas. ID joins subject, metric and period start, so a
// batch can create and lock its rows by one key.
type quotaRow struct {
	bun.BaseModel `bun:"table:usage_quotas"`

	ID           string `bun:"id,pk"`
	Subject      string `bun:"subject"`
	Metric       string `bun:"metric"`
	PeriodStart  int64  `bun:"period_start"`
	PeriodEnd    int64  `bun:"period_end"`
	Aggregation  string `bun:"aggregation"`
	Limit        int64  `bun:"quota_limit"`
	Unlimited    bool   `bun:"unlimited"`
	AllowOverage bool   `bun:"allow_overage"`
	Used         int64  `bun:"used"`
	Count        int64  `bun:"count"`
	Total        int64  `bun:"total"`
	LastAt       int64  `bun:"last_at"`
	UpdatedAt    int64  `bun:"updated_at"`
	// Hour is the row's open hour (see openHour).
	Hour openHour `bun:"embed:hour_"`
	// Version is the row's version where the database keeps one (see RowVersion),
	// as last read or written by this store; zero: not known.
	Version int64 `bun:"-"`
}

// quotaColumns are the columns of usage_quotas, in the order of quotaRow.fields.
var quotaColumns = []string{
	"id", "subject", "metric", "period_start", "period_end", "aggregation", "quota_limit",
	"unlimited", "allow_overage", "used", "count", "total", "last_at", "updated_at",
	"hour_start", "hour_total", "hour_count", "hour_min", "hour_max", "hour_last_at", "hour_last",
}

// quotaTypes are the Postgres types of quotaColumns.
var quotaTypes = []string{"text", "text", "text", "bigint", "bigint", "text", "bigint",
	"boolean", "boolean", "bigint", "bigint", "bigint", "bigint", "bigint",
	"bigint", "bigint", "bigint", "bigint", "bigint", "bigint", "bigint"}

// write gives w the row's values in the order of quotaColumns.
func (r *quotaRow) write(w RowWriter) {
	w.Text(r.ID)
	w.Text(r.Subject)
	w.Text(r.Metric)
	w.Int(r.PeriodStart)
	w.Int(r.PeriodEnd)
	w.Text(r.Aggregation)
	w.Int(r.Limit)
	w.Bool(r.Unlimited)
	w.Bool(r.AllowOverage)
	for _, v := range [...]int64{r.Used, r.Count, r.Total, r.LastAt, r.UpdatedAt} {
		w.Int(v)
	}
	r.Hour.write(w)
}

// fields returns pointers to the row's fields, in the order of quotaColumns.
func (r *quotaRow) fields() []any {
	return []any{
		&r.ID, &r.Subject, &r.Metric, &r.PeriodStart, &r.PeriodEnd, &r.Aggregation, &r.Limit,
		&r.Unlimited, &r.AllowOverage, &r.Used, &r.Count, &r.Total, &r.LastAt, &r.UpdatedAt,
		&r.Hour.Start, &r.Hour.Total, &r.Hour.Count, &r.Hour.Min, &r.Hour.Max, &r.Hour.LastAt, &r.Hour.Last,
	}
}

func newQuotaRow(q store.Quota) quotaRow {
	return quotaRowOf(quotaID(q.Subject, q.Metric, micros(q.PeriodStart)), q)
}

// quotaRowOf is newQuotaRow for a quota whose ID is known; its open hour is empty.
func quotaRowOf(id string, q store.Quota) quotaRow {
	return quotaRow{
		ID: id, Subject: q.Subject,
		Metric: q.Metric, PeriodStart: micros(q.PeriodStart), PeriodEnd: micros(q.PeriodEnd),
		Aggregation: string(q.Aggregation), Limit: q.Limit, Unlimited: q.Unlimited,
		AllowOverage: q.AllowOverage, Used: q.Used, Count: q.Count, Total: q.Total,
		LastAt: micros(q.LastAt), UpdatedAt: micros(q.UpdatedAt),
	}
}

func (r quotaRow) quota() store.Quota {
	return store.Quota{
		Subject: r.Subject, Metric: r.Metric, PeriodStart: fromMicros(r.PeriodStart),
		PeriodEnd: fromMicros(r.PeriodEnd), Aggregation: store.Aggregation(r.Aggregation),
		Limit: r.Limit, Unlimited: r.Unlimited, AllowOverage: r.AllowOverage,
		Used: r.Used, Count: r.Count, Total: r.Total, LastAt: fromMicros(r.LastAt),
		UpdatedAt: fromMicros(r.UpdatedAt),
	}
}

// quotaID is the key of a quota row. Subjects and metrics never hold control
// characters (validation refuses them), so the parts cannot run into each other.
func quotaID(subject, metric string, periodStart int64) string {
	return subject + "\x1f" + metric + "\x1f" + strconv.FormatInt(periodStart, 10)
}

// distinctRow is a row of usage_quota_distinct: a value a unique_count quota has
// counted in its period.
type distinctRow struct {
	bun.BaseModel `bun:"table:usage_quota_distinct"`

	QuotaID string `bun:"quota_id,pk"`
	Value   string `bun:"value,pk"`
}

// subjectRow is a row of usage_subjects.
type subjectRow struct {
	bun.BaseModel `bun:"table:usage_subjects"`

	Subject   string `bun:"subject,pk"`
	Plan      string `bun:"plan"`
	Anchor    int64  `bun:"anchor"`
	Cycle     string `bun:"cycle"`
	TimeZone  string `bun:"time_zone"`
	UpdatedAt int64  `bun:"updated_at"`
}

// subject is the assignment the row stores.
func (r subjectRow) subject() store.Subject {
	return store.Subject{Subject: r.Subject, Plan: r.Plan, Anchor: fromMicros(r.Anchor), Cycle: r.Cycle,
		TimeZone: r.TimeZone, UpdatedAt: fromMicros(r.UpdatedAt)}
}
