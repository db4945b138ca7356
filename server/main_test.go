package server_test

import (
	"testing"

	"github.com/wskit/websocket/internal/leakcheck"
)

// TestMain fails the run when goroutines outlive the tests: handlers,
// broadcast senders and close handshakes must all end.
func TestMain(m *testing.M) { leakcheck.Main(m) }
