package securitycenter_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/mamori-dev/mamori"
)

// chromium finds a Chromium or Chrome binary: $MAMORI_CHROMIUM, else the
// usual names on PATH.
func chromium(t *testing.T) string {
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

// startBrowser runs a headless Chromium with a fresh profile.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("accept-lang", "en-US,en"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1100, 1400),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
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

// screenshot saves the whole page to docs/screenshots when
// MAMORI_SCREENSHOTS=1.
func screenshot(name string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		if os.Getenv("MAMORI_SCREENSHOTS") != "1" {
			return chromedp.Void{}, nil
		}
		png, err := chromedp.FullScreenshot(100)(ctx, t)
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

func text(ctx context.Context, t *testing.T, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func TestBrowserCustomerSignsOutEverywhere(t *testing.T) {
	ctx := startBrowser(t)
	s := startSite(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.link(accountA, 15*time.Minute)),
		chromedp.WaitVisible(chromedp.ID(`sign-out-everywhere`)),
		screenshot("me-overview.png"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err != nil || strings.Contains(loc, "t=") {
		t.Errorf("the token stayed in the address: %s %v", loc, err)
	}
	if got := text(ctx, t, `#signins`); !strings.Contains(got, "Japan") {
		t.Errorf("sign-ins: %q", got)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.ID(`sign-out-everywhere`)),
		chromedp.WaitVisible(chromedp.ID(`notice`)),
		chromedp.WaitVisible(chromedp.ID(`no-sessions`)),
		screenshot("me-signed-out.png"),
	)
	if err != nil {
		t.Fatalf("sign out everywhere: %v", err)
	}
	a, err := s.eng.Account(context.Background(), accountA)
	if err != nil {
		t.Fatal(err)
	}
	for _, se := range a.Sessions {
		if strings.HasPrefix(se.SessionID, "live-") && !se.Revoked {
			t.Errorf("session %s is not revoked", se.SessionID)
		}
	}
	if len(a.Actions) == 0 || a.Actions[0].Action != mamori.RevokeSessions {
		t.Errorf("actions %+v", a.Actions)
	}
}

func TestBrowserCustomerSaysThisWasntMe(t *testing.T) {
	ctx := startBrowser(t)
	s := startSite(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.link(accountA, 15*time.Minute)),
		chromedp.WaitVisible(chromedp.ID(`not-me`)),
		chromedp.Click(chromedp.ID(`not-me`)),
		chromedp.WaitVisible(chromedp.ID(`case`)),
		screenshot("me-case.png"),
	)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.eng.Account(context.Background(), accountA)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != mamori.StatusLocked || len(a.OpenCaseIDs) != 1 {
		t.Fatalf("account after 'this wasn't me': %+v", a)
	}
	var deadline time.Time
	for _, c := range a.Cases {
		if c.ID == a.OpenCaseIDs[0] {
			deadline = c.Deadline
		}
	}
	want := deadline.In(time.FixedZone("JST", 9*3600)).Format("Monday 2 January 2006")
	if got := text(ctx, t, `#case-deadline`); got != want {
		t.Errorf("deadline shown %q, want %q", got, want)
	}
	if got := text(ctx, t, `#case-id`); got != a.OpenCaseIDs[0] {
		t.Errorf("case shown %q, want %s", got, a.OpenCaseIDs[0])
	}
	if got := text(ctx, t, `#case-done`); !strings.Contains(got, "Locked your account") {
		t.Errorf("actions shown %q", got)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.ID(`lang`)),
		chromedp.WaitVisible(chromedp.ID(`case`)),
		screenshot("me-case-ja.png"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := text(ctx, t, `#case`); !strings.Contains(got, "アカウントを調査しています") {
		t.Errorf("Japanese case: %q", got)
	}
}
