package console_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/mamori-dev/mamori/internal/browsertest"
	"github.com/mamori-dev/mamori/sim"
)

func TestBrowserAnalystSignsInAndWorksTheReviewQueue(t *testing.T) {
	ctx := browsertest.Start(t, browsertest.Options{Width: 1280, Height: 900})
	s := startSite(t, nil)
	other := s.holdAnotherOrder()
	if s.orderStatus("ord-9001") != "held" {
		t.Fatal("the seed story left the tea unheld")
	}

	// A wrong code is refused with the generic message.
	var (
		msg, notice, badge string
		err                error
	)
	err = chromedp.Do(ctx,
		chromedp.Navigate(s.url+"/console/login"),
		chromedp.WaitVisible(chromedp.ID(`username`)),
		browsertest.Screenshot("login.png", false),
		chromedp.SendKeys(chromedp.ID(`username`), testUser),
		chromedp.SendKeys(chromedp.ID(`password`), testPassword),
		chromedp.SendKeys(chromedp.ID(`code`), "000000"),
		chromedp.Click(chromedp.ID(`signin`)),
		chromedp.WaitVisible(chromedp.CSS(`p.error`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	msg = textOf(ctx, t, `p.error`)
	if !strings.Contains(msg, "Sign-in failed") {
		t.Fatalf("wrong code: %q", msg)
	}

	// Password and the authenticator's current code sign in.
	err = chromedp.Do(ctx,
		chromedp.Navigate(s.url+"/console/login"),
		chromedp.WaitVisible(chromedp.ID(`username`)),
		chromedp.SendKeys(chromedp.ID(`username`), testUser),
		chromedp.SendKeys(chromedp.ID(`password`), testPassword),
		chromedp.SendKeys(chromedp.ID(`code`), s.code()),
		chromedp.Click(chromedp.ID(`signin`)),
		chromedp.WaitVisible(chromedp.ID(`held-money`)),
		browsertest.Screenshot("dashboard.png", false),
		chromedp.Navigate(s.url+"/console/review"),
		chromedp.WaitVisible(chromedp.CSS(`table.queue`)),
		chromedp.WaitVisible(chromedp.ID(`order-ord-9001`)),
		chromedp.WaitVisible(chromedp.ID("order-"+other)),
		browsertest.Screenshot("review-queue.png", false),
	)
	if err != nil {
		t.Fatalf("sign-in and review queue: %v", err)
	}

	// Approve the tea, cancel the other order.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#order-ord-9001 button.approve`)),
		chromedp.WaitNotPresent(chromedp.ID(`order-ord-9001`)),
		chromedp.WaitVisible(chromedp.CSS(`p.notice`)),
	)
	if err != nil {
		t.Fatalf("approve: %v", err)
	}
	notice = textOf(ctx, t, `p.notice`)
	if !strings.Contains(notice, "ord-9001 approved") {
		t.Fatalf("after approving: %q", notice)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#order-"+other+" button.cancel")),
		chromedp.WaitNotPresent(chromedp.ID("order-"+other)),
		chromedp.WaitVisible(chromedp.CSS(`p.notice`)),
	)
	if err != nil {
		t.Fatalf("cancel: %v", err)
	}
	notice = textOf(ctx, t, `p.notice`)
	if !strings.Contains(notice, other+" cancelled") {
		t.Fatalf("after cancelling: %q", notice)
	}
	if got := s.orderStatus("ord-9001"); got == "held" {
		t.Fatal("the tea is still held after Approve")
	}
	if got := s.orderStatus(other); got != "cancelled" {
		t.Fatalf("gift card %s is %s after Cancel", other, got)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("table.queue tbody tr")].map(r => r.id)`))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range rows {
		if id == "order-ord-9001" || id == "order-"+other {
			t.Fatalf("%s is still in the queue: %v", id, rows)
		}
	}

	// The case page marks the orders the attacker hid.
	err = chromedp.Do(ctx,
		chromedp.Navigate(s.url+"/console/cases"),
		chromedp.WaitVisible(chromedp.CSS(`table.cases`)),
		chromedp.Click(chromedp.CSS(`table.cases tbody tr a`)),
		chromedp.WaitVisible(chromedp.CSS(`ol.timeline`)),
		chromedp.WaitVisible(chromedp.CSS(`ol.timeline li.hidden-order .badge.hidden`)),
		browsertest.Screenshot("case.png", false),
	)
	if err != nil {
		t.Fatalf("case page: %v", err)
	}
	badge = textOf(ctx, t, `ol.timeline li.hidden-order .badge.hidden`)
	if badge != "hidden from order history" {
		t.Fatalf("hidden-order badge %q", badge)
	}

	// An analyst locks a quiet account down from its page.
	s.signUp("cust-2002")
	err = chromedp.Do(ctx,
		chromedp.Navigate(s.url+"/console/search?q=cust-2002"),
		chromedp.WaitVisible(chromedp.ID(`lockdown`)),
		chromedp.Click(chromedp.ID(`lockdown`)),
		chromedp.WaitVisible(chromedp.CSS(`p.notice`)),
		chromedp.WaitVisible(chromedp.CSS(`svg.chart`)),
	)
	if err != nil {
		t.Fatalf("lockdown: %v", err)
	}
	if st := textOf(ctx, t, `#account-status`); st != "locked" {
		t.Fatalf("account status after the lockdown: %q", st)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(s.url+"/console/accounts/"+sim.SeedAccount),
		chromedp.WaitVisible(chromedp.CSS(`svg.chart`)),
		browsertest.Screenshot("account.png", false),
	)
	if err != nil {
		t.Fatalf("account page: %v", err)
	}
}

// textOf reads the text of the first element a CSS selector finds.
func textOf(ctx context.Context, t *testing.T, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return s
}
