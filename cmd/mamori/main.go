// Command mamori is the real-time risk service: serve runs it, demo plays
// the seed story against it, version prints the build.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
)

const usage = `mamori: real-time account-takeover and fraud decisions

usage:
  mamori serve   [--addr 127.0.0.1:8080] [--data ./mamori-data] [--api-key KEY | --insecure-dev]
  mamori demo    replay the seed story against mamori on a temporary store
  mamori bench   [--clients 128] [--duration 10s] [--path /v1/risk] [--world-accounts 3000] [--seed 1] [--paced 0.7] [--url URL] [--in-process]   (--help: what it prints)
  mamori simulate [--seed N] [--accounts 3000] [--history-days 60] [--days 30] [--url URL --api-key K] [--out events.jsonl]
  mamori eval    [--seeds 1,2,3] [--accounts 3000] [--history-days 60] [--days 30] [--url URL --api-key K] [--json] [--plot scores.svg]
  mamori user add NAME [--data ./mamori-data] [--password-stdin]   an analyst of the console at /console/ (password on stdin)
  mamori link ACCOUNT_ID [--data DIR] [--base-url URL] [--ttl 15m]   a link to the customer's security center at /me
  mamori version
`

func main() {
	if os.Getenv("GOMAXPROCS") == "" {
		// Two more Ps than CPUs: a goroutine in a blocking system call
		// holds its P for a while and on returning waits for one, while
		// the CPUs may idle. The event log's committer is in its sync
		// for much of each commit, the journal's zeros are written ahead
		// and synced beside it, and the index's store writes its tables;
		// with spare Ps the requests go on meanwhile. One spare was
		// measured against none (BENCHMARKS.md, "The journal"), two
		// against one ("A commit's sync, and the durable floor").
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	var exit exitCode
	switch {
	case err == nil:
	case errors.As(err, &exit):
		os.Exit(int(exit))
	default:
		fmt.Fprintln(os.Stderr, "mamori:", err)
		os.Exit(1)
	}
}

// exitCode ends the program with a status after its message was printed.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitCode(2)
	}
	switch args[0] {
	case "serve":
		return serveCommand(ctx, args[1:], stdout, stderr)
	case "demo":
		return demoCommand(ctx, args[1:], stdout, stderr)
	case "bench":
		return benchCommand(ctx, args[1:], stdout, stderr)
	case "simulate":
		return simulateCommand(ctx, args[1:], stdout, stderr)
	case "eval":
		return evalCommand(ctx, args[1:], stdout, stderr)
	case "user":
		return userCommand(ctx, args[1:], os.Stdin, stdout, stderr)
	case "link":
		return linkCommand(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "mamori", version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "mamori: unknown command %q\n\n%s", args[0], usage)
	return exitCode(2)
}

func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v + " " + info.GoVersion
}

// newFlags makes a flag set that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("mamori "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}
