package sim

import (
	"container/heap"
	"context"
	"errors"
	"iter"
	"math/rand/v2"
	"time"
)

// scheduler is the world's clock: a priority queue of what happens next,
// in event time, for every actor and every task of the store. It runs one
// thing at a time, so the events of all accounts interleave in time order
// and a play is the same every time.
type scheduler struct {
	ctx    context.Context
	now    time.Time
	queue  taskQueue
	seq    uint64
	err    error
	actors []*actor
}

type task struct {
	at  time.Time
	seq uint64
	run func()
}

type taskQueue []task

func (q taskQueue) Len() int { return len(q) }
func (q taskQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q taskQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *taskQueue) Push(x any)   { *q = append(*q, x.(task)) }
func (q *taskQueue) Pop() any {
	old := *q
	t := old[len(old)-1]
	*q = old[:len(old)-1]
	return t
}

// at runs fn at time t (now if t is past).
func (s *scheduler) at(t time.Time, fn func()) {
	if t.Before(s.now) {
		t = s.now
	}
	s.seq++
	heap.Push(&s.queue, task{at: t, seq: s.seq, run: fn})
}

// run runs everything due before end, then stops every actor.
func (s *scheduler) run(end time.Time) error {
	defer s.stopAll()
	for n := 0; s.queue.Len() > 0 && s.err == nil; n++ {
		if n%4096 == 0 && s.ctx != nil && s.ctx.Err() != nil {
			return s.ctx.Err()
		}
		t := heap.Pop(&s.queue).(task)
		if !t.at.Before(end) {
			break
		}
		s.now = t.at
		s.call(t.run)
	}
	return s.err
}

// call runs a task; a failure to talk to mamori stops the play.
func (s *scheduler) call(fn func()) {
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(failure)
			if !ok {
				panic(r)
			}
			s.fail(f.err)
		}
	}()
	fn()
}

func (s *scheduler) fail(err error) {
	if s.err == nil {
		s.err = err
	}
}

func (s *scheduler) stopAll() {
	for _, a := range s.actors {
		if !a.done {
			a.stop()
			a.done = true
		}
	}
}

// failure carries an error out of an actor's or a task's code to the
// scheduler, which stops the play with it.
type failure struct{ err error }

// errStopped unwinds an actor when the play ends while it sleeps.
var errStopped = errors.New("sim: actor stopped")

// actor is one customer or attacker: code that reads as a story, sleeping
// in event time between its steps. It runs as a coroutine that the
// scheduler resumes when its time comes.
type actor struct {
	s     *scheduler
	rng   *rand.Rand
	yield func(struct{}) bool
	next  func() (struct{}, bool)
	stop  func()
	done  bool
}

// spawn starts body at time t as a new actor with its own random source.
func (s *scheduler) spawn(t time.Time, rng *rand.Rand, body func(a *actor)) *actor {
	a := &actor{s: s, rng: rng}
	var seq iter.Seq[struct{}] = func(yield func(struct{}) bool) {
		a.yield = yield
		defer func() {
			if r := recover(); r != nil {
				switch r := r.(type) {
				case failure:
					s.fail(r.err)
				default:
					if r != errStopped {
						panic(r)
					}
				}
			}
		}()
		body(a)
	}
	a.next, a.stop = iter.Pull(seq)
	s.actors = append(s.actors, a)
	s.at(t, a.resume)
	return a
}

func (a *actor) resume() {
	if _, ok := a.next(); !ok {
		a.done = true
	}
}

// now is the current event time.
func (a *actor) now() time.Time { return a.s.now }

// sleep gives the clock to others for d.
func (a *actor) sleep(d time.Duration) {
	a.s.at(a.s.now.Add(d), a.resume)
	if !a.yield(struct{}{}) {
		panic(errStopped)
	}
}

// sleepUntil gives the clock to others until t.
func (a *actor) sleepUntil(t time.Time) { a.sleep(t.Sub(a.s.now)) }

// pause sleeps a random time between lo and hi, as a person between two
// clicks.
func (a *actor) pause(lo, hi time.Duration) {
	a.sleep(lo + time.Duration(a.rng.Int64N(int64(hi-lo)+1)))
}

func (a *actor) chance(p float64) bool { return a.rng.Float64() < p }
