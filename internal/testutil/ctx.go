package testutil

import (
	"context"
	"testing"
	"time"
)

// Ctx returns a context that ends with the test or after three minutes.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
