package bizday_test

import (
	"testing"
	"time"

	"github.com/mamori-dev/mamori/bizday"
)

func TestDeadlines(t *testing.T) {
	c := bizday.New()
	at := func(s string) time.Time {
		d, err := time.ParseInLocation("2006-01-02 15:04", s, bizday.JST)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	tests := []struct {
		name  string
		start string
		days  int
		want  string // the deadline's date in JST
	}{
		{"an ordinary week", "2026-11-10 10:00", 3, "2026-11-13"},
		{"over a weekend", "2026-11-13 10:00", 1, "2026-11-16"},
		// Golden Week 2026: Showa Day Wed 29 April; Constitution Day falls
		// on Sunday 3 May, so Wednesday 6 May is its substitute holiday.
		{"across Golden Week", "2026-04-28 15:00", 3, "2026-05-07"},
		{"opened on a holiday", "2026-05-04 09:00", 1, "2026-05-07"},
		// Silver Week 2026: Respect for the Aged Day Mon 21 September,
		// Autumnal Equinox Day Wed 23 September, and Tue 22 September
		// between them is a citizens' holiday.
		{"across Silver Week", "2026-09-18 12:00", 1, "2026-09-24"},
		{"the new year", "2026-12-30 12:00", 1, "2027-01-04"},
		{"late at night UTC is the next day in Japan", "2026-11-12 23:30", 1, "2026-11-16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := at(tt.start)
			if tt.name == "late at night UTC is the next day in Japan" {
				// 23:30 UTC on Thursday is 08:30 on Friday in Tokyo.
				start = time.Date(2026, 11, 12, 23, 30, 0, 0, time.UTC)
			}
			got := c.Deadline(start, tt.days)
			if got.Format("2006-01-02") != tt.want || got.Hour() != 23 || got.Location() != bizday.JST {
				t.Fatalf("deadline %s, want end of %s JST", got, tt.want)
			}
		})
	}
	for _, d := range []string{"2026-04-29 12:00", "2026-05-06 12:00", "2026-09-22 12:00", "2026-11-14 12:00", "2027-01-01 12:00"} {
		if c.IsBusinessDay(at(d)) {
			t.Errorf("%s counted as a business day", d)
		}
	}
}
