package securitycenter_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/internal/browsertest"
)

func text(ctx context.Context, t *testing.T, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func TestBrowserCustomerSignsOutEverywhere(t *testing.T) {
	ctx := browsertest.Start(t, browsertest.Options{Width: 1100, Height: 1400, AcceptLanguage: "en-US,en"})
	s := startSite(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.link(accountA, 15*time.Minute)),
		chromedp.WaitVisible(chromedp.ID(`sign-out-everywhere`)),
		browsertest.Screenshot("me-overview.png", true),
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
		browsertest.Screenshot("me-signed-out.png", true),
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
	ctx := browsertest.Start(t, browsertest.Options{Width: 1100, Height: 1400, AcceptLanguage: "en-US,en"})
	s := startSite(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.link(accountA, 15*time.Minute)),
		chromedp.WaitVisible(chromedp.ID(`not-me`)),
		chromedp.Click(chromedp.ID(`not-me`)),
		chromedp.WaitVisible(chromedp.ID(`case`)),
		browsertest.Screenshot("me-case.png", true),
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
		browsertest.Screenshot("me-case-ja.png", true),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := text(ctx, t, `#case`); !strings.Contains(got, "アカウントを調査しています") {
		t.Errorf("Japanese case: %q", got)
	}
}
