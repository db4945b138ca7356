// Package server is a WebSocket server toolkit on top of package websocket:
// a Server is an http.Handler that routes handshakes by path and
// subprotocol pattern to handlers, lets hooks judge them, keeps a registry
// of live connections (find by host, port or values; count), broadcasts
// messages encoded once through bounded per-connection queues, shuts down
// gracefully with 1001, logs through log/slog and keeps counters.
//
// Channels (Subscribe, Publish) reach the subscribers on every node of a
// cluster through a Broker, in order per channel, and let a reconnecting
// client resume from the epoch and offset of the last message it saw.
//
// A Server mounts in any Go HTTP server or router:
//
//	srv := server.New(&server.Options{Logger: slog.Default()})
//	srv.Handle("/chat", server.HandlerFunc(chat))
//	http.Handle("/chat", srv)
//
// Connections are hijacked from net/http, so http.Server.Shutdown does not
// see them: call the Server's Shutdown as well.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/handshake"
)

// Options configures a Server. The zero value (or nil) gives the defaults.
type Options struct {
	// AcceptOptions are applied to every handshake: per-connection limits,
	// keepalive (on by default for servers: a ping every 30 s),
	// compression, the origin policy and extra response headers. Its
	// OnUpgrade hook runs for every route, before the route's own.
	// Subprotocols is the order of preference for routes that name no
	// subprotocol pattern.
	websocket.AcceptOptions

	// MaxConns limits the connections open at once; a handshake beyond it
	// is answered 503 Service Unavailable. 0 means no limit.
	MaxConns int

	// SendQueue is how many broadcast messages may wait for one
	// connection; 0 means DefaultSendQueue. When a connection's queue is
	// full, OnQueueFull decides.
	SendQueue int

	// OnQueueFull is what happens to a connection too slow to take the
	// broadcasts sent to it: CloseSlow (the default) or DropMessage.
	OnQueueFull QueuePolicy

	// SlowCloseCode is the close code for a connection closed by
	// CloseSlow; 0 means 1008 (policy violation). 1013 (try again later)
	// is the other usual choice.
	SlowCloseCode websocket.StatusCode

	// MemoryBudget bounds the bytes the server holds for all its
	// connections at once: the buffers of messages being read whole (Read
	// and AppendRead; Reader holds none) and the broadcasts waiting in send
	// queues (a broadcast counts twice its length, its bytes and its
	// frame, once however many queues hold it). 0 means
	// DefaultMemoryBudget and a negative value means no budget; it
	// replaces AcceptOptions.Budget.
	//
	// Past it the server refuses, rather than waits: a connection whose
	// read would grow past it is failed with 1013 (try again later, RFC
	// 6455 §7.4.1), and a broadcast that would is dropped for every
	// connection (BroadcastResult.Dropped). Waiting instead (not reading
	// from such connections) would deadlock once every connection held
	// part of a message. Stats reports the bytes held, their peak and the
	// refusals.
	MemoryBudget int64

	// Logger gets the server's records: debug for every frame, info for
	// each connection opened and closed (with its close code and
	// duration), warn for refused handshakes and protocol errors. nil
	// means no logging.
	Logger *slog.Logger

	// ChannelOptions configure Subscribe and Publish: the broker that
	// carries channel messages between nodes and their wire form.
	ChannelOptions

	// EventLoop, when set, serves the plain HTTP/1.1 connections of the
	// routes with Events on an event loop; see EventLoopOptions.
	EventLoop *EventLoopOptions
}

// DefaultSendQueue is the default bound on broadcast messages waiting for
// one connection.
const DefaultSendQueue = 256

// Server is a WebSocket server: an http.Handler for the routes added with
// Handle and HandleRoute, and the registry of their live connections. Its
// methods are safe for concurrent use.
type Server struct {
	opts      Options
	log       *slog.Logger
	routes    atomic.Pointer[routeTable]
	routeMu   sync.Mutex // serialises route changes
	routeSeq  int
	ctx       context.Context // for handlers; cancelled when shutdown gives up
	cancel    context.CancelFunc
	slots     atomic.Int64 // connections open or being opened, for MaxConns
	shutting  atomic.Bool
	counters  counters
	mu        sync.Mutex
	clients   map[Conn]*client
	active    int           // ServeHTTP calls past the shutdown check
	drained   chan struct{} // closed when active drops to 0 during shutdown
	closeCode websocket.StatusCode
	budget    budget
	ev        *evDriver      // event-loop mode, or nil
	https     []*http.Server // those Serve runs, closed by Shutdown
	ended     func()         // for tests: called when a connection is done with (export_test.go)

	brokerOnce sync.Once // channels are set up at first use
	brokerImpl Broker
	encode     func(Message) (*websocket.PreparedMessage, error)
	chans      channels
}

// New returns a Server with no routes.
func New(opts *Options) *Server {
	s := &Server{clients: make(map[Conn]*client)}
	if opts != nil {
		s.opts = *opts
	}
	if s.opts.SendQueue <= 0 {
		s.opts.SendQueue = DefaultSendQueue
	}
	s.budget.limit = s.opts.MemoryBudget
	if s.budget.limit == 0 {
		s.budget.limit = DefaultMemoryBudget
	}
	s.opts.AcceptOptions.Budget = &s.budget
	s.closeCode = s.opts.SlowCloseCode
	if s.closeCode == 0 {
		s.closeCode = websocket.StatusPolicyViolation
	}
	s.log = s.opts.Logger
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	// Connections get the logger only when it wants frame records.
	if s.log.Enabled(context.Background(), slog.LevelDebug) {
		s.opts.AcceptOptions.Logger = s.log
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.routes.Store(&routeTable{})
	s.counters.init()
	if s.opts.EventLoop != nil {
		ev, err := newEvDriver(s)
		if err != nil {
			s.log.LogAttrs(context.Background(), slog.LevelError, "websocket event loop not started; every connection is served by a goroutine",
				slog.String("error", err.Error()))
		} else {
			s.ev = ev
		}
	}
	return s
}

// Handle routes handshakes for path pattern p, with any subprotocol, to h.
// It panics on an invalid pattern or a route added twice, like
// http.ServeMux.
func (s *Server) Handle(p string, h Handler) { s.HandleRoute(Route{Path: p, Handler: h}) }

// HandleRoute adds r. It panics on an invalid pattern or a route added
// twice.
func (s *Server) HandleRoute(r Route) {
	s.routeMu.Lock()
	defer s.routeMu.Unlock()
	rt, err := compileRoute(r, s.routeSeq)
	if err != nil {
		panic(err)
	}
	rt.onUpgrade = chainHooks(s.opts.OnUpgrade, r.OnUpgrade)
	if !strings.ContainsAny(r.Subprotocol, `*?[\`) {
		// The subprotocol selected is then always r.Subprotocol.
		o := s.acceptOptions(rt, r.Subprotocol)
		rt.accept = &o
	}
	t, err := s.routes.Load().add(rt)
	if err != nil {
		panic(err)
	}
	s.routeSeq++
	s.routes.Store(&t)
}

// Why handshakes are refused, as counted in Stats.Refused.
const (
	RefusedNoRoute      = "no_route"      // 404: no route for the path and subprotocols
	RefusedBadHandshake = "bad_handshake" // 400, 405 or 426: not a valid opening handshake
	RefusedOrigin       = "origin"        // 403: the origin policy
	RefusedHook         = "hook"          // an OnUpgrade hook
	RefusedMaxConns     = "max_conns"     // 503: MaxConns reached
	RefusedShutdown     = "shutdown"      // 503: the server is shutting down
	RefusedError        = "error"         // 500: the connection could not be taken over
)

// ServeHTTP routes the request, applies the limits and hooks, and runs the
// route's handler on the accepted connection.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt, opts, limited, ok := s.admit(w, r)
	if !ok {
		return
	}
	handed := false
	defer func() {
		if !handed {
			s.release(limited)
		}
	}()
	if s.ev != nil && rt.Events != nil && r.TLS == nil && r.ProtoMajor == 1 {
		handed = true // the driver gives the admission and the slot back
		s.ev.serve(w, r, rt, opts, limited)
		return
	}
	conn, err := websocket.Accept(w, r, opts)
	if err != nil {
		s.refused(r, err)
		return
	}
	cl := s.register(conn, r)
	if cl == nil {
		conn.Close(websocket.StatusGoingAway, "")
		return
	}
	if rt.Events != nil {
		conn.SetValue(requestKey{}, r) // for OnOpen
	}
	s.logOpen(cl, r)
	// The handler runs on a goroutine of its own, so that net/http's,
	// with the deep stack it grew serving the request, ends now: an idle
	// connection then holds a small stack.
	handed = true
	go s.serve(cl, rt.Handler, conn, limited)
	if r.ProtoMajor >= 2 {
		// An HTTP/2 WebSocket (RFC 8441) is the request's stream, which
		// ends when this handler returns.
		<-conn.Done()
	}
}

// serve runs the handler of a connection, on the connection's goroutine.
// Its frame is kept small, with one defer (for a handler that ends its
// goroutine with runtime.Goexit): the handler's reads and writes wait at
// the bottom of this goroutine's stack, and a chain of calls that fits its
// first 2 KiB saves a stack copy for each connection and 2 KiB of each
// idle one.
func (s *Server) serve(cl *client, h Handler, conn *websocket.Conn, limited bool) {
	defer s.served(limited)
	var err error
	if f, ok := h.(HandlerFunc); ok {
		// Called as it is: HandlerFunc's method would add its frame to
		// every idle connection's stack.
		err = f(s.ctx, conn)
	} else {
		err = h.ServeWebSocket(s.ctx, conn)
	}
	s.finish(cl, err)
}

// admit takes a handshake in: the server is not shutting down, a route
// takes it, and MaxConns has room. It returns the route and the options
// of the handshake and whether it holds a MaxConns slot; the caller gives
// the admission back with release (or served). When it reports false it
// has answered the refusal and holds nothing.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) (rt *route, opts *websocket.AcceptOptions, limited, ok bool) {
	if !s.enter() {
		s.refuse(w, r, http.StatusServiceUnavailable, RefusedShutdown, "server is shutting down")
		return nil, nil, false, false
	}
	offered, _ := handshake.ParseProtocols(r.Header) // malformed: Accept answers 400
	rt, proto := (*s.routes.Load()).match(r.URL.Path, offered)
	if rt == nil {
		s.leave()
		s.refuse(w, r, http.StatusNotFound, RefusedNoRoute, "no WebSocket route for "+r.URL.Path)
		return nil, nil, false, false
	}
	limited = s.opts.MaxConns > 0
	if limited && s.slots.Add(1) > int64(s.opts.MaxConns) {
		s.slots.Add(-1)
		s.leave()
		w.Header().Set("Retry-After", "1")
		s.refuse(w, r, http.StatusServiceUnavailable, RefusedMaxConns, "too many connections")
		return nil, nil, false, false
	}
	opts = rt.accept
	if opts == nil {
		opts = s.matchedOptions(rt, proto)
	}
	return rt, opts, limited, true
}

// release gives back an admission that did not become a connection.
func (s *Server) release(limited bool) {
	if limited {
		s.slots.Add(-1)
	}
	s.leave()
}

// served is what serve does when the handler has returned.
func (s *Server) served(limited bool) {
	s.release(limited)
	if s.ended != nil {
		s.ended()
	}
}

// logOpen logs the opening of cl, accepted from r. The attributes cost
// allocations and stack, so they are made only for a logger that keeps
// them (the default one drops them), and in a frame of their own, which is
// not on the stack while ServeHTTP accepts.
//
//go:noinline
func (s *Server) logOpen(cl *client, r *http.Request) {
	if !s.log.Enabled(r.Context(), slog.LevelInfo) {
		return
	}
	c := cl.key().(interface {
		Conn
		Compressed() bool
	}) // both drivers' connections
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "websocket open",
		slog.String("remote", cl.remote()), slog.String("path", r.URL.Path),
		slog.String("subprotocol", c.Subprotocol()), slog.Bool("compressed", c.Compressed()),
		slog.String("http", r.Proto), slog.Bool("event_loop", cl.direct != nil))
}

// matchedOptions returns the options for a handshake taken by rt, whose
// subprotocol pattern matched proto. They are made apart from ServeHTTP, so
// that their copy is not in its frame (see logOpen).
//
//go:noinline
func (s *Server) matchedOptions(rt *route, proto string) *websocket.AcceptOptions {
	o := s.acceptOptions(rt, proto)
	return &o
}

// acceptOptions returns the options for a handshake taken by rt, which
// selected proto.
func (s *Server) acceptOptions(rt *route, proto string) websocket.AcceptOptions {
	o := s.opts.AcceptOptions
	if rt.Subprotocol != "" {
		o.Subprotocols = []string{proto}
	}
	o.OnUpgrade = rt.onUpgrade
	return o
}

// chainHooks returns a hook that runs first, then second, either of which
// may be nil.
func chainHooks(first, second func(*websocket.Upgrade) error) func(*websocket.Upgrade) error {
	switch {
	case first == nil:
		return second
	case second == nil:
		return first
	}
	return func(u *websocket.Upgrade) error {
		if err := first(u); err != nil {
			return err
		}
		return second(u)
	}
}

// finish ends a connection whose handler returned herr: closes it if the
// handler left it open, waits for its broadcasts to stop, takes it out of
// the registry and records how it ended.
func (s *Server) finish(cl *client, herr error) {
	c := cl.conn
	if c.Err() == nil {
		code := websocket.StatusNormalClosure
		if herr != nil {
			code = websocket.StatusInternalError
		}
		cl.closedHere.Store(true)
		c.Close(code, "")
	}
	c.CloseNow()
	s.leaveChannels(cl)
	cl.stop()
	s.unregister(cl)

	var ce *websocket.CloseError
	errors.As(c.Err(), &ce)
	s.logClosed(cl, ce, herr)
}

// logClosed logs how cl ended: ce is its close error, if any, and herr
// what its handler returned. The attributes cost allocations, so they are
// built only for a logger that keeps them; the default one drops them.
func (s *Server) logClosed(cl *client, ce *websocket.CloseError, herr error) {
	ctx := context.Background()
	if s.log.Enabled(ctx, slog.LevelInfo) {
		attrs := []slog.Attr{
			slog.String("remote", cl.remote()), slog.String("path", cl.path),
			slog.Duration("duration", time.Since(cl.start)),
		}
		if ce != nil {
			// A close frame that answers the server's own is not the
			// peer's choice: by_peer tells who started the close handshake.
			byPeer := ce.Remote && !cl.closedHere.Load()
			attrs = append(attrs, slog.Int("code", int(ce.Code)), slog.String("reason", ce.Reason), slog.Bool("by_peer", byPeer))
		}
		if herr != nil && !errors.Is(herr, websocket.ErrClosed) {
			attrs = append(attrs, slog.String("handler_error", herr.Error()))
		}
		s.log.LogAttrs(ctx, slog.LevelInfo, "websocket closed", attrs...)
	}
	if ce != nil && !ce.Remote && ce.Code != websocket.StatusAbnormalClosure && ce.Err != nil && s.log.Enabled(ctx, slog.LevelWarn) {
		s.log.LogAttrs(ctx, slog.LevelWarn, "websocket protocol error",
			slog.String("remote", cl.remote()), slog.String("path", cl.path),
			slog.Int("code", int(ce.Code)), slog.String("error", ce.Err.Error()))
	}
}

// logClosedLoop logs how cl, a connection of the event loop, ended, as
// logClosed does for the others.
func (s *Server) logClosedLoop(cl *client, code websocket.StatusCode, reason string) {
	ce := &websocket.CloseError{Code: code, Reason: reason, Remote: cl.lerr == nil, Err: cl.lerr}
	s.logClosed(cl, ce, nil)
}

// refuse answers a handshake the server itself turns away.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, reason, message string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write([]byte(message + "\n"))
	s.countRefusal(r, status, reason, message)
}

// refused records a handshake that Accept refused with err.
func (s *Server) refused(r *http.Request, err error) {
	status, reason := http.StatusInternalServerError, RefusedError
	var re *handshake.RequestError
	var rf *websocket.Refusal
	switch {
	case errors.As(err, &re):
		status, reason = re.Status, RefusedBadHandshake
	case errors.Is(err, websocket.ErrOriginNotAllowed):
		status, reason = http.StatusForbidden, RefusedOrigin
	case errors.As(err, &rf):
		status, reason = rf.Status, RefusedHook
	}
	s.countRefusal(r, status, reason, err.Error())
}

func (s *Server) countRefusal(r *http.Request, status int, reason, detail string) {
	s.counters.refused(reason)
	s.log.LogAttrs(r.Context(), slog.LevelWarn, "websocket handshake refused",
		slog.String("remote", r.RemoteAddr), slog.String("path", r.URL.Path),
		slog.Int("status", status), slog.String("reason", reason), slog.String("detail", detail))
}

// enter admits a ServeHTTP call unless the server is shutting down.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutting.Load() {
		return false
	}
	s.active++
	return true
}

func (s *Server) leave() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.active--
	if s.active == 0 && s.drained != nil {
		close(s.drained)
		s.drained = nil
	}
}

// Shutdown stops accepting handshakes (they get 503), sends every open
// connection a close frame with 1001 (going away), and waits until every
// handler has returned and every close handshake is over, or ctx ends. When
// ctx ends first, the remaining connections are dropped, the handlers'
// context is cancelled, and ctx.Err() is returned. The Server accepts
// nothing afterwards.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shutting.Store(true)
	for _, hs := range s.https {
		hs.Close() // its listener, and handshakes not yet upgraded
	}
	var drained chan struct{}
	if s.active > 0 {
		if s.drained == nil {
			s.drained = make(chan struct{})
		}
		drained = s.drained
	}
	s.mu.Unlock()
	var closers sync.WaitGroup
	for _, cl := range s.snapshot() {
		if cl.direct != nil { // the event loop's: Close never waits
			cl.closedHere.Store(true)
			cl.direct.Close(websocket.StatusGoingAway, "server shutting down")
			continue
		}
		closers.Go(func() {
			if cl.conn.Err() == nil {
				cl.closedHere.Store(true)
			}
			cl.conn.Close(websocket.StatusGoingAway, "server shutting down")
		})
	}
	defer closers.Wait()
	if s.ev != nil {
		// The loop waits for its close handshakes and callbacks within
		// ctx, then stops its loops and workers.
		defer s.ev.shutdown(ctx)
	}
	if drained == nil {
		return nil
	}
	select {
	case <-drained:
		return nil
	case <-ctx.Done():
	}
	s.cancel()
	for _, cl := range s.snapshot() {
		if cl.conn != nil {
			cl.conn.CloseNow()
		}
	}
	return ctx.Err()
}

// hostPort splits a remote address into host and port.
func hostPort(a net.Addr) (string, string) {
	if a == nil {
		return "", ""
	}
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.String(), strconv.Itoa(t.Port)
	}
	h, p, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String(), ""
	}
	return h, p
}
