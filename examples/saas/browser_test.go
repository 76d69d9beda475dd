package main

// The harness of the dashboard's browser tests: headless Chromium driven by
// chromedp, with the errors the page logs.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// browser is a headless Chromium tab on the dashboard, with the errors its page
// logged.
type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

// chromiumPath finds Chromium on the PATH. Without it the test skips, loudly,
// except in CI, where it fails: scripts/test installs Debian's chromium there.
func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no Chromium on the PATH: install Debian's chromium package (apt-get install -y chromium) " +
		"to run the dashboard's browser test; scripts/test installs it when run as root"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip("\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n" +
		"!! DASHBOARD BROWSER TEST SKIPPED: " + msg +
		"\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!")
	return ""
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.WindowSize(1280, 900),
		chromedp.DisableGPU,
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to run as root with its sandbox
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)
	b := &browser{ctx: ctx}
	require.NoError(t, chromedp.Listen(ctx, b.record))
	return b
}

// record keeps the page's uncaught exceptions and logged errors, such as a
// violation of the Content-Security-Policy or a failed request.
func (b *browser) record(ev any) {
	var msg string
	switch e := ev.(type) {
	case *runtime.EventExceptionThrown:
		msg = (&chromedp.ExceptionError{ExceptionDetails: e.ExceptionDetails}).Error()
	case *log.EventEntryAdded:
		if e.Entry.Level == log.EntryLevelError {
			msg = fmt.Sprintf("%s: %s (%s)", e.Entry.Source, e.Entry.Text, e.Entry.URL)
		}
	}
	if msg != "" {
		b.mu.Lock()
		b.errors = append(b.errors, msg)
		b.mu.Unlock()
	}
}

// stepTimeout bounds one step, such as waiting for an element that never comes.
// The browser runs already (newBrowser started it), so a step's deadline ends the
// step alone.
const stepTimeout = 30 * time.Second

func (b *browser) do(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	_, err := runStep(b, chromedp.Steps(steps...))
	require.NoError(t, err)
}

func runStep[T any](b *browser, a chromedp.Action[T]) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	return chromedp.Run(ctx, a)
}

// eval runs a script in the page and decodes what it returns.
func eval[T any](t *testing.T, b *browser, script string) T {
	t.Helper()
	v, err := runStep(b, chromedp.Evaluate[T](script))
	require.NoError(t, err, script)
	return v
}

func (b *browser) signIn(t *testing.T, key string, view string) {
	t.Helper()
	// By keyboard: the key typed into its field, the form sent with Enter.
	b.do(t, chromedp.WaitVisible(chromedp.ID("api-key")))
	eval[string](t, b, `document.getElementById('api-key').value = ''`)
	b.do(t,
		chromedp.Focus(chromedp.ID("api-key")),
		chromedp.SendKeys(chromedp.ID("api-key"), key+"\r"),
		chromedp.WaitVisible(chromedp.ID(view)),
	)
}

func (b *browser) signOut(t *testing.T) {
	t.Helper()
	b.do(t, chromedp.Click(chromedp.ID("sign-out")), chromedp.WaitVisible(chromedp.ID("sign-in-section")))
	require.Empty(t, eval[string](t, b, `sessionStorage.getItem('usage.apiKey') || ''`), "signing out forgets the key")
	require.Zero(t, eval[int](t, b, `document.querySelectorAll('#quotas li, #alerts li, #top tr').length`),
		"signing out leaves nothing of the last tenant on the page")
}

// refuseAWrongKey signs in with a key the service does not know: the page says
// so and shows nothing else.
func refuseAWrongKey(t *testing.T, b *browser) {
	t.Helper()
	b.do(t,
		chromedp.WaitVisible(chromedp.ID("api-key")),
		chromedp.SendKeys(chromedp.ID("api-key"), "sk_nobody\r"),
		chromedp.WaitVisible(chromedp.ID("sign-in-error")),
	)
	require.Equal(t, "That API key was not accepted.", eval[string](t, b, `document.getElementById('sign-in-error').textContent`))
	require.True(t, eval[bool](t, b, `document.getElementById('tenant-view').hidden && document.getElementById('operator-view').hidden`))
	require.Empty(t, eval[string](t, b, `sessionStorage.getItem('usage.apiKey') || ''`))
	// The browser logs the refused request; it was meant.
	b.mu.Lock()
	defer b.mu.Unlock()
	require.Len(t, b.errors, 1)
	require.Contains(t, b.errors[0], "401")
	b.errors = nil
}

func (b *browser) noErrors(t *testing.T) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	require.Empty(t, b.errors, "the page logged errors")
}

// saveScreenshots saves a view at a desktop width and at a phone's 375 pixels,
// where it must fit without scrolling sideways.
func saveScreenshots(t *testing.T, b *browser, view string) {
	t.Helper()
	dir := os.Getenv("USAGE_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for _, size := range []struct {
		name          string
		width, height int64
	}{{"desktop", 1280, 900}, {"phone", 375, 812}} {
		b.do(t, chromedp.EmulateViewport(size.width, size.height))
		// The charts, where the view has them, are drawn again for the new width
		// when the page sees it.
		_, err := runStep(b, chromedp.Poll[bool](`(() => {
			const box = document.getElementById('trend-chart');
			const drawn = box.querySelector('svg');
			return !box.checkVisibility() || (!!drawn && Number(drawn.dataset.width) === Math.max(280, Math.round(box.clientWidth)));
		})()`))
		require.NoError(t, err, "%s: the charts follow the width", size.name)
		overflow := eval[int](t, b, `document.documentElement.scrollWidth - window.innerWidth`)
		require.LessOrEqual(t, overflow, 0, "%s: the page is wider than the window", size.name)
		png, err := runStep(b, chromedp.FullScreenshot(100)) // 100: PNG
		require.NoError(t, err)
		path := filepath.Join(dir, "dashboard-"+view+"-"+size.name+".png")
		require.NoError(t, os.WriteFile(path, png, 0o644))
		t.Logf("screenshot of the %s view at %d px: %s", view, size.width, path)
	}
	b.do(t, chromedp.EmulateViewport(1280, 900))
}
