// Package console is mamori's analyst console: server-rendered pages
// under /console/ where analysts sign in (password and TOTP) to work the
// review queue of held orders and the fraud cases. Pages need no
// JavaScript; every response carries a strict Content-Security-Policy.
package console

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/engine"
	"github.com/mamori-dev/mamori/enrich"
	"github.com/mamori-dev/mamori/pageguard"
)

//go:embed templates/*.tmpl static/*
var assets embed.FS

// Prefix is where the console is mounted.
const Prefix = "/console/"

// Reviewer lists the orders waiting for an analyst (engine.Engine).
type Reviewer interface {
	HeldOrders(ctx context.Context) ([]engine.HeldOrder, error)
}

// Risk reads and locks accounts (engine.Engine): the account pages,
// search and the dashboard need it.
type Risk interface {
	mamori.RiskService
	Activity(ctx context.Context, accountID string) (mamori.Activity, error)
	AccountHistory(ctx context.Context, accountID string, limit int) ([]engine.ScorePoint, error)
	RecentDecisions(ctx context.Context, n int) ([]engine.ScorePoint, error)
	OrderAccount(ctx context.Context, orderID string) (string, error)
}

// Config is what the console needs. Store, Cases and Review are
// required.
type Config struct {
	Store  Store
	Cases  mamori.CaseService
	Review Reviewer
	// Risk is for the account pages, search and the dashboard (nil:
	// those pages answer 404 and / goes to the review queue).
	Risk Risk
	// Networks words the addresses of sign-ins (nil: addresses only).
	Networks *enrich.Networks
	Logger   *slog.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// SessionTTL is how long a sign-in lasts (default 12 hours).
	SessionTTL time.Duration
	// FailureDelay is how long a failed sign-in waits before answering
	// (default 500ms; negative for none).
	FailureDelay time.Duration
	// MaxFailures is how many failed sign-ins a user name may have in
	// LockoutWindow before further attempts are refused for the rest of
	// it (defaults 5 and 15 minutes).
	MaxFailures   int
	LockoutWindow time.Duration
}

// Server serves the console. It is an http.Handler for paths under
// Prefix.
type Server struct {
	cfg   Config
	mux   *http.ServeMux
	pages map[string]*page

	mu       sync.Mutex
	failures map[string]*failures
}

type failures struct {
	n     int
	since time.Time
}

// New returns the console.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Cases == nil || cfg.Review == nil {
		return nil, errors.New("console: Store, Cases and Review are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.FailureDelay == 0 {
		cfg.FailureDelay = 500 * time.Millisecond
	}
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = 5
	}
	if cfg.LockoutWindow <= 0 {
		cfg.LockoutWindow = 15 * time.Minute
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), pages: pages, failures: map[string]*failures{}}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	static, _ := fs.Sub(assets, "static")
	s.mux.Handle("GET /console/static/", http.StripPrefix("/console/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /console/login", s.loginPage)
	s.mux.HandleFunc("POST /console/login", s.sameOrigin(s.login))
	s.mux.HandleFunc("POST /console/logout", s.signedIn(s.logout))
	s.mux.HandleFunc("GET /console/{$}", s.signedIn(s.dashboard))
	s.mux.HandleFunc("GET /console/review", s.signedIn(s.reviewQueue))
	s.mux.HandleFunc("POST /console/orders/{id}/release", s.signedIn(s.releaseOrder))
	s.mux.HandleFunc("POST /console/orders/{id}/cancel", s.signedIn(s.cancelOrder))
	s.mux.HandleFunc("GET /console/cases", s.signedIn(s.caseList))
	s.mux.HandleFunc("GET /console/cases/{id}", s.signedIn(s.casePage))
	s.mux.HandleFunc("GET /console/accounts/{id}", s.signedIn(s.accountPage))
	s.mux.HandleFunc("POST /console/accounts/{id}/lockdown", s.signedIn(s.lockdown))
	s.mux.HandleFunc("GET /console/search", s.signedIn(s.search))
}

// ServeHTTP implements http.Handler: every response is uncached and
// carries the console's security headers.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	pageguard.Headers(w.Header())
	s.mux.ServeHTTP(w, r)
}
