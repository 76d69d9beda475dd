package usage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/usagekit/usage/report"
)

// ErrReportNotFound is returned for a report ID that storage does not hold.
var ErrReportNotFound = errors.New("usage: report not found")

// ErrReportExpired is returned when opening a report whose content has been
// removed after it expired.
var ErrReportExpired = errors.New("usage: report expired")

// ReportRecord describes a stored report.
type ReportRecord struct {
	// ID names the report in its storage; it is safe as a file name.
	ID     string        `json:"id"`
	Type   report.Type   `json:"type"`
	Format report.Format `json:"format"`
	// Subject is the subject reported on; empty for all subjects.
	Subject string `json:"subject"`
	// From and To bound the period or range reported on.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Statement marks a monthly statement written when a period closed.
	Statement bool `json:"statement,omitempty"`
	// Size is the content's length in bytes.
	Size int64 `json:"size"`
	// CreatedAt is when the report was stored, and ExpiresAt when it may be removed.
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// RemovedAt is when the expired content was removed; zero while it can be
	// downloaded. The record stays, saying so.
	RemovedAt time.Time `json:"removed_at,omitzero"`
}

// FileName returns the report's file name: its ID and the format's extension.
func (r ReportRecord) FileName() string { return r.ID + "." + r.Format.Ext() }

// ReportStorage keeps stored reports and their records. FileReportStorage keeps
// them in a folder; hosts may plug in object storage. Implementations must be
// safe for concurrent use.
type ReportStorage interface {
	// Put stores the content read from content until EOF under rec.ID, and rec
	// with Size set to the bytes stored, which it returns. A failed Put leaves no
	// record.
	Put(ctx context.Context, rec ReportRecord, content io.Reader) (ReportRecord, error)
	// Open returns the content of the report id; ErrReportNotFound if there is no
	// such record, ErrReportExpired if its content was removed.
	Open(ctx context.Context, id string) (io.ReadCloser, error)
	// Record returns the record of the report id, or ErrReportNotFound.
	Record(ctx context.Context, id string) (ReportRecord, error)
	// List returns every record, removed reports included, oldest first.
	List(ctx context.Context) ([]ReportRecord, error)
	// Remove deletes the content of the report id and marks its record removed at
	// the time given, which it returns.
	Remove(ctx context.Context, id string, at time.Time) (ReportRecord, error)
}

// FileReportStorage is a ReportStorage in a folder: each report is a file named by
// ReportRecord.FileName, and its record a sidecar file id.meta.json next to it. The
// records travel with the files, so instances sharing the folder share them.
type FileReportStorage struct {
	dir string
}

var _ ReportStorage = (*FileReportStorage)(nil)

// NewFileReportStorage returns a storage in dir, creating the folder if it is
// missing. A folder that cannot be written is an error that says so.
func NewFileReportStorage(dir string) (*FileReportStorage, error) {
	if dir == "" {
		return nil, invalid("dir", "empty: name the folder that holds the reports")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("usage: report folder %s cannot be created: %w", dir, err)
	}
	probe, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return nil, fmt.Errorf("usage: report folder %s is not writable: %w", dir, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	return &FileReportStorage{dir: dir}, nil
}

// Dir returns the storage's folder.
func (s *FileReportStorage) Dir() string { return s.dir }

func (s *FileReportStorage) sidecar(id string) string { return filepath.Join(s.dir, id+metaSuffix) }

// metaSuffix ends the name of a record's sidecar file; it differs from ".json",
// the extension of JSON reports.
const metaSuffix = ".meta.json"

// Put writes the content to a temporary file, renames it into place, then writes
// the record: a crash leaves at worst a file without a record, never a record
// without its file.
func (s *FileReportStorage) Put(ctx context.Context, rec ReportRecord, content io.Reader) (ReportRecord, error) {
	if !validReportID(rec.ID) {
		return rec, invalid("id", "%q: want letters, digits, '-', '_' and '.'", rec.ID)
	}
	tmp, err := os.CreateTemp(s.dir, ".report-*")
	if err != nil {
		return rec, fmt.Errorf("usage: store report %s: %w", rec.ID, err)
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, content)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(s.dir, rec.FileName()))
	}
	if err != nil {
		return rec, fmt.Errorf("usage: store report %s: %w", rec.ID, err)
	}
	rec.Size = n
	return rec, s.writeRecord(rec)
}

func (s *FileReportStorage) writeRecord(rec ReportRecord) error {
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	tmp := s.sidecar(rec.ID) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o640); err != nil {
		return fmt.Errorf("usage: store report record %s: %w", rec.ID, err)
	}
	return os.Rename(tmp, s.sidecar(rec.ID))
}

// Record reads the report's sidecar.
func (s *FileReportStorage) Record(ctx context.Context, id string) (ReportRecord, error) {
	var rec ReportRecord
	if !validReportID(id) {
		return rec, ErrReportNotFound
	}
	b, err := os.ReadFile(s.sidecar(id))
	if errors.Is(err, os.ErrNotExist) {
		return rec, ErrReportNotFound
	}
	if err != nil {
		return rec, fmt.Errorf("usage: report record %s: %w", id, err)
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return rec, fmt.Errorf("usage: report record %s: %w", id, err)
	}
	return rec, nil
}

// Open opens the report's file.
func (s *FileReportStorage) Open(ctx context.Context, id string) (io.ReadCloser, error) {
	rec, err := s.Record(ctx, id)
	if err != nil {
		return nil, err
	}
	if !rec.RemovedAt.IsZero() {
		return nil, ErrReportExpired
	}
	f, err := os.Open(filepath.Join(s.dir, rec.FileName()))
	if err != nil {
		return nil, fmt.Errorf("usage: open report %s: %w", id, err)
	}
	return f, nil
}

// List reads every sidecar in the folder.
func (s *FileReportStorage) List(ctx context.Context) ([]ReportRecord, error) {
	names, err := filepath.Glob(filepath.Join(s.dir, "*"+metaSuffix))
	if err != nil {
		return nil, err
	}
	var out []ReportRecord
	for _, name := range names {
		id := strings.TrimSuffix(filepath.Base(name), metaSuffix)
		rec, err := s.Record(ctx, id)
		if errors.Is(err, ErrReportNotFound) {
			continue // an ID Put refuses, which no record of ours has
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	slices.SortFunc(out, func(a, b ReportRecord) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// Remove deletes the report's file and marks its record removed.
func (s *FileReportStorage) Remove(ctx context.Context, id string, at time.Time) (ReportRecord, error) {
	rec, err := s.Record(ctx, id)
	if err != nil {
		return rec, err
	}
	if err := os.Remove(filepath.Join(s.dir, rec.FileName())); err != nil && !errors.Is(err, os.ErrNotExist) {
		return rec, fmt.Errorf("usage: remove report %s: %w", id, err)
	}
	rec.RemovedAt = at
	return rec, s.writeRecord(rec)
}

// validReportID reports whether id is safe as a file name: no path separators, no
// leading dot.
func validReportID(id string) bool {
	if id == "" || id[0] == '.' || len(id) > 200 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}
