package conformance_test

import (
	"testing"

	"github.com/wskit/websocket/internal/leakcheck"
)

// TestMain fails the run when goroutines outlive the tests: every
// connection, timer, linger and test peer must end by itself.
func TestMain(m *testing.M) { leakcheck.Main(m) }
