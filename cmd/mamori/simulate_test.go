package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSimulateWritesEveryEvent(t *testing.T) {
	out := filepath.Join(t.TempDir(), "events.jsonl")
	var stdout bytes.Buffer
	err := run(context.Background(), []string{"simulate", "--seed", "3", "--accounts", "80", "--history-days", "5", "--days", "5", "--out", out}, &stdout, io.Discard)
	if err != nil {
		t.Fatalf("simulate: %v\n%s", err, stdout.String())
	}
	if !strings.Contains(stdout.String(), "world 3 (seed 3): 80 accounts") {
		t.Errorf("summary:\n%s", stdout.String())
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	phases := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l struct {
			Phase    string          `json:"phase"`
			Event    json.RawMessage `json:"event"`
			Decision json.RawMessage `json:"decision"`
			Truth    struct {
				Source string `json:"source"`
			} `json:"truth"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		if l.Truth.Source == "" || len(l.Event) == 0 || (l.Phase == "scored") != (len(l.Decision) > 0) {
			t.Fatalf("line %s", sc.Text())
		}
		phases[l.Phase]++
	}
	if phases["history"] == 0 || phases["scored"] == 0 {
		t.Errorf("phases %v", phases)
	}
}

func TestEvalPrintsTablesAndTargets(t *testing.T) {
	var stdout bytes.Buffer
	args := []string{"eval", "--seeds", "1,2", "--accounts", "60", "--history-days", "5", "--days", "5"}
	if err := run(context.Background(), args, &stdout, io.Discard); err != nil {
		t.Fatalf("eval: %v\n%s", err, stdout.String())
	}
	text := stdout.String()
	for _, want := range []string{"seed 1:", "seed 2:", "median over 2 seeds", "seed story: first gift card", "legit orders held ≤ 0.5%"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in:\n%s", want, text)
		}
	}
	if strings.Count(text, "PASS")+strings.Count(text, "FAIL") != 3*8 {
		t.Errorf("want 8 targets checked for each seed and for the medians:\n%s", text)
	}
}

func TestEvalJSONAgainstAServer(t *testing.T) {
	c := startChild(t, t.TempDir())
	t.Cleanup(func() {
		c.cmd.Process.Signal(os.Interrupt)
		select {
		case <-c.exited:
		case <-time.After(30 * time.Second):
			c.cmd.Process.Kill()
			<-c.exited
		}
	})
	var stdout bytes.Buffer
	args := []string{"eval", "--json", "--accounts", "30", "--history-days", "3", "--days", "3", "--url", c.url, "--api-key", childKey}
	if err := run(context.Background(), args, &stdout, io.Discard); err != nil {
		t.Fatalf("eval: %v\n%s", err, stdout.String())
	}
	var got struct {
		Reports []struct {
			Seed      uint64 `json:"seed"`
			Events    int    `json:"events"`
			SeedStory struct {
				Lost          int64  `json:"value_lost"`
				FirstGiftCard string `json:"first_gift_card"`
			} `json:"seed_story"`
		} `json:"reports"`
		Targets []struct {
			Pass bool `json:"pass"`
		} `json:"targets"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("%v:\n%s", err, stdout.String())
	}
	if len(got.Reports) != 1 || got.Reports[0].Events == 0 || len(got.Targets) != 8 {
		t.Fatalf("report %s", stdout.String())
	}
	if s := got.Reports[0].SeedStory; s.Lost != 0 || s.FirstGiftCard == "allow" {
		t.Errorf("seed story against the server: %+v", s)
	}
}
