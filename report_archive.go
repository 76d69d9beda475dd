package usage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/usagekit/usage/report"
)

// DefaultReportTTL is how long a stored report can be downloaded before
// Reports.RemoveExpired removes it.
const DefaultReportTTL = 7 * 24 * time.Hour

// DefaultReportDir is the folder of the filesystem storage when ReportsConfig names
// neither a storage nor a folder.
const DefaultReportDir = "reports"

// ReportsConfig configures Reports.
type ReportsConfig struct {
	// Storage keeps the reports. Defaults to a FileReportStorage in Dir.
	Storage ReportStorage
	// Dir is the folder of the default storage, created if missing. Defaults to
	// DefaultReportDir.
	Dir string
	// TTL is how long a stored report can be downloaded. Defaults to
	// DefaultReportTTL.
	TTL time.Duration
	// StatementFormats are the formats of the monthly statements WriteStatements
	// stores. Defaults to PDF alone.
	StatementFormats []report.Format
}

// Reports stores reports a Meter generates, lists them, opens them for download
// and removes them when they expire. It is safe for concurrent use.
type Reports struct {
	meter   *Meter
	storage ReportStorage
	ttl     time.Duration
	formats []report.Format
}

// NewReports returns the report store of m. With the default storage it creates
// the folder, and fails if it cannot be written.
func NewReports(m *Meter, cfg ReportsConfig) (*Reports, error) {
	if m == nil {
		return nil, invalid("meter", "nil: pass the Meter whose reports to store")
	}
	if cfg.TTL < 0 {
		return nil, invalid("ttl", "%s is negative: want a duration, or 0 for %s", cfg.TTL, DefaultReportTTL)
	}
	formats := cfg.StatementFormats
	if len(formats) == 0 {
		formats = []report.Format{report.PDF}
	}
	for i, f := range formats {
		if !f.Valid() {
			return nil, invalid(fmt.Sprintf("statement_formats[%d]", i), "%q: want csv, json, xlsx or pdf", f)
		}
	}
	st := cfg.Storage
	if st == nil {
		dir := cfg.Dir
		if dir == "" {
			dir = DefaultReportDir
		}
		fs, err := NewFileReportStorage(dir)
		if err != nil {
			return nil, err
		}
		st = fs
	}
	ttl := cfg.TTL
	if ttl == 0 {
		ttl = DefaultReportTTL
	}
	return &Reports{meter: m, storage: st, ttl: ttl, formats: formats}, nil
}

// Save generates the report req asks for and stores it, returning its record.
// The report is streamed into storage as it is written.
func (r *Reports) Save(ctx context.Context, req ReportRequest) (ReportRecord, error) {
	return r.save(ctx, req, false)
}

func (r *Reports) save(ctx context.Context, req ReportRequest, statement bool) (ReportRecord, error) {
	if err := req.validate(); err != nil {
		return ReportRecord{}, err
	}
	m := r.meter
	if err := m.checkOpen(); err != nil {
		return ReportRecord{}, err
	}
	rep, err := m.buildReport(ctx, req)
	if err != nil {
		return ReportRecord{}, err
	}
	head := rep.Head()
	now := m.now()
	rec := ReportRecord{ID: reportID(req, head.From), Type: req.Type, Format: req.Format,
		Subject: req.Subject, From: head.From, To: head.To, Statement: statement,
		CreatedAt: now, ExpiresAt: now.Add(r.ttl)}
	pr, pw := io.Pipe()
	written := make(chan struct{})
	go func() {
		defer close(written)
		pw.CloseWithError(report.Write(pw, rep, req.Format))
	}()
	rec, err = r.storage.Put(ctx, rec, pr)
	// Unblock the writer if storage stopped reading early, and let it finish.
	pr.CloseWithError(io.ErrClosedPipe)
	<-written
	if err != nil {
		return ReportRecord{}, fmt.Errorf("usage: save report: %w", err)
	}
	return rec, nil
}

// reportID names a report: its type, subject, start and a random suffix, so that
// reports saved at once never share a name. Characters other than letters and
// digits in the subject become '_'.
func reportID(req ReportRequest, from time.Time) string {
	subject := "all"
	if req.Subject != "" {
		subject = strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
				return r
			}
			return '_'
		}, req.Subject)
		subject = subject[:min(len(subject), 40)]
	}
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s-%s-%s-%s", req.Type, subject, from.Format("20060102"), hex.EncodeToString(b[:]))
}

// List returns every record, removed reports included, oldest first.
func (r *Reports) List(ctx context.Context) ([]ReportRecord, error) {
	return r.storage.List(ctx)
}

// Open returns a stored report's content and record, for download. It returns
// ErrReportNotFound for an unknown id and ErrReportExpired once the report has
// expired, whether or not RemoveExpired has removed it yet.
func (r *Reports) Open(ctx context.Context, id string) (io.ReadCloser, ReportRecord, error) {
	rec, err := r.storage.Record(ctx, id)
	if err != nil {
		return nil, rec, err
	}
	if !rec.RemovedAt.IsZero() || !r.meter.now().Before(rec.ExpiresAt) {
		return nil, rec, ErrReportExpired
	}
	rc, err := r.storage.Open(ctx, id)
	return rc, rec, err
}

// RemoveExpired removes the content of the reports past their expiry, keeping
// their records marked removed, and returns those records. It is the maintenance
// job of stored reports: run it periodically (daily is plenty).
func (r *Reports) RemoveExpired(ctx context.Context) ([]ReportRecord, error) {
	recs, err := r.storage.List(ctx)
	if err != nil {
		return nil, err
	}
	now := r.meter.now()
	var out []ReportRecord
	for _, rec := range recs {
		if !rec.RemovedAt.IsZero() || now.Before(rec.ExpiresAt) {
			continue
		}
		rec, err := r.storage.Remove(ctx, rec.ID, now)
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// WriteStatements stores, for each subject with usage in the last two months whose
// previous billing period has closed and has no statement yet, a summary of that
// period in each of ReportsConfig.StatementFormats. It returns the records
// stored. Run it periodically (daily, say): a period's statement is written once,
// on the first run after the period ends.
func (r *Reports) WriteStatements(ctx context.Context) ([]ReportRecord, error) {
	m := r.meter
	now := m.now()
	subjects, err := m.reportSubjects(ctx, ReportRequest{At: now})
	if err != nil {
		return nil, err
	}
	recs, err := r.storage.List(ctx)
	if err != nil {
		return nil, err
	}
	type key struct {
		subject string
		start   int64
		format  report.Format
	}
	done := map[key]bool{}
	for _, rec := range recs {
		if rec.Statement {
			done[key{rec.Subject, rec.From.Unix(), rec.Format}] = true
		}
	}
	var out []ReportRecord
	for _, subject := range subjects {
		cur, err := m.Invoice(ctx, subject, now)
		if err != nil {
			return out, err
		}
		closed := cur.Period.Start.Add(-time.Nanosecond)
		prev, err := m.Invoice(ctx, subject, closed)
		if err != nil {
			return out, err
		}
		for _, f := range r.formats {
			if done[key{subject, prev.Period.Start.Unix(), f}] {
				continue
			}
			rec, err := r.save(ctx, ReportRequest{Type: report.TypeSummary, Format: f, Subject: subject,
				At: closed}, true)
			if err != nil {
				return out, err
			}
			out = append(out, rec)
		}
	}
	return out, nil
}
