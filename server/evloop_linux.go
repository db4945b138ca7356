//go:build linux

package server

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/loop"
	"github.com/wskit/websocket/wire"
)

// evDriver is the event-loop mode of a Server: one loop.Server whose
// callbacks find each connection's route through its value, a peer.
type evDriver struct {
	s  *Server
	ls *loop.Server

	mu    sync.Mutex
	peers map[*loop.Conn]*peer

	in, bytesIn atomic.Uint64 // messages received by ended and live connections
}

// peer is a connection the loop serves, in the registry.
type peer struct {
	ev         *Events
	path       string
	start      time.Time
	limited    bool        // it holds a MaxConns slot
	opened     atomic.Bool // OnOpen ran: it is in the registry
	closedHere atomic.Bool // the server started the close handshake
}

func newEvDriver(s *Server) (*evDriver, error) {
	d := &evDriver{s: s, peers: make(map[*loop.Conn]*peer)}
	eo, ao := s.opts.EventLoop, &s.opts.AcceptOptions
	o := &loop.Options{
		Loops:          eo.Loops,
		Workers:        eo.Workers,
		Inline:         eo.Inline,
		MaxQueue:       eo.MaxQueue,
		MaxMessageSize: ao.MaxMessageSize,
		PingInterval:   ao.PingInterval,
		PongTimeout:    ao.PongTimeout,
		CloseTimeout:   ao.CloseTimeout,
	}
	switch {
	case o.PingInterval == 0:
		o.PingInterval = websocket.DefaultServerPingInterval
	case o.PingInterval < 0:
		o.PingInterval = 0
	}
	if s.opts.OnQueueFull == DropMessage {
		o.SlowConsumer = loop.DropMessage
	}
	if c := ao.Compression; c != nil {
		o.Level, o.Threshold = c.Level, c.Threshold
	}
	ls, err := loop.New(d.events(), o)
	if err != nil {
		return nil, err
	}
	d.ls = ls
	return d, nil
}

// serve judges r, taken by rt with opts, and hands its connection to the
// loop; it answers a refused handshake itself. It owns the server's
// admission of r (s.leave) and its MaxConns slot when limited.
func (d *evDriver) serve(w http.ResponseWriter, r *http.Request, rt *route, opts *websocket.AcceptOptions, limited bool) {
	s := d.s
	dec, err := websocket.Decide(w, r, opts)
	if err != nil {
		s.refused(r, err)
		d.release(limited)
		return
	}
	p := &peer{ev: rt.Events, path: r.URL.Path, start: time.Now(), limited: limited}
	a := &loop.Accepted{Key: dec.Key, Protocol: dec.Subprotocol, Header: dec.Header,
		Extensions: dec.Extensions, Deflate: dec.Deflate, Value: p}
	if err := d.ls.UpgradeAccepted(w, r, a); err != nil {
		// The connection was hijacked or never could be: nothing to answer.
		s.countRefusal(r, http.StatusInternalServerError, RefusedError, err.Error())
		d.release(limited)
	}
}

// release gives back what an admitted handshake held, once its connection
// is done with or was never opened.
func (d *evDriver) release(limited bool) {
	if limited {
		d.s.slots.Add(-1)
	}
	d.s.leave()
	if d.s.ended != nil {
		d.s.ended()
	}
}

func peerOf(c *loop.Conn) *peer { p, _ := c.Value().(*peer); return p }

// events are the loop's callbacks: each finds its connection's route.
func (d *evDriver) events() *loop.Events {
	return &loop.Events{
		OnOpen: func(c *loop.Conn, r *http.Request) {
			p := peerOf(c)
			if !d.register(c, p) {
				c.Close(websocket.StatusGoingAway, "server shutting down")
				return
			}
			d.s.logOpenAddr(c.RemoteAddr().String(), r.URL.Path, c.Subprotocol(), r)
			if p.ev.OnOpen != nil {
				p.ev.OnOpen(c, r)
			}
		},
		OnText: func(c *loop.Conn, text string) {
			d.in.Add(1)
			d.bytesIn.Add(uint64(len(text)))
			if f := peerOf(c).ev.OnText; f != nil {
				f(c, text)
			}
		},
		OnBinary: func(c *loop.Conn, data []byte) {
			d.in.Add(1)
			d.bytesIn.Add(uint64(len(data)))
			if f := peerOf(c).ev.OnBinary; f != nil {
				f(c, data)
			}
		},
		OnPing: func(c *loop.Conn, payload []byte) {
			if f := peerOf(c).ev.OnPing; f != nil {
				f(c, payload)
			}
		},
		OnPong: func(c *loop.Conn, payload []byte) {
			if f := peerOf(c).ev.OnPong; f != nil {
				f(c, payload)
			}
		},
		OnError: func(c *loop.Conn, err error) {
			if f := peerOf(c).ev.OnError; f != nil {
				f(c, err)
			}
		},
		OnClose: func(c *loop.Conn, code wire.StatusCode, reason string) {
			p := peerOf(c)
			if f := p.ev.OnClose; f != nil {
				f(c, code, reason)
			}
			d.unregister(c, p, code, reason)
		},
	}
}

// register adds c to the registry, unless the server is shutting down.
func (d *evDriver) register(c *loop.Conn, p *peer) bool {
	d.s.mu.Lock()
	shutting := d.s.shutting.Load()
	d.s.mu.Unlock()
	if shutting {
		return false
	}
	d.mu.Lock()
	d.peers[c] = p
	d.mu.Unlock()
	p.opened.Store(true)
	d.s.counters.accepted()
	return true
}

// unregister takes an ended connection out of the registry and counts how
// it ended.
func (d *evDriver) unregister(c *loop.Conn, p *peer, code wire.StatusCode, reason string) {
	if p.opened.Load() {
		d.mu.Lock()
		delete(d.peers, c)
		d.mu.Unlock()
		s := d.s
		s.counters.mu.Lock()
		if code != 0 {
			s.counters.codes[code]++
		}
		s.counters.mu.Unlock()
		s.logClosedLoop(c.RemoteAddr().String(), p.path, p.start, code, reason)
	}
	d.release(p.limited)
}

func (d *evDriver) snapshot() []*loop.Conn {
	d.mu.Lock()
	defer d.mu.Unlock()
	list := make([]*loop.Conn, 0, len(d.peers))
	for c := range d.peers {
		list = append(list, c)
	}
	return list
}

func (d *evDriver) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.peers)
}

// closeAll starts the close handshake of every connection of the loop.
func (d *evDriver) closeAll(code websocket.StatusCode, reason string) {
	d.mu.Lock()
	for c, p := range d.peers {
		p.closedHere.Store(true)
		c.Close(code, reason)
	}
	d.mu.Unlock()
}

// shutdown stops the loop, waiting for its connections' close handshakes
// and callbacks within ctx; no goroutine of it is left.
func (d *evDriver) shutdown(ctx context.Context) error { return d.ls.Shutdown(ctx) }

// broadcast writes pm to every connection of the loop. A write never
// waits: what a socket does not take is queued, within MaxQueue.
func (d *evDriver) broadcast(pm *websocket.PreparedMessage) BroadcastResult {
	var res BroadcastResult
	typ, data := pm.Message()
	op := wire.OpBinary
	if typ == websocket.MessageText {
		op = wire.OpText
	}
	for _, c := range d.snapshot() {
		switch err := c.WriteMessage(op, data); err {
		case nil:
			res.Queued++
		case loop.ErrQueueFull:
			if d.s.opts.OnQueueFull == DropMessage {
				res.Dropped++
			} else {
				res.Closed++ // the loop closes it with 1008
			}
		default:
			res.Skipped++
		}
	}
	return res
}

// stats adds the loop's connections to st.
func (d *evDriver) stats(st *Stats) {
	st.Open += d.count()
	st.MessagesIn += d.in.Load()
	st.BytesIn += d.bytesIn.Load()
}
