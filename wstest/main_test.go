package wstest_test

import (
	"testing"

	"github.com/wskit/websocket/internal/leakcheck"
)

// TestMain fails the run when goroutines outlive the tests.
func TestMain(m *testing.M) { leakcheck.Main(m) }
