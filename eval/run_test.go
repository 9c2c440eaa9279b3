package eval

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/engine"
	"github.com/mamori-dev/mamori/enrich"
	"github.com/mamori-dev/mamori/memlog"
	"github.com/mamori-dev/mamori/sim"
)

// loadNetworks parses the shipped network data once for the test binary.
var loadNetworks = sync.OnceValues(enrich.LoadNetworks)

func inProcess(ctx context.Context) (mamori.RiskService, func() error, error) {
	nets, err := loadNetworks()
	if err != nil {
		return nil, nil, err
	}
	e, err := engine.Open(ctx, memlog.New(false), "", engine.Options{Shards: 1, Networks: nets, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, nil, err
	}
	return e, e.Close, nil
}

// TestSmallWorldSeedStoryLosesNothing is `mamori eval` on a small world
// against the in-process engine. Whatever the detection's other numbers,
// the seed story's attacker must get nothing and never have the first
// gift card allowed.
func TestSmallWorldSeedStoryLosesNothing(t *testing.T) {
	reps, err := Run(context.Background(), Options{
		Config:  sim.Config{Accounts: 300, HistoryDays: 20, Days: 10},
		Seeds:   []uint64{1},
		Service: inProcess,
	})
	if err != nil {
		t.Fatal(err)
	}
	rep := reps[0]
	s := rep.SeedStory
	if s == nil {
		t.Fatal("no seed story in the report")
	}
	if s.Lost != 0 || s.FirstGiftCard == string(mamori.Allow) {
		t.Errorf("seed story: ¥%d lost, first gift card %s; want ¥0 and never allowed", s.Lost, s.FirstGiftCard)
	}
	if rep.Events == 0 || rep.History == 0 || rep.Attacks.Victims == 0 || rep.Legit.SignIns == 0 || rep.Legit.Orders == 0 {
		t.Errorf("an empty play: %d events after %d, %d victims, %d sign-ins, %d orders",
			rep.Events, rep.History, rep.Attacks.Victims, rep.Legit.SignIns, rep.Legit.Orders)
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := WriteSummary(&text, reps); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{sim.ScenarioRelay, sim.CohortGiftBuyer, "ROC AUC", "seed story", "targets", "median over 1 seeds"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the tables do not mention %q:\n%s", want, text.String())
		}
	}
	if t.Failed() {
		t.Logf("\n%s", text.String())
	}
	dir := t.TempDir()
	for _, name := range []string{"scores.svg", "scores.png"} {
		path := filepath.Join(dir, name)
		if err := Plot(path, reps); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() < 1000 {
			t.Errorf("%s: %d bytes", name, st.Size())
		}
	}
}
