package usage_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/report"
)

func TestFileReportStoragesOnOneFolderShareTheirRecords(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, err := usage.NewFileReportStorage(dir)
	require.NoError(t, err)
	b, err := usage.NewFileReportStorage(dir)
	require.NoError(t, err)
	rec, err := a.Put(ctx, usage.ReportRecord{ID: "summary-acme-20260301-0001", Type: report.TypeSummary,
		Format: report.JSON, Subject: "acme", CreatedAt: reportNow}, strings.NewReader(`{"rows":[]}`))
	require.NoError(t, err)
	require.EqualValues(t, len(`{"rows":[]}`), rec.Size)

	list, err := b.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1, "the JSON content is not read as a record")
	require.Equal(t, rec, list[0])
	rc, err := b.Open(ctx, rec.ID)
	require.NoError(t, err)
	content, _ := io.ReadAll(rc)
	rc.Close()
	require.Equal(t, `{"rows":[]}`, string(content))

	removed, err := b.Remove(ctx, rec.ID, reportNow.Add(time.Hour))
	require.NoError(t, err)
	require.True(t, removed.RemovedAt.Equal(reportNow.Add(time.Hour)))
	_, err = a.Open(ctx, rec.ID)
	require.ErrorIs(t, err, usage.ErrReportExpired)
}

func TestFileReportStorageKeepsNoRecordOfAFailedPut(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := usage.NewFileReportStorage(dir)
	require.NoError(t, err)
	broken := io.MultiReader(strings.NewReader("half a report"), errReader{})
	_, err = s.Put(ctx, usage.ReportRecord{ID: "detailed-all-20260301-0002", Format: report.CSV}, broken)
	require.ErrorIs(t, err, errBroken)
	list, err := s.List(ctx)
	require.NoError(t, err)
	require.Empty(t, list)
	entries, _ := os.ReadDir(dir)
	require.Empty(t, entries, "no content, no temporary file left")
}

func TestFileReportStorageRefusesIDsThatAreNotFileNames(t *testing.T) {
	s, err := usage.NewFileReportStorage(t.TempDir())
	require.NoError(t, err)
	for _, id := range []string{"", "../escape", "a/b", ".hidden"} {
		_, err := s.Put(context.Background(), usage.ReportRecord{ID: id, Format: report.CSV}, strings.NewReader("x"))
		var ve *usage.ValidationError
		require.ErrorAs(t, err, &ve, "id %q", id)
	}
	_, err = s.Record(context.Background(), filepath.Join("..", "x"))
	require.ErrorIs(t, err, usage.ErrReportNotFound)
}

var errBroken = errors.New("broken pipe to the report writer")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBroken }
