package eval

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestAUC(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	random := func(n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = r.Float64()
		}
		return out
	}
	tests := []struct {
		name     string
		pos, neg []float64
		want     float64
		tol      float64
	}{
		{"perfect scorer", []float64{0.9, 0.8, 0.95}, []float64{0.1, 0.2, 0.3, 0.0}, 1, 0},
		{"reversed scorer", []float64{0.1, 0.2}, []float64{0.8, 0.9, 0.7}, 0, 0},
		{"constant scorer", []float64{0.5, 0.5}, []float64{0.5, 0.5, 0.5}, 0.5, 0},
		// pairs: (0.8>0.3) (0.8>0.5) (0.5=0.5 half) (0.5>0.3) → 3.5 of 4
		{"ties count half", []float64{0.8, 0.5}, []float64{0.3, 0.5}, 0.875, 1e-12},
		{"random scorer", random(5000), random(5000), 0.5, 0.02},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AUC(tt.pos, tt.neg); math.Abs(got-tt.want) > tt.tol {
				t.Errorf("AUC = %v, want %v ± %v", got, tt.want, tt.tol)
			}
		})
	}
	if !math.IsNaN(AUC(nil, []float64{1})) || !math.IsNaN(AUC([]float64{1}, nil)) {
		t.Error("AUC of an empty side is a number")
	}
}

func TestRecallAtFPR(t *testing.T) {
	// 200 honest events: 196 at 0, then 0.5, 0.6, 0.7, 0.9. At 1% FPR two
	// of them may be flagged, so the threshold sits at the third highest,
	// 0.6, and only scores above it count.
	neg := make([]float64, 196)
	neg = append(neg, 0.5, 0.6, 0.7, 0.9)
	tests := []struct {
		name      string
		pos       []float64
		want      float64
		threshold float64
	}{
		{"all above", []float64{0.95, 0.8, 0.61}, 1, 0.6},
		{"some above", []float64{0.95, 0.6, 0.3, 0.8}, 0.5, 0.6},
		{"none above", []float64{0.2, 0.6}, 0, 0.6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, th := RecallAtFPR(tt.pos, neg, 0.01)
			if got != tt.want || th != tt.threshold {
				t.Errorf("recall %v at > %v, want %v at > %v", got, th, tt.want, tt.threshold)
			}
		})
	}
	// Ties: a threshold cannot split the 10 honest events at 0.4, so at 1%
	// of 100 none of them, and no attack at 0.4, may be flagged.
	tied := append(make([]float64, 90), 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4)
	if got, th := RecallAtFPR([]float64{0.4, 0.41}, tied, 0.01); got != 0.5 || th != 0.4 {
		t.Errorf("with ties: recall %v at > %v, want 0.5 at > 0.4", got, th)
	}
}
