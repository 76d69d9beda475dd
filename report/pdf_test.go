package report

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// poppler returns the path of a poppler-utils tool, skipping the test loudly
// without it, or failing it in CI, where scripts/test installs poppler-utils.
func poppler(t *testing.T, tool string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found: CI must render the PDF reports (apt-get install poppler-utils)", tool)
		}
		t.Skipf("SKIPPED LOUDLY: %s not found; install Debian's poppler-utils (scripts/test does) to check the PDF reports", tool)
	}
	return path
}

func writePDFFile(t *testing.T, r Report) (string, []byte) {
	t.Helper()
	raw := render(t, r, PDF)
	path := filepath.Join(t.TempDir(), string(r.Type())+".pdf")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, raw
}

// pdfPages returns the text of each page, as pdftotext extracts it.
func pdfPages(t *testing.T, path string) []string {
	t.Helper()
	out, err := exec.Command(poppler(t, "pdftotext"), "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\f"), "\f")
}

func pageCount(raw []byte) int {
	return len(regexp.MustCompile(`/Type /Page\b[^s]`).FindAll(raw, -1))
}

func TestPDFEmbedsAUTF8FontAndPrintsEuroAndNonLatinText(t *testing.T) {
	path, raw := writePDFFile(t, summaryFixture())
	if !bytes.Contains(raw, []byte("/FontFile2")) {
		t.Error("no embedded TrueType font")
	}
	if n := pageCount(raw); n != 1 {
		t.Errorf("%d pages, want 1", n)
	}
	text := pdfPages(t, path)[0]
	for _, want := range []string{"Usage summary — Ωmega Café", "Subject: Ωmega Café", "€25.00", "-€1.50",
		"ГБ", "12,500", "125.0 %", "80%, 90%, 100%", "Period: 2026-03-01 to 2026-03-31 (Europe/Lisbon)",
		"Page 1 of 1", "Usage against the quota", injections[0]} {
		if !strings.Contains(text, want) {
			t.Errorf("page text lacks %q:\n%s", want, text)
		}
	}
}

func TestPDFPaginatesLongTablesWithTheirHeaderOnEveryPage(t *testing.T) {
	path, raw := writePDFFile(t, detailedFixture(4))
	pages := pdfPages(t, path)
	if len(pages) < 4 || pageCount(raw) != len(pages) {
		t.Fatalf("%d pages (%d page objects), want several", len(pages), pageCount(raw))
	}
	rows := 0
	for i, p := range pages {
		if !strings.Contains(p, fmt.Sprintf("Page %d of %d", i+1, len(pages))) {
			t.Errorf("page %d lacks its page number", i+1)
		}
		if i > 0 && !strings.Contains(p, "Period to date") {
			t.Errorf("page %d lacks the table header", i+1)
		}
		rows += strings.Count(p, "2026-03-")
	}
	// Each of the 248 rows prints its date; the charts' axes print a few more.
	if rows < 4*2*31 {
		t.Errorf("%d dates printed, want at least %d rows", rows, 4*2*31)
	}
}

func TestPDFPagesRenderToImages(t *testing.T) {
	for r := range fixtures() {
		t.Run(string(r.Type()), func(t *testing.T) {
			path, raw := writePDFFile(t, r)
			dir := t.TempDir()
			cmd := exec.Command(poppler(t, "pdftoppm"), "-r", "60", "-png", path, filepath.Join(dir, "page"))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("pdftoppm: %v\n%s", err, out)
			}
			images, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
			if len(images) != pageCount(raw) || len(images) == 0 {
				t.Fatalf("%d images for %d pages", len(images), pageCount(raw))
			}
			for _, img := range images {
				assertInked(t, img)
			}
			// USAGE_REPORT_PNG_DIR keeps the page images, to look at them.
			if dst := os.Getenv("USAGE_REPORT_PNG_DIR"); dst != "" {
				for _, img := range images {
					b, _ := os.ReadFile(img)
					os.WriteFile(filepath.Join(dst, string(r.Type())+"-"+filepath.Base(img)), b, 0o644)
				}
			}
		})
	}
}

// assertInked fails unless the page image has a fair share of non-white pixels:
// text, rules and a chart, not a blank page.
func assertInked(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b := img.Bounds()
	inked := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xe000 || g < 0xe000 || bl < 0xe000 {
				inked++
			}
		}
	}
	if share := float64(inked) / float64(b.Dx()*b.Dy()); share < 0.01 {
		t.Errorf("%s: %.2f%% of the page is inked, want a page with content", filepath.Base(path), 100*share)
	}
}
