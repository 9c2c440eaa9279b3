package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// benchServer is a server the bench runs in a process of its own, as a
// server runs in production: its collections see only its own heap and
// its own allocations, not the world's request bodies and the clients'
// (about 150 MB live, which a collection of a shared heap marks too), and
// a server's scheduler is not the clients'.
type benchServer struct {
	name string
	cmd  *exec.Cmd
	url  string
	done chan error // the process's exit, once its output is drained
}

// startBenchServer runs exe with args and waits for its listening line.
// Its stderr goes to stderr.
func startBenchServer(ctx context.Context, name, exe string, args []string, stderr io.Writer) (*benchServer, error) {
	cmd := exec.Command(exe, args...)
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s := &benchServer{name: name, cmd: cmd, done: make(chan error, 1)}
	found := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(out)
		for listening := false; !listening && lines.Scan(); {
			if rest, ok := strings.CutPrefix(lines.Text(), listeningPrefix); ok {
				if f := strings.Fields(rest); len(f) > 0 {
					found <- f[0]
					listening = true
				}
			}
		}
		// The rest of its output is read to its end so that the process
		// never blocks on a full pipe; Wait comes after the last read.
		io.Copy(io.Discard, out)
		close(found)
		s.done <- cmd.Wait()
	}()
	select {
	case u, ok := <-found:
		if ok {
			s.url = u
			return s, nil
		}
		return nil, fmt.Errorf("%s exited before it listened: %v", name, <-s.done)
	case <-ctx.Done():
		s.kill()
		return nil, fmt.Errorf("start %s: %w", name, ctx.Err())
	case <-time.After(2 * time.Minute):
		s.kill()
		return nil, fmt.Errorf("%s did not listen within 2 minutes", name)
	}
}

func (s *benchServer) pid() int { return s.cmd.Process.Pid }

// stop asks the server to shut down as an operator would (SIGTERM) and
// waits for it; one that has not exited in 30 s is killed.
func (s *benchServer) stop() error {
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		s.kill()
		return fmt.Errorf("stop %s: %w", s.name, err)
	}
	select {
	case err := <-s.done:
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		return nil
	case <-time.After(30 * time.Second):
		s.kill()
		return fmt.Errorf("%s did not stop within 30 s after SIGTERM: killed", s.name)
	}
}

func (s *benchServer) kill() {
	s.cmd.Process.Kill()
	<-s.done
}

// stopBenchServer stops s, saying on stderr if it did not end cleanly:
// the load's figures stand either way.
func stopBenchServer(s *benchServer, stderr io.Writer) {
	if err := s.stop(); err != nil {
		fmt.Fprintf(stderr, "mamori bench: %v\n", err)
	}
}

// serveBaseline serves the bare handler ("bare") or the durable floor
// ("durable", with ahead bytes of zeros and its commits spaced every
// apart) on loopback until ctx ends: mamori bench --serve-baseline, the
// process the bench runs a baseline in.
func serveBaseline(ctx context.Context, kind string, ahead int64, every time.Duration, stdout io.Writer) error {
	var (
		t    *target
		stop func()
		err  error
	)
	if kind == "durable" {
		t, stop, err = serveDurableFloor(1, ahead, every)
	} else {
		t, stop, err = serveBare(nil, 1)
	}
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintf(stdout, "%s%s (the %s baseline of mamori bench)\n", listeningPrefix, t.url, kind)
	<-ctx.Done()
	return nil
}

// startBaselines runs the bare handler and the durable floor each in a
// process of its own (this program, exe, with --serve-baseline and
// flags) and returns their targets, for conns connections each, and what
// stops both.
func startBaselines(ctx context.Context, exe string, flags []string, conns int, stderr io.Writer) (bare, durable *target, stop func(), err error) {
	var started []*benchServer
	stopAll := func() {
		for _, s := range started {
			stopBenchServer(s, stderr)
		}
	}
	for _, kind := range []string{"bare", "durable"} {
		s, err := startBenchServer(ctx, kind+" baseline", exe, append([]string{"bench", "--serve-baseline", kind}, flags...), stderr)
		if err != nil {
			stopAll()
			return nil, nil, nil, err
		}
		started = append(started, s)
	}
	bare, durable = newTarget(started[0].url, "", conns), newTarget(started[1].url, "", conns)
	bare.pid, durable.pid = started[0].pid(), started[1].pid()
	return bare, durable, func() { bare.close(); durable.close(); stopAll() }, nil
}
