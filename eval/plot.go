package eval

import (
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Plot draws the distributions of mamori's scores for honest and attack
// events, pooled over the reports: sign-ins, orders and all events side
// by side, the share of each side's events per score bin on a log scale.
// The file is SVG or PNG by path's extension.
func Plot(path string, reps []*Report) error {
	var pooled Scores
	for _, r := range reps {
		pooled.SignIns = pooled.SignIns.add(r.Scores.SignIns)
		pooled.Orders = pooled.Orders.add(r.Scores.Orders)
		pooled.All = pooled.All.add(r.Scores.All)
	}
	panels := []struct {
		title string
		p     ScorePair
	}{{"sign-ins", pooled.SignIns}, {"orders", pooled.Orders}, {"all events", pooled.All}}
	row := make([]*plot.Plot, len(panels))
	for i, pn := range panels {
		p, err := histogramPlot(pn.title, pn.p)
		if err != nil {
			return err
		}
		row[i] = p
	}
	const w, h = 12 * vg.Inch, 4 * vg.Inch
	var canvas interface {
		vg.CanvasSizer
		io.WriterTo
	}
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".svg":
		canvas = vgsvg.New(w, h)
	case ".png":
		canvas = vgimg.PngCanvas{Canvas: vgimg.New(w, h)}
	default:
		return fmt.Errorf("plot %s: want a .svg or .png file", path)
	}
	dc := draw.New(canvas)
	tiles := draw.Tiles{Rows: 1, Cols: len(row), PadX: vg.Millimeter * 6, PadTop: vg.Millimeter * 2,
		PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	cs := plot.Align([][]*plot.Plot{row}, tiles, dc)
	for i, p := range row {
		p.Draw(cs[0][i])
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if _, err := canvas.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return f.Close()
}

func (p ScorePair) add(q ScorePair) ScorePair {
	return ScorePair{Attack: append(p.Attack, q.Attack...), Legit: append(p.Legit, q.Legit...)}
}

const (
	bins  = 20
	floor = 1e-5 // shares below this are drawn at it, so the log scale holds
)

func histogramPlot(title string, sp ScorePair) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s (attack n=%d, honest n=%d)", title, len(sp.Attack), len(sp.Legit))
	p.X.Label.Text = "score"
	p.Y.Label.Text = "share of events"
	p.X.Min, p.X.Max = 0, 1
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Y.Min, p.Y.Max = floor, 1
	p.Add(plotter.NewGrid())
	for _, side := range []struct {
		name   string
		scores []float64
		color  color.Color
	}{
		{"honest", sp.Legit, color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}},
		{"attack", sp.Attack, color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}},
	} {
		if len(side.scores) == 0 {
			continue
		}
		line, err := plotter.NewLine(histogram(side.scores))
		if err != nil {
			return nil, fmt.Errorf("plot %s: %w", title, err)
		}
		line.StepStyle = plotter.MidStep
		line.Color = side.color
		line.Width = vg.Points(1.5)
		p.Add(line)
		p.Legend.Add(side.name, line)
	}
	p.Legend.Top = true
	return p, nil
}

// histogram is the share of scores in each of the bins over [0, 1], at
// the bins' centres.
func histogram(scores []float64) plotter.XYs {
	counts := make([]int, bins)
	for _, s := range scores {
		i := int(s * bins)
		counts[min(max(i, 0), bins-1)]++
	}
	xys := make(plotter.XYs, bins)
	for i, c := range counts {
		xys[i].X = (float64(i) + 0.5) / bins
		xys[i].Y = max(float64(c)/float64(len(scores)), floor)
	}
	return xys
}
