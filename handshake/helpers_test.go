package handshake_test

import (
	"strings"
	"testing"
)

// checkErrorText fails t unless err's text starts with prefix and contains
// every string in want: errors must say what was wrong, with the offending
// text.
func checkErrorText(t *testing.T, err error, prefix string, want ...string) {
	t.Helper()
	msg := err.Error()
	if !strings.HasPrefix(msg, prefix) {
		t.Errorf("error %q does not start with %q", msg, prefix)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not contain %q", msg, w)
		}
	}
}
