// Package bizday counts business days in Japan: weekends, the national
// holidays (substitute and citizens' holidays included, after the Act on
// National Holidays) and the banks' year-end closing (31 December to 3
// January) are not business days. Fraud cases get their deadlines from
// it, and a dispute waits on the banks.
package bizday

import (
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/jp"
)

// JST is Japan Standard Time, in which business days are counted.
var JST = time.FixedZone("JST", 9*60*60)

// Calendar counts Japanese business days. The zero value is not usable;
// call New.
type Calendar struct {
	c *cal.BusinessCalendar
}

// New returns a calendar of Japanese business days.
func New() *Calendar {
	c := cal.NewBusinessCalendar()
	c.AddHoliday(jp.Holidays...)
	c.AddHoliday(yearEnd()...)
	return &Calendar{c: c}
}

// yearEnd are the days banks close at the turn of the year besides New
// Year's Day (Banking Act, art. 15).
func yearEnd() []*cal.Holiday {
	return []*cal.Holiday{
		{Name: "Bank holiday", Type: cal.ObservanceBank, Month: time.December, Day: 31, Func: cal.CalcDayOfMonth},
		{Name: "Bank holiday", Type: cal.ObservanceBank, Month: time.January, Day: 2, Func: cal.CalcDayOfMonth},
		{Name: "Bank holiday", Type: cal.ObservanceBank, Month: time.January, Day: 3, Func: cal.CalcDayOfMonth},
	}
}

// IsBusinessDay reports whether the day of t, in Japan, is a business day.
func (c *Calendar) IsBusinessDay(t time.Time) bool {
	return c.c.IsWorkday(t.In(JST))
}

// Deadline is the end (23:59:59 JST) of the n-th business day after t:
// n business days to act, not counting the day the clock starts.
func (c *Calendar) Deadline(t time.Time, n int) time.Time {
	day := t.In(JST)
	for counted := 0; counted < n; {
		day = day.AddDate(0, 0, 1)
		if c.c.IsWorkday(day) {
			counted++
		}
	}
	y, m, d := day.Date()
	return time.Date(y, m, d, 23, 59, 59, 0, JST)
}
