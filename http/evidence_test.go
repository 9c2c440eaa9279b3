package http_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/evidence"
	mhttp "github.com/mamori-dev/mamori/http"
	"github.com/mamori-dev/mamori/sim"
)

const dbipLink = `<a href='https://db-ip.com'>IP Geolocation by DB-IP</a>`

// get sends a GET with the test key and the given headers.
func (a *api) get(path string, header map[string]string) (*http.Response, []byte) {
	a.t.Helper()
	req, err := http.NewRequest("GET", a.url+path, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testKey)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return resp, body
}

func (a *api) evidence(caseID string) evidence.Evidence {
	a.t.Helper()
	status, body := a.call("GET", "/v1/cases/"+caseID+"/evidence", nil)
	if status != 200 {
		a.t.Fatalf("evidence of %s: %d %s", caseID, status, body)
	}
	var e evidence.Evidence
	if err := json.Unmarshal(body, &e); err != nil {
		a.t.Fatal(err)
	}
	return e
}

func TestTheSeedStoryGivesAnEvidencePackForTheBank(t *testing.T) {
	a := startAPI(t)
	out, err := sim.PlaySeed(context.Background(), &mhttp.Client{BaseURL: a.url, APIKey: testKey}, nil)
	if err != nil {
		t.Fatal(err)
	}

	// While the case is open the pack is a draft: nothing is claim-ready.
	draft := a.evidence(out.CaseID)
	if draft.Final || draft.Status != mamori.CaseOpen || !strings.HasPrefix(draft.Summary, "Draft:") || !draft.ResolvedAt.IsZero() {
		t.Fatalf("draft: final %v status %s resolved %v summary %q", draft.Final, draft.Status, draft.ResolvedAt, draft.Summary)
	}
	for _, ch := range draft.Charges {
		if ch.Settlement != evidence.Authorised || !ch.RefundableBeforeSettlement {
			t.Fatalf("draft charge %+v", ch)
		}
	}

	status, body := a.call("PATCH", "/v1/cases/"+out.CaseID, map[string]any{"status": "resolved_fraud", "by": "aiko"})
	c := decodeCase(t, status, body, 200)
	settledAt := time.Date(2026, 11, 20, 10, 0, 0, 0, time.FixedZone("JST", 9*3600))
	status, body = a.call("POST", "/v1/events", event("settle-9002", "payment.settled", sim.SeedAccount, 0, map[string]any{
		"time":       settledAt.Format(time.RFC3339),
		"context":    map[string]any{},
		"properties": map[string]any{"order_id": "ord-9002", "amount": 5000, "currency": "JPY", "descriptor": "MAMORI-MART TOKYO"},
	}))
	if status != 202 {
		t.Fatalf("settle: %d %s", status, body)
	}

	e := a.evidence(out.CaseID)
	resolved := c.History[len(c.History)-1]
	if !e.Final || e.Status != mamori.CaseResolvedFraud || e.CaseID != out.CaseID || e.AccountID != sim.SeedAccount ||
		e.ResolvedBy != "aiko" || !e.ResolvedAt.Equal(resolved.At) || strings.HasPrefix(e.Summary, "Draft") {
		t.Fatalf("pack: final %v status %s case %s account %s resolved %v by %q", e.Final, e.Status, e.CaseID, e.AccountID, e.ResolvedAt, e.ResolvedBy)
	}
	if !strings.Contains(e.Attribution, "https://db-ip.com") || e.NetworkData == "" {
		t.Fatalf("attribution %q, network data %q", e.Attribution, e.NetworkData)
	}

	t.Run("charges", func(t *testing.T) {
		charges := map[string]evidence.Charge{}
		for _, ch := range e.Charges {
			charges[ch.OrderID] = ch
		}
		if len(e.Charges) != 9 || charges["ord-5012"].OrderID != "" {
			t.Fatalf("want the tea and eight gift cards, none of the customer's own orders: %+v", e.Charges)
		}
		tests := []struct {
			order                            string
			amount                           int64
			time                             string
			giftCard, hidden, refundable     bool
			fulfilment, settlement, descript string
		}{
			{"ord-9001", 530, "2026-11-19T16:16:00Z", false, true, true, evidence.Held, evidence.Authorised, ""},
			{"ord-9002", 5000, "2026-11-19T16:18:00Z", true, false, false, evidence.Voided, evidence.ClaimReady, "MAMORI-MART TOKYO"},
			{"ord-9009", 5000, "2026-11-19T16:39:00Z", true, false, true, evidence.Voided, evidence.Authorised, ""},
		}
		for _, tt := range tests {
			ch := charges[tt.order]
			if ch.Amount != tt.amount || ch.Currency != "JPY" || ch.Time.Format(time.RFC3339) != tt.time || ch.GiftCard != tt.giftCard ||
				ch.Hidden != tt.hidden || ch.RefundableBeforeSettlement != tt.refundable || ch.Fulfilment != tt.fulfilment ||
				ch.Settlement != tt.settlement || ch.Descriptor != tt.descript {
				t.Errorf("%s: %+v", tt.order, ch)
			}
		}
		if ch := charges["ord-9002"]; !ch.SettledAt.Equal(settledAt) || ch.RecipientEmail == "" || len(ch.Items) != 1 {
			t.Errorf("the settled gift card: %+v", ch)
		}
		want := evidence.Total{Currency: "JPY", Charged: 40530, Delivered: 0, Settled: 5000, ClaimReady: 5000, Unsettled: 35530}
		if len(e.Totals) != 1 || e.Totals[0] != want {
			t.Errorf("totals %+v, want %+v", e.Totals, want)
		}
	})

	t.Run("the attacker beside the customer", func(t *testing.T) {
		if len(e.AttackerSessions) != 8 {
			t.Fatalf("%d attacker sessions, want 8 sign-ins", len(e.AttackerSessions))
		}
		for _, s := range e.AttackerSessions {
			if s.IP != "45.76.210.33" || !strings.Contains(s.Network.Org, "Constant Company") || s.Network.ASN != 20473 ||
				s.Network.Country != "JP" || s.Network.Type != "hosting" || s.DeviceID != "dev-b8e0c4d1" || s.Agent.Words != "Chrome on Linux" {
				t.Fatalf("attacker session %+v", s)
			}
		}
		if first := e.AttackerSessions[0]; first.First.Format(time.RFC3339) != "2026-11-19T16:13:00Z" || first.Decision != mamori.Review ||
			!e.Incident.From.Equal(first.First) || len(first.OrderIDs) != 2 {
			t.Errorf("first attacker session %+v, incident %+v", first, e.Incident)
		}
		usual := map[string]evidence.UsualDevice{}
		for _, d := range e.UsualDevices {
			usual[d.Agent.Words] = d
		}
		tests := []struct {
			agent, device, org, netType string
			asn                         uint32
		}{
			{"Chrome on Windows", "dev-hana-laptop-7f3a", "NTT Communications", "isp", 4713},
			{"Safari on iPhone", "dev-hana-iphone-91c2", "NTT DOCOMO", "mobile", 9605},
		}
		for _, tt := range tests {
			d := usual[tt.agent]
			if d.DeviceID != tt.device || d.Sessions == 0 || len(d.Networks) != 1 || !strings.Contains(d.Networks[0].Org, tt.org) ||
				d.Networks[0].Type != tt.netType || d.Networks[0].ASN != tt.asn || d.Networks[0].Sessions != d.Sessions {
				t.Errorf("%s: %+v", tt.agent, d)
			}
		}
		if len(e.UsualDevices) != 2 {
			t.Errorf("usual devices %+v", e.UsualDevices)
		}
	})

	t.Run("what mamori did and when", func(t *testing.T) {
		var challenges, holds int
		for _, s := range e.Actions {
			if s.Decision == mamori.Challenge && s.EventType == mamori.LoginSucceeded {
				challenges++
			}
			if s.EventType == mamori.OrderPlaced && s.Decision == mamori.Review {
				holds++
			}
		}
		first := e.Actions[0]
		if challenges != 8 || holds != 8 || first.Time.Format(time.RFC3339) != "2026-11-19T16:13:00Z" || first.Decision != mamori.Challenge {
			t.Fatalf("challenges %d holds %d first %+v", challenges, holds, first)
		}
		var hold evidence.Step
		for _, s := range e.Actions {
			if s.OrderID == "ord-9002" {
				hold = s
			}
		}
		want := []mamori.Action{mamori.HoldPendingOrders, mamori.VoidGiftCards, mamori.RevokeSessions, mamori.NotifyCustomer}
		if hold.Time.Format(time.RFC3339) != "2026-11-19T16:18:00Z" || len(hold.Actions) != len(want) || len(hold.Reasons) == 0 {
			t.Fatalf("the first gift card's step %+v", hold)
		}
		for i := range want {
			if hold.Actions[i] != want[i] {
				t.Fatalf("actions %v, want %v", hold.Actions, want)
			}
		}
		for _, s := range []string{"8 sessions", "Chrome on Linux", "The Constant Company", "¥40,530", "8 of them gift cards", "Nothing reached the attacker", "Chrome on Windows", "Safari on iPhone", "1 charge (¥5,000) has settled and can be disputed", "held 9 orders"} {
			if !strings.Contains(e.Summary, s) {
				t.Errorf("summary lacks %q: %s", s, e.Summary)
			}
		}
	})

	t.Run("printable page", func(t *testing.T) {
		tests := []struct {
			name, query, acceptLanguage string
			lang                        string
			want                        []string
		}{
			{"Japanese by query", "?format=html&lang=ja", "en-US", "ja", []string{"証拠資料", "不正なセッション", "お客様が普段お使いの端末", "売上確定・異議申立て可能", "無効化済み", "ホスティング"}},
			{"Japanese by Accept-Language", "?format=html", "ja-JP,ja;q=0.9,en;q=0.8", "ja", []string{"証拠資料", "Linux の Chrome", "iPhone の Safari"}},
			{"English", "?format=html", "en-GB,en;q=0.9,ja;q=0.5", "en", []string{"Evidence pack", "The attacker&#39;s sessions", "settled: ready to dispute", "Chrome on Linux"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, body := a.get("/v1/cases/"+out.CaseID+"/evidence"+tt.query, map[string]string{"Accept-Language": tt.acceptLanguage})
				page := string(body)
				if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
					t.Fatalf("%d %s: %.300s", resp.StatusCode, resp.Header.Get("Content-Type"), page)
				}
				if csp := resp.Header.Get("Content-Security-Policy"); csp != "default-src 'none'; style-src 'unsafe-inline'" {
					t.Errorf("CSP %q", csp)
				}
				doc, err := html.Parse(strings.NewReader(page))
				if err != nil {
					t.Fatal(err)
				}
				found := map[string]int{}
				var lang, dbip string
				for n := range doc.Descendants() {
					if n.Type != html.ElementNode {
						continue
					}
					found[n.Data]++
					for _, at := range n.Attr {
						switch {
						case n.Data == "html" && at.Key == "lang":
							lang = at.Val
						case n.Data == "a" && at.Key == "href" && at.Val == "https://db-ip.com":
							dbip = text(n)
						case strings.HasPrefix(at.Key, "on") || at.Key == "src":
							t.Errorf("<%s %s=...>: the page must run and load nothing", n.Data, at.Key)
						}
					}
				}
				if found["script"] > 0 || found["img"] > 0 || found["link"] > 0 || found["iframe"] > 0 {
					t.Errorf("elements %v: the page must run and load nothing", found)
				}
				if lang != tt.lang || dbip != "IP Geolocation by DB-IP" || !strings.Contains(page, dbipLink) {
					t.Errorf("lang %q, DB-IP link %q", lang, dbip)
				}
				if found["tr"] < 9+8+2+16 {
					t.Errorf("%d table rows: charges, sessions, usual devices or steps missing", found["tr"])
				}
				for _, s := range append(tt.want, "¥5,000", "¥40,530", "45.76.210.33", "AS20473", "MAMORI-MART TOKYO", "2026-11-20 01:18 JST", "@media print") {
					if !strings.Contains(page, s) {
						t.Errorf("page lacks %q", s)
					}
				}
			})
		}
	})
}

// text is the text inside a node.
func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

func TestEvidenceErrors(t *testing.T) {
	a := startAPI(t)
	id := a.lockedDownCase("a-1")
	tests := []struct {
		name, path, key string
		status          int
		field           string
	}{
		{"unknown case", "/v1/cases/c-999999/evidence", testKey, 404, ""},
		{"unknown case as a page", "/v1/cases/c-999999/evidence?format=html", testKey, 404, ""},
		{"unknown format", "/v1/cases/" + id + "/evidence?format=pdf", testKey, 400, "format"},
		{"unknown language", "/v1/cases/" + id + "/evidence?format=html&lang=fr", testKey, 400, "lang"},
		{"no key", "/v1/cases/" + id + "/evidence", "", 401, ""},
		{"wrong key", "/v1/cases/" + id + "/evidence?format=html", "nope", 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := a.callKey("GET", tt.path, nil, tt.key)
			if status != tt.status {
				t.Fatalf("%d, want %d: %s", status, tt.status, body)
			}
			if e := decodeError(t, body); e.Error.Field != tt.field {
				t.Fatalf("field %q, want %q", e.Error.Field, tt.field)
			}
		})
	}
	t.Run("a lockdown's draft", func(t *testing.T) {
		e := a.evidence(id)
		if e.Final || len(e.Charges) != 0 || len(e.AttackerSessions) != 0 || len(e.UsualDevices) != 1 || len(e.Actions) != 1 ||
			len(e.Actions[0].Actions) != len(mamori.LockdownActions) {
			t.Fatalf("%+v", e)
		}
	})
}
