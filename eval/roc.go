package eval

import (
	"math"
	"sort"
)

// AUC is the area under the ROC curve of scores that should rank the
// positives above the negatives: the chance that a random positive scores
// higher than a random negative, ties counting half (the Mann-Whitney U
// statistic over both counts). NaN if either side is empty.
func AUC(pos, neg []float64) float64 {
	if len(pos) == 0 || len(neg) == 0 {
		return math.NaN()
	}
	type scored struct {
		s   float64
		pos bool
	}
	all := make([]scored, 0, len(pos)+len(neg))
	for _, s := range pos {
		all = append(all, scored{s, true})
	}
	for _, s := range neg {
		all = append(all, scored{s, false})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].s < all[j].s })
	// Sum the ranks of the positives, ties sharing their average rank.
	var rankSum float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].s == all[i].s {
			j++
		}
		avg := float64(i+j+1) / 2 // ranks i+1 .. j
		for k := i; k < j; k++ {
			if all[k].pos {
				rankSum += avg
			}
		}
		i = j
	}
	np, nn := float64(len(pos)), float64(len(neg))
	return (rankSum - np*(np+1)/2) / (np * nn)
}

// RecallAtFPR is the share of positives caught by the lowest threshold
// that flags at most a share fpr of the negatives (a score strictly above
// threshold is flagged). With ties a threshold cannot split a score, so
// the answer is the best any threshold achieves. NaN if either side is
// empty.
func RecallAtFPR(pos, neg []float64, fpr float64) (recall, threshold float64) {
	if len(pos) == 0 || len(neg) == 0 {
		return math.NaN(), math.NaN()
	}
	sorted := append([]float64(nil), neg...)
	sort.Sort(sort.Reverse(sort.Float64Slice(sorted)))
	k := int(math.Floor(fpr * float64(len(sorted))))
	if k >= len(sorted) {
		return 1, math.Inf(-1)
	}
	// At most k negatives may be flagged: the threshold sits at the
	// (k+1)-th highest negative, and only scores above it are flagged.
	threshold = sorted[k]
	n := 0
	for _, s := range pos {
		if s > threshold {
			n++
		}
	}
	return float64(n) / float64(len(pos)), threshold
}
