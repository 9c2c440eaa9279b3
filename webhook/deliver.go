package webhook

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// worker sends one endpoint's deliveries, one at a time in log order: a
// failing delivery holds back those after it until it is delivered or
// dead, so that a receiver that was down gets everything in order once it
// is back. Endpoints do not wait for one another.
type worker struct {
	id     string
	wake   chan struct{}
	cancel context.CancelFunc
}

func (w *worker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// wakeWorker tells the endpoint's worker that it has new deliveries,
// starting one if needed.
func (s *Service) wakeWorker(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w := s.workers[id]; w != nil {
		w.poke()
		return
	}
	s.startWorkerLocked(id)
}

// startWorkerLocked starts the worker of endpoint id, once the dispatcher
// runs. s.mu is held.
func (s *Service) startWorkerLocked(id string) {
	if s.ctx == nil || s.ctx.Err() != nil {
		return
	}
	ctx, cancel := context.WithCancel(s.ctx)
	w := &worker{id: id, wake: make(chan struct{}, 1), cancel: cancel}
	s.workers[id] = w
	s.running.Add(1)
	go func() {
		defer s.running.Done()
		s.work(ctx, w)
	}()
}

// stopWorker ends w if it is still the worker of its endpoint.
func (s *Service) stopWorker(w *worker) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.workers[w.id] == w {
		delete(s.workers, w.id)
	}
	w.cancel()
}

func (s *Service) work(ctx context.Context, w *worker) {
	for ctx.Err() == nil {
		d, ok, err := s.store.NextDelivery(ctx, w.id)
		var wait <-chan time.Time
		switch {
		case err != nil:
			if ctx.Err() == nil {
				s.opts.Logger.Error("webhook delivery", "webhook", w.id, "err", err)
			}
			wait = s.opts.Clock.After(s.opts.PollInterval)
		case !ok:
			if _, err := s.store.Endpoint(ctx, w.id); isNotFound(err) {
				s.stopWorker(w) // deleted while a dispatch was on its way
				return
			}
		default:
			if d.NextAttempt != nil {
				if due := d.NextAttempt.Sub(s.opts.Clock.Now()); due > 0 {
					wait = s.opts.Clock.After(due)
					break
				}
			}
			err := s.attempt(ctx, d)
			if err == nil {
				continue
			}
			if ctx.Err() == nil {
				s.opts.Logger.Error("webhook delivery", "webhook", w.id, "message", d.ID, "err", err)
			}
			wait = s.opts.Clock.After(s.opts.PollInterval)
		}
		select {
		case <-ctx.Done():
		case <-w.wake:
		case <-wait:
		}
	}
}

// attempt sends d once and records the outcome, unless the dispatcher
// stopped meanwhile: then it is sent again after the next start. Errors
// are the store's; a failed send is an outcome.
func (s *Service) attempt(ctx context.Context, d Delivery) error {
	e, err := s.store.Endpoint(ctx, d.Endpoint)
	if isNotFound(err) {
		return nil // deleted with its deliveries
	}
	if err != nil {
		return err
	}
	now := s.now()
	code, retryAfter, sendErr := s.send(ctx, &e, &d, now)
	if ctx.Err() != nil {
		return nil
	}
	d.Attempts++
	d.LastAttempt, d.LastStatusCode, d.LastError = &now, code, ""
	switch {
	case sendErr == nil && code/100 == 2:
		d.Status, d.NextAttempt, d.DeliveredAt = Delivered, nil, &now
	default:
		if sendErr != nil {
			d.LastError = sendErr.Error()
		} else {
			d.LastError = "answered " + strconv.Itoa(code) + " " + http.StatusText(code)
		}
		if code == http.StatusGone || d.Attempts >= s.opts.MaxAttempts {
			d.Status, d.NextAttempt = Dead, nil
			s.opts.Logger.Warn("webhook delivery dead", "webhook", d.Endpoint, "message", d.ID, "attempts", d.Attempts, "err", d.LastError)
		} else {
			next := now.Add(s.backoff(d.Attempts, retryAfter))
			d.Status, d.NextAttempt = Failed, &next
		}
	}
	return s.store.UpdateDelivery(ctx, d)
}

// send posts the delivery, signed with every active secret, and returns
// the status code and any Retry-After the endpoint asked for.
func (s *Service) send(ctx context.Context, e *Endpoint, d *Delivery, now time.Time) (int, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(d.Payload))
	if err != nil {
		return 0, 0, err
	}
	var secrets []string
	for _, x := range e.Active(now) {
		secrets = append(secrets, x.Value)
	}
	if err := Sign(req.Header, d.ID, now, d.Payload, secrets); err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "mamori-webhooks/1")
	res, err := s.opts.Client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	var retryAfter time.Duration
	if secs, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && secs > 0 {
		retryAfter = time.Duration(secs) * time.Second
	}
	return res.StatusCode, retryAfter, nil
}

// backoff returns the wait after the given number of failed attempts:
// uniform in [0, cap] (full jitter), cap from the schedule; no shorter
// than a Retry-After the endpoint sent, within the schedule's largest cap.
func (s *Service) backoff(attempts int, retryAfter time.Duration) time.Duration {
	steps := s.opts.Backoff
	limit := steps[min(attempts, len(steps))-1]
	wait := rand.N(limit + 1)
	if retryAfter > wait {
		wait = min(retryAfter, slices.Max(steps))
	}
	return wait
}
