// Package xconnect turns on HTTP/2 extended CONNECT (RFC 8441) in the
// HTTP/2 servers of net/http and golang.org/x/net/http2, so that they
// advertise SETTINGS_ENABLE_CONNECT_PROTOCOL and browsers open WebSockets
// over HTTP/2. Import it for its side effect, in the main package:
//
//	import _ "github.com/wskit/websocket/xconnect"
//
// Go 1.26's HTTP/2 code reads GODEBUG=http2xconnect=1 once, when net/http
// is initialised, and has no per-server switch. A //go:debug line or a
// go.mod godebug directive does not reach it (it reads the environment,
// not the runtime's GODEBUG defaults), and os.Setenv in main comes too
// late. This package imports neither net/http nor anything that does, and
// its import path sorts before "net/http" and "golang.org/x/net/http2", so
// the Go specification's initialisation order (packages by import path,
// each after its imports) runs its init first; it adds http2xconnect=1 to
// GODEBUG unless GODEBUG already sets http2xconnect.
//
// The setting applies to every HTTP/2 server in the process. A client is
// not affected: it uses extended CONNECT whenever the server allows it.
package xconnect

import (
	"os"
	"strings"
)

// Enabled reports whether GODEBUG holds http2xconnect=1, the test net/http
// makes.
func Enabled() bool { return strings.Contains(os.Getenv("GODEBUG"), "http2xconnect=1") }

func init() {
	g := os.Getenv("GODEBUG")
	if strings.Contains(g, "http2xconnect=") {
		return
	}
	if g != "" {
		g += ","
	}
	os.Setenv("GODEBUG", g+"http2xconnect=1")
}
