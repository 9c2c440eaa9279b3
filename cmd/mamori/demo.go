package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/mamori-dev/mamori"
	mhttp "github.com/mamori-dev/mamori/http"
	"github.com/mamori-dev/mamori/sim"
)

// demoCommand starts mamori on a temporary store, plays the seed story
// through the HTTP API and prints what happened.
func demoCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", stderr)
	keep := fs.Bool("keep", false, "keep the temporary data directory and print its path")
	if err := fs.Parse(args); err != nil {
		return exitCode(2)
	}
	dir, err := os.MkdirTemp("", "mamori-demo-")
	if err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	const key = "demo-key"
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- runServer(ctx, serverConfig{
			Addr: "127.0.0.1:0", Data: dir, APIKey: key, CommitInterval: defaultCommitInterval,
			Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		}, func(addr string) { ready <- addr })
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		return err
	}
	fmt.Fprintf(stdout, "mamori demo: server on http://%s, store in %s\n", addr, dir)
	client := &mhttp.Client{BaseURL: "http://" + addr, APIKey: key}
	out, err := sim.PlaySeed(ctx, client, stdout)
	if err != nil {
		return err
	}
	acct, err := client.Account(ctx, sim.SeedAccount)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\naccount %s: status %s, risk %.2f, %d sessions (%d revoked), open cases %v\n",
		acct.AccountID, acct.Status, acct.Risk, len(acct.Sessions), revoked(acct.Sessions), acct.OpenCaseIDs)
	fmt.Fprintln(stdout, out.Summary())
	cancel()
	if err := <-done; err != nil {
		return err
	}
	if *keep {
		fmt.Fprintln(stdout, "data kept in", dir)
	}
	return nil
}

func revoked(sessions []mamori.Session) int {
	n := 0
	for _, s := range sessions {
		if s.Revoked {
			n++
		}
	}
	return n
}
