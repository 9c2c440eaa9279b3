// Package browsertest starts the headless Chromium that the browser tests
// of mamori's pages drive, and takes their screenshots. Tests only.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Options shape the browser window.
type Options struct {
	Width, Height int
	// AcceptLanguage, when set, is what the browser asks pages for.
	AcceptLanguage string
}

// Chromium finds a Chromium or Chrome binary: $MAMORI_CHROMIUM, else the
// usual names on PATH; without one the test is skipped.
func Chromium(t *testing.T) string {
	if p := os.Getenv("MAMORI_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("browser tests skipped: no chromium binary found (install Debian's chromium, or set MAMORI_CHROMIUM)")
	return ""
}

// Start runs a headless Chromium with a fresh profile and no network
// chatter of its own, and returns a context for its first tab, with a
// two-minute limit for the test's steps.
func Start(t *testing.T, o Options) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(o.Width, o.Height),
	)
	if o.AcceptLanguage != "" {
		opts = append(opts, chromedp.Flag("accept-lang", o.AcceptLanguage))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	// The first call starts the browser and must not have a timeout;
	// the test's steps do.
	if err := chromedp.Do(ctx); err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	return ctx
}

// Screenshot saves the page (the whole page with full) to
// docs/screenshots/name when MAMORI_SCREENSHOTS=1, so that ordinary runs
// leave the committed pictures alone. Tests run in their package's
// directory, one below the repository's root.
func Screenshot(name string, full bool) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		if os.Getenv("MAMORI_SCREENSHOTS") != "1" {
			return chromedp.Void{}, nil
		}
		shot := chromedp.CaptureScreenshot()
		if full {
			shot = chromedp.FullScreenshot(100)
		}
		png, err := shot(ctx, t)
		if err != nil {
			return chromedp.Void{}, err
		}
		dir := filepath.Join("..", "docs", "screenshots")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return chromedp.Void{}, err
		}
		return chromedp.Void{}, os.WriteFile(filepath.Join(dir, name), png, 0o644)
	}
}
