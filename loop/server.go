//go:build linux

package loop

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/handshake"
	"github.com/wskit/websocket/wire"
)

// Errors of the package.
var (
	// ErrServerClosed is returned by Serve after Shutdown.
	ErrServerClosed = errors.New("loop: server closed")
	// ErrClosed is returned for a write to a connection that is closing
	// or closed.
	ErrClosed = errors.New("loop: connection closed")
	// ErrQueueFull is returned for a write to a slow consumer (see
	// Options.SlowConsumer).
	ErrQueueFull = errors.New("loop: send queue full")

	// ErrOverBudget is returned for a write that Options.Budget has no
	// room for: the message is not sent and the connection stays open.
	ErrOverBudget = errors.New("loop: memory budget spent: message not sent")

	// ErrLost is the error of a connection that ended without a close
	// frame from the peer.
	ErrLost = errors.New("loop: connection lost")
	// ErrNotTCP is returned by Serve and Adopt for a connection without a
	// descriptor to give to epoll.
	ErrNotTCP = errors.New("loop: not a TCP connection")
)

// Server holds the loops, the worker pool and the connections.
type Server struct {
	o     Options
	ev    Events
	loops []*evloop
	pool  *pool
	base  time.Time
	next  atomic.Uint32
	nconn atomic.Int64

	mu       sync.Mutex
	lns      map[net.Listener]struct{}
	shutting bool
	gone     chan struct{} // closed when nconn drops to 0 while shutting
	loopsWG  sync.WaitGroup
}

// New starts a server's loops and workers; Serve then feeds it
// connections, and Shutdown stops it.
func New(ev *Events, o *Options) (*Server, error) {
	s := &Server{base: time.Now(), lns: map[net.Listener]struct{}{}}
	if o != nil {
		s.o = *o
	}
	if ev != nil {
		s.ev = *ev
	}
	procs := runtime.GOMAXPROCS(0)
	if s.o.Loops <= 0 {
		s.o.Loops = procs
	}
	if s.o.Workers <= 0 {
		s.o.Workers = 4 * procs
	}
	if s.o.MaxQueue <= 0 {
		s.o.MaxQueue = DefaultMaxQueue
	}
	if s.o.SlowCloseCode == 0 {
		s.o.SlowCloseCode = wire.StatusPolicyViolation
	}
	if s.o.HandshakeTimeout <= 0 {
		s.o.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if s.o.MaxHeaderBytes <= 0 {
		s.o.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if s.o.CloseTimeout == 0 {
		s.o.CloseTimeout = DefaultCloseTimeout
	}
	if !s.o.Inline {
		s.pool = newPool(s.o.Workers)
	}
	for range s.o.Loops {
		l, err := newLoop(s)
		if err != nil {
			s.stopLoops()
			return nil, err
		}
		s.loops = append(s.loops, l)
	}
	for _, l := range s.loops {
		s.loopsWG.Go(l.run)
	}
	return s, nil
}

// now is the server's monotonic clock, in nanoseconds.
func (s *Server) now() int64 { return int64(time.Since(s.base)) }

// Count returns the number of connections, in the handshake or open.
func (s *Server) Count() int { return int(s.nconn.Load()) }

// Serve accepts connections from ln until ln is closed or Shutdown runs,
// and hands each to a loop, which reads its opening handshake. It returns
// ErrServerClosed after Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.shutting {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.lns[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.lns, ln)
		s.mu.Unlock()
	}()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			shutting := s.shutting
			s.mu.Unlock()
			if shutting {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay) // back off on EMFILE and the like, as net/http does
				continue
			}
			return err
		}
		delay = 0
		if err := s.Adopt(nc, nil); err != nil {
			nc.Close()
		}
	}
}

// Adopt hands nc, a TCP connection whose opening handshake is still to be
// read, to a loop; buffered are bytes already read from it. nc's
// descriptor is duplicated and nc is closed.
func (s *Server) Adopt(nc net.Conn, buffered []byte) error {
	return s.adopt(nc, nil, buffered)
}

// Upgrade takes over the connection of r, a WebSocket upgrade request that
// net/http read, from a handler: the connection is hijacked, its
// descriptor handed to a loop, which checks r and answers it (101, or the
// error's status). The handler must not use w afterwards.
func (s *Server) Upgrade(w http.ResponseWriter, r *http.Request) error {
	return s.UpgradeAccepted(w, r, nil)
}

// Stats are a Server's message counters, since it started.
type Stats struct {
	MessagesIn, MessagesOut uint64 // whole data messages received and written (queued)
	BytesIn, BytesOut       uint64 // their payload bytes on the wire: after compression, without headers
}

// Stats returns the counters now, the sum of the loops'.
func (s *Server) Stats() Stats {
	var st Stats
	for _, l := range s.loops {
		st.MessagesIn += l.stats.in.Load()
		st.MessagesOut += l.stats.out.Load()
		st.BytesIn += l.stats.bytesIn.Load()
		st.BytesOut += l.stats.bytesOut.Load()
	}
	return st
}

// Accepted is an opening handshake that the caller of UpgradeAccepted
// judged: what the 101 response carries, and the connection's value.
// Package server fills it from websocket.Decide, so that its origin
// policy, hooks and subprotocol patterns apply in event-loop mode.
type Accepted struct {
	Key        string                // the client's Sec-WebSocket-Key
	Protocol   string                // the subprotocol selected, or ""
	Header     http.Header           // extra response headers
	Extensions []handshake.Extension // the extensions agreed
	Deflate    *deflate.Agreement    // permessage-deflate's parameters, when agreed
	Value      any                   // the connection's Value from the start

	// PingInterval, when not 0, replaces Options.PingInterval for this
	// connection; a negative value turns keepalive off.
	PingInterval time.Duration

	// Timeout, when not 0, replaces Events.Timeout for this connection:
	// OnTimeout is called when no message has arrived for it. A negative
	// value means none.
	Timeout time.Duration
}

// UpgradeAccepted is Upgrade for a handshake the caller has judged
// already (checked, origin allowed, subprotocol selected, extensions
// agreed): the loop sends the 101 response a describes, without looking at
// r again, and the connection opens with a.Value as its Value. r is the
// request OnOpen gets. A nil a is Upgrade.
func (s *Server) UpgradeAccepted(w http.ResponseWriter, r *http.Request, a *Accepted) error {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return ErrNotTCP
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return err
	}
	var buffered []byte
	if n := brw.Reader.Buffered(); n > 0 {
		buffered, _ = brw.Reader.Peek(n)
	}
	if err := s.adoptAccepted(nc, r, a, buffered); err != nil {
		nc.Close()
		return err
	}
	return nil
}

func (s *Server) adopt(nc net.Conn, req *http.Request, buffered []byte) error {
	return s.adoptAccepted(nc, req, nil, buffered)
}

func (s *Server) adoptAccepted(nc net.Conn, req *http.Request, acc *Accepted, buffered []byte) error {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return ErrNotTCP
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	fd := -1
	cerr := rc.Control(func(f uintptr) { fd, err = syscall.Dup(int(f)) })
	if cerr != nil {
		return cerr
	}
	if err != nil {
		return err
	}
	var addr netip.AddrPort
	if ta, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		addr = ta.AddrPort()
	}
	nc.Close()
	syscall.CloseOnExec(fd)
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return err
	}
	s.mu.Lock()
	if s.shutting {
		s.mu.Unlock()
		syscall.Close(fd)
		return ErrServerClosed
	}
	s.nconn.Add(1)
	s.mu.Unlock()
	l := s.pick()
	l.add(added{fd: fd, addr: addr, req: req, acc: acc, buffered: append([]byte(nil), buffered...)})
	return nil
}

// pick returns the loop for a new connection: the one with the fewest,
// taken in turn among equals. Round robin alone can leave the busy
// connections on one loop when others end, as two long-lived ones among
// short ones often are, and that loop then has one core for both.
func (s *Server) pick() *evloop {
	n := uint32(len(s.loops))
	first := s.next.Add(1)
	best := s.loops[first%n]
	for i := uint32(1); i < n; i++ {
		if l := s.loops[(first+i)%n]; l.live.Load() < best.live.Load() {
			best = l
		}
	}
	best.live.Add(1)
	return best
}

// ended is called by loop l for each connection it closed.
func (s *Server) ended(l *evloop) {
	l.live.Add(-1)
	if s.nconn.Add(-1) == 0 {
		s.mu.Lock()
		if s.gone != nil {
			select {
			case <-s.gone:
			default:
				close(s.gone)
			}
		}
		s.mu.Unlock()
	}
}

// Shutdown stops accepting, closes every open connection with 1001 (going
// away) and waits for their closing handshakes and handlers to end, or for
// ctx to end, when it drops the connections left and returns ctx.Err().
// It then stops the loops and workers; no goroutine of the server is left.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.shutting {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.shutting = true
	s.gone = make(chan struct{})
	if s.nconn.Load() == 0 {
		close(s.gone)
	}
	for ln := range s.lns {
		ln.Close()
	}
	s.mu.Unlock()
	for _, l := range s.loops {
		l.command(cmdGoingAway)
	}
	var err error
	select {
	case <-s.gone:
	case <-ctx.Done():
		err = ctx.Err()
		for _, l := range s.loops {
			l.command(cmdDrop)
		}
		<-s.gone
	}
	s.stopLoops()
	return err
}

func (s *Server) stopLoops() {
	for _, l := range s.loops {
		l.command(cmdQuit)
	}
	s.loopsWG.Wait()
	if s.pool != nil {
		s.pool.stop()
	}
}
