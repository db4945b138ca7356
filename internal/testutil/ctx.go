package testutil

import (
	"context"
	"testing"
	"time"
)

// Ctx returns a context that ends with the test, or a little before go
// test's -timeout would stop the binary, so that a stuck wait fails the
// test with its own message instead of a panic dump. It sets no limit of its
// own: a loaded machine makes a test slower, never wrong.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithDeadline(context.Background(), Deadline(t))
	t.Cleanup(cancel)
	return ctx
}

// Deadline is when a test's waits give up: a twentieth of the time left (at
// least 5 s) before the -timeout of go test, or in an hour when the test has
// no deadline.
func Deadline(t testing.TB) time.Time {
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if dl, ok := d.Deadline(); ok {
			return dl.Add(-max(time.Until(dl)/20, 5*time.Second))
		}
	}
	return time.Now().Add(time.Hour)
}
