package eval

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteText prints the report as tables.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d: %d accounts, %d scored days: %s events decided after %s recorded; played in %.1f s\n\n",
		r.Seed, r.Accounts, r.Days, thousands(int64(r.Events)), thousands(int64(r.History)), r.Elapsed)

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "attack scenario\tvictims\treached\tprotected\tattempted ¥\tlost ¥\tlost %\tno card lost\tmedian to protect\t")
	for _, s := range append(append([]ScenarioResult{}, r.Scenarios...), r.Attacks) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t\n", s.Scenario, s.Victims, s.Reached, s.Protected,
			thousands(s.Attempted), thousands(s.Lost), formatNum(100*s.LossShare(), 1),
			formatNum(100*s.NoGiftCardLoss, 1)+"%", duration(float64(s.MedianToProtect)))
	}
	tw.Flush()
	b.WriteString("\n")

	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "honest customers\taccounts\tsign-ins\tchallenged\torders\theld\tgift buyers\theld\tcards voided\tevents\tdenied\tlocked\tnotified\t")
	for _, l := range append(append([]LegitResult{}, r.Cohorts...), r.Legit) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%s\t%d\t%s\t%d\t%d\t%s\t%d\t%d\t\n", l.Cohort, l.Accounts,
			l.SignIns, formatNum(l.ChallengedPct(), 2)+"%", l.Orders, formatNum(l.HeldPct(), 2)+"%",
			l.GiftBuyers, formatNum(l.GiftHeldPct(), 1)+"%", l.Voided, l.Events, formatNum(l.DeniesPct(), 2)+"%", l.Locked, l.Notified)
	}
	tw.Flush()
	b.WriteString("  (challenged: challenge or deny; held: review, a hold action, or deny)\n\n")

	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scores\tattack events\thonest events\tROC AUC\trecall at 1% FPR\tthreshold\t")
	for _, k := range r.Ranking {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t\n", k.Kind, k.Attacks, k.Legit, formatNum(float64(k.AUC), 3),
			formatNum(float64(k.Recall), 3), "> "+formatNum(float64(k.Threshold), 3))
	}
	tw.Flush()
	b.WriteString("\n")

	if s := r.SeedStory; s != nil {
		fmt.Fprintf(&b, "seed story: first gift card %s; ¥%s lost of ¥%s attempted; case %s\n\n",
			strings.ToUpper(s.FirstGiftCard), thousands(s.Lost), thousands(s.Attempted), orDash(s.CaseID))
	}
	writeTargets(&b, r.Targets)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeTargets(b *strings.Builder, ts []Target) {
	b.WriteString("targets\n")
	for _, t := range ts {
		verdict := "FAIL"
		if t.Pass {
			verdict = "PASS"
		}
		fmt.Fprintf(b, "  %s  %-44s got %s\n", verdict, t.Name, formatNum(float64(t.Got), 2))
	}
}

// WriteSummary prints the headline metrics of every report side by side
// with their median, and the targets checked on the medians.
func WriteSummary(w io.Writer, reps []*Report) error {
	var b strings.Builder
	med := MedianMetrics(reps)
	fmt.Fprintf(&b, "median over %d seeds\n", len(reps))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "metric\t"
	for _, r := range reps {
		head += fmt.Sprintf("seed %d\t", r.Seed)
	}
	fmt.Fprintln(tw, head+"median\t")
	per := make([][]Metric, len(reps))
	for i, r := range reps {
		per[i] = r.Metrics()
	}
	for j, m := range med {
		row := m.Name + "\t"
		for i := range reps {
			row += formatNum(float64(per[i][j].Value), 3) + "\t"
		}
		fmt.Fprintln(tw, row+formatNum(float64(m.Value), 3)+"\t")
	}
	tw.Flush()
	b.WriteString("\n")
	writeTargets(&b, Check(med))
	_, err := io.WriteString(w, b.String())
	return err
}

func duration(seconds float64) string {
	if math.IsNaN(seconds) {
		return "never"
	}
	return (time.Duration(seconds) * time.Second).String()
}

func thousands(v int64) string {
	s := fmt.Sprint(v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
