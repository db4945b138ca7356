//go:build linux

package loop_test

import (
	"testing"

	"github.com/wskit/websocket/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }
