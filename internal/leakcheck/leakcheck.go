// Package leakcheck fails a test binary whose goroutines outlive its tests.
package leakcheck

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Main runs the tests, then, if they passed, waits up to five seconds for
// every goroutine started by this module or net/http to end, and fails the
// run with their stacks when some do not. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := Leaked(5 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "goroutines leaked after the tests:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// Leaked waits up to d for goroutines other than the test runtime's own to
// end, and returns the stacks of those that do not.
func Leaked(d time.Duration) string {
	deadline := time.Now().Add(d)
	for {
		var leaked []string
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		for _, g := range strings.Split(string(buf), "\n\n") {
			// Only goroutines this module or net/http started can leak
			// here; the one running this check is not one.
			mine := strings.Contains(g, "github.com/wskit/websocket") || strings.Contains(g, "net/http.")
			if !mine || strings.Contains(g, "leakcheck.Leaked") {
				continue
			}
			leaked = append(leaked, g)
		}
		if len(leaked) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return strings.Join(leaked, "\n\n")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
