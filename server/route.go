package server

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/wskit/websocket"
)

// Handler serves one WebSocket connection. The connection is open when
// ServeWebSocket is called; when it returns, the server closes the
// connection if it is still open: with 1000 when it returned nil, with 1011
// (internal error) otherwise. ctx ends when the server is shut down and its
// deadline has passed.
type Handler interface {
	ServeWebSocket(ctx context.Context, c *websocket.Conn) error
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(ctx context.Context, c *websocket.Conn) error

// ServeWebSocket calls f(ctx, c).
func (f HandlerFunc) ServeWebSocket(ctx context.Context, c *websocket.Conn) error { return f(ctx, c) }

// Route sends the connections whose request path matches Path, and which
// offer a subprotocol that matches Subprotocol, to Handler.
//
// Path is one of:
//   - an exact path, "/chat";
//   - a prefix, ending in "/": "/rooms/" matches "/rooms/" and every path
//     below it, as in net/http.ServeMux;
//   - a glob, with *, ? or [...] as in path.Match: "/rooms/*" matches
//     "/rooms/lobby" but not "/rooms/a/b".
//
// When several routes match, an exact path wins over a glob and a glob over
// a prefix; among globs or prefixes the longer pattern wins, then a route
// with a Subprotocol over one without, then the one added first.
//
// Subprotocol is a path.Match pattern on the subprotocols the client
// offers, such as "chat.v2" or "chat.*": the route matches only a request
// that offers one that matches, and the first such in the client's order is
// selected. An empty Subprotocol matches every request and selects from
// the server's Subprotocols option, if any.
//
// A route is served by Handler, a function that reads and writes its
// connection on a goroutine of its own, or by Events, callbacks that
// either driver can run: only those of a route with Events are served by
// the event loop when Options.EventLoop is set. A route has one of the two.
type Route struct {
	Path        string
	Subprotocol string
	Handler     Handler
	Events      *Events

	// OnUpgrade, when set, judges the handshakes of this route after the
	// server's own OnUpgrade has accepted them; see websocket.Upgrade.
	OnUpgrade func(*websocket.Upgrade) error
}

type pathKind int

// In order of precedence.
const (
	pathExact pathKind = iota
	pathGlob
	pathPrefix
)

type route struct {
	Route
	kind      pathKind
	order     int
	onUpgrade func(*websocket.Upgrade) error // the server's hook, then the route's

	// accept is the options of every handshake the route takes, made once
	// when its subprotocol, if any, is a name rather than a pattern; nil
	// when each handshake's subprotocol must be filled in.
	accept *websocket.AcceptOptions
}

func compileRoute(r Route, order int) (*route, error) {
	if !strings.HasPrefix(r.Path, "/") {
		return nil, fmt.Errorf("server: route path %q does not start with /", r.Path)
	}
	switch {
	case r.Handler == nil && r.Events == nil:
		return nil, fmt.Errorf("server: route %q has no handler", r.Path)
	case r.Handler != nil && r.Events != nil:
		return nil, fmt.Errorf("server: route %q has both a Handler and Events", r.Path)
	case r.Events != nil:
		r.Handler = eventsHandler{r.Events}
	}
	rt := &route{Route: r, order: order}
	switch {
	case strings.ContainsAny(r.Path, "*?["):
		rt.kind = pathGlob
		if _, err := path.Match(r.Path, ""); err != nil {
			return nil, fmt.Errorf("server: route path %q: %w", r.Path, err)
		}
	case strings.HasSuffix(r.Path, "/"):
		rt.kind = pathPrefix
	default:
		rt.kind = pathExact
	}
	if _, err := path.Match(r.Subprotocol, ""); err != nil {
		return nil, fmt.Errorf("server: route subprotocol %q: %w", r.Subprotocol, err)
	}
	return rt, nil
}

func (r *route) matchPath(p string) bool {
	switch r.kind {
	case pathExact:
		return p == r.Path
	case pathPrefix:
		return strings.HasPrefix(p, r.Path)
	}
	ok, _ := path.Match(r.Path, p)
	return ok
}

// matchProtocol returns the offered subprotocol this route selects, and
// whether the route takes the request at all.
func (r *route) matchProtocol(offered []string) (string, bool) {
	if r.Subprotocol == "" {
		return "", true
	}
	for _, p := range offered {
		if ok, _ := path.Match(r.Subprotocol, p); ok {
			return p, true
		}
	}
	return "", false
}

// before reports whether r takes precedence over o.
func (r *route) before(o *route) bool {
	if r.kind != o.kind {
		return r.kind < o.kind
	}
	if r.kind != pathExact && len(r.Path) != len(o.Path) {
		return len(r.Path) > len(o.Path)
	}
	if (r.Subprotocol != "") != (o.Subprotocol != "") {
		return r.Subprotocol != ""
	}
	return r.order < o.order
}

// routeTable is an immutable list of routes in order of precedence.
type routeTable []*route

func (t routeTable) add(r *route) (routeTable, error) {
	for _, o := range t {
		if o.Path == r.Path && o.Subprotocol == r.Subprotocol {
			return nil, fmt.Errorf("server: route %q %q registered twice", r.Path, r.Subprotocol)
		}
	}
	n := append(slices.Clip(t), r)
	slices.SortStableFunc(n, func(a, b *route) int {
		switch {
		case a.before(b):
			return -1
		case b.before(a):
			return 1
		}
		return 0
	})
	return n, nil
}

// match returns the route that takes a request for p offering the
// subprotocols offered, and the subprotocol it selects.
func (t routeTable) match(p string, offered []string) (*route, string) {
	for _, r := range t {
		if !r.matchPath(p) {
			continue
		}
		if proto, ok := r.matchProtocol(offered); ok {
			return r, proto
		}
	}
	return nil, ""
}
