package handshake_test

import (
	"net/http"
	"strings"
	"testing"
)

// header builds an http.Header from name, value pairs, one line per pair, so
// that repeated names give several lines.
func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// headerLines builds an http.Header with one line of the header name per
// value.
func headerLines(name string, values ...string) http.Header {
	h := http.Header{}
	for _, v := range values {
		h.Add(name, v)
	}
	return h
}

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
