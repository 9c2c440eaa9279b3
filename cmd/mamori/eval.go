package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mamori-dev/mamori/eval"
)

// evalCommand plays one world per seed, evaluates each against the truth
// and prints the tables, the medians over the seeds and the targets.
func evalCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", stderr)
	var wf worldFlags
	wf.register(fs)
	seedList := fs.String("seeds", "1", "comma-separated seeds, one world each")
	asJSON := fs.Bool("json", false, "print the reports as JSON instead of tables")
	plotPath := fs.String("plot", "", "draw the score distributions (honest vs attack) to this .svg or .png file")
	strict := fs.Bool("strict", false, "exit with status 1 when a target fails on the medians")
	if err := fs.Parse(args); err != nil {
		return exitCode(2)
	}
	seeds, err := parseSeeds(*seedList)
	if err == nil {
		err = wf.check()
	}
	if err != nil {
		fmt.Fprintln(stderr, "mamori eval:", err)
		return exitCode(2)
	}
	reps, err := eval.Run(ctx, eval.Options{
		Config: wf.config(0), Seeds: seeds, Prefix: wf.prefixFor, Service: wf.service(), Log: stderr,
	})
	if err != nil {
		return err
	}
	if *plotPath != "" {
		if err := eval.Plot(*plotPath, reps); err != nil {
			return err
		}
	}
	median := eval.MedianMetrics(reps)
	targets := eval.Check(median)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(struct {
			Reports []*eval.Report `json:"reports"`
			Median  []eval.Metric  `json:"median"`
			Targets []eval.Target  `json:"targets"`
			Passed  bool           `json:"passed"`
		}{reps, median, targets, eval.Passed(targets)})
	} else {
		for _, r := range reps {
			if err = r.WriteText(stdout); err != nil {
				break
			}
			fmt.Fprintln(stdout)
		}
		if err == nil {
			err = eval.WriteSummary(stdout, reps)
		}
		if err == nil && *plotPath != "" {
			fmt.Fprintln(stdout, "\nscore distributions drawn to", *plotPath)
		}
	}
	if err != nil {
		return err
	}
	if *strict && !eval.Passed(targets) {
		return exitCode(1)
	}
	return nil
}

func parseSeeds(s string) ([]uint64, error) {
	var out []uint64
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		n, err := strconv.ParseUint(part, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("--seeds: %q is not a seed", part)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--seeds: no seed given")
	}
	return out, nil
}
