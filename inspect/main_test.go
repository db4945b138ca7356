package inspect_test

import (
	"testing"

	"github.com/wskit/websocket/internal/leakcheck"
)

// TestMain fails the run when a goroutine of this module outlives the
// tests: a flow's decompression coroutine must end with the flow.
func TestMain(m *testing.M) { leakcheck.Main(m) }
