//go:build linux

package server

import (
	"cmp"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/loop"
	"github.com/wskit/websocket/wire"
)

// evDriver is the event-loop mode of a Server: one loop.Server whose
// callbacks find each connection's route through its value, the
// connection's client in the registry.
type evDriver struct {
	s  *Server
	ls *loop.Server
}

func newEvDriver(s *Server) (*evDriver, error) {
	d := &evDriver{s: s}
	eo, ao := s.opts.EventLoop, &s.opts.AcceptOptions
	o := &loop.Options{
		Loops:            eo.Loops,
		Workers:          eo.Workers,
		Inline:           eo.Inline,
		MaxQueue:         eo.MaxQueue,
		ReuseMessages:    eo.ReuseMessages,
		MaxMessageSize:   ao.MaxMessageSize,
		PingInterval:     ao.PingInterval,
		PongTimeout:      ao.PongTimeout,
		CloseTimeout:     ao.CloseTimeout,
		Judge:            d.judge,
		HandshakeTimeout: cmp.Or(eo.HandshakeTimeout, HandshakeTimeout),
		MaxHeaderBytes:   MaxHandshakeBytes,
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
// admission of r and its MaxConns slot when limited.
func (d *evDriver) serve(w http.ResponseWriter, r *http.Request, rt *route, opts *websocket.AcceptOptions, limited bool) {
	a := d.decide(w, r, rt, opts, limited)
	if a == nil {
		return
	}
	if err := d.ls.UpgradeAccepted(w, r, a); err != nil {
		// The connection was hijacked or never could be: nothing to answer.
		d.s.countRefusal(r, http.StatusInternalServerError, RefusedError, err.Error())
		d.s.release(limited)
	}
}

// judge is the loop's Options.Judge, for the handshakes it reads itself
// (Server.Serve): the admission, the routes and the hooks, as ServeHTTP
// applies them, with the refusals written to w.
func (d *evDriver) judge(w http.ResponseWriter, r *http.Request) *loop.Accepted {
	s := d.s
	rt, opts, limited, ok := s.admit(w, r)
	if !ok {
		return nil
	}
	if rt.Events == nil {
		s.release(limited)
		s.refuse(w, r, http.StatusInternalServerError, RefusedError, "route "+rt.Path+" has a Handler: serve it with ServeHTTP")
		return nil
	}
	return d.decide(w, r, rt, opts, limited)
}

// decide judges r with websocket.Decide and returns the loop's answer
// with the connection's registry record as its value, or nil when it
// refused r (and gave the admission back).
func (d *evDriver) decide(w http.ResponseWriter, r *http.Request, rt *route, opts *websocket.AcceptOptions, limited bool) *loop.Accepted {
	s := d.s
	dec, err := websocket.Decide(w, r, opts)
	if err != nil {
		s.refused(r, err)
		s.release(limited)
		return nil
	}
	// The path is copied: as net/http parsed it, it shares the memory of
	// the whole request line.
	cl := &client{ev: rt.Events, path: strings.Clone(r.URL.Path), start: time.Now(), limited: limited, values: dec.Options.Values}
	a := &loop.Accepted{Key: dec.Key, Protocol: dec.Subprotocol, Header: dec.Header,
		Extensions: dec.Extensions, Deflate: dec.Deflate, Value: cl}
	if iv := dec.Options.PingInterval; iv != s.opts.PingInterval {
		a.PingInterval = iv // a hook changed it (websocket.Upgrade.PingInterval)
		if iv == 0 {
			a.PingInterval = websocket.DefaultServerPingInterval
		}
	}
	return a
}

// serveLoop has the loops accept connections from ln and read their
// handshakes themselves.
func (d *evDriver) serveLoop(ln net.Listener) error {
	err := d.ls.Serve(ln)
	if errors.Is(err, loop.ErrServerClosed) {
		err = http.ErrServerClosed
	}
	return err
}

func clientOf(c *loop.Conn) *client { cl, _ := c.Value().(*client); return cl }

// events are the loop's callbacks: each finds its connection's route.
func (d *evDriver) events() *loop.Events {
	return &loop.Events{
		OnOpen: func(c *loop.Conn, r *http.Request) {
			cl := clientOf(c)
			cl.direct = c // before the registry holds it; only this callback writes it
			if !d.s.registerDirect(cl) {
				c.Close(websocket.StatusGoingAway, "server shutting down")
				return
			}
			d.s.logOpen(cl, r)
			if cl.ev.OnOpen != nil {
				cl.ev.OnOpen(c, r)
			}
		},
		OnText: func(c *loop.Conn, text string) {
			if f := clientOf(c).ev.OnText; f != nil {
				f(c, text)
			}
		},
		OnBinary: func(c *loop.Conn, data []byte) {
			if f := clientOf(c).ev.OnBinary; f != nil {
				f(c, data)
			}
		},
		OnPing: func(c *loop.Conn, payload []byte) {
			if f := clientOf(c).ev.OnPing; f != nil {
				f(c, payload)
			}
		},
		OnPong: func(c *loop.Conn, payload []byte) {
			if f := clientOf(c).ev.OnPong; f != nil {
				f(c, payload)
			}
		},
		OnError: func(c *loop.Conn, err error) {
			cl := clientOf(c)
			cl.lerr = err // the callbacks of one connection run one at a time
			if f := cl.ev.OnError; f != nil {
				f(c, err)
			}
		},
		OnClose: func(c *loop.Conn, code wire.StatusCode, reason string) {
			cl := clientOf(c)
			if c.ClosedHere() {
				cl.closedHere.Store(true)
			}
			if f := cl.ev.OnClose; f != nil {
				f(c, code, reason)
			}
			d.ended(cl, code, reason)
		},
	}
}

// ended takes a connection of the loop out of the registry and its
// channels, counts how it ended and gives back what its admission held.
func (d *evDriver) ended(cl *client, code wire.StatusCode, reason string) {
	s := d.s
	if cl.opened.Load() {
		s.leaveChannels(cl)
		s.unregister(cl)
		if code != 0 {
			s.counters.mu.Lock()
			s.counters.codes[code]++
			s.counters.mu.Unlock()
		}
		s.logClosedLoop(cl, code, reason)
	}
	s.served(cl.limited)
}

// shutdown stops the loop, waiting for its connections' close handshakes
// and callbacks within ctx; no goroutine of it is left.
func (d *evDriver) shutdown(ctx context.Context) error { return d.ls.Shutdown(ctx) }

// sendNow writes pm to c, a connection of the loop, at once: the write
// never waits, and what the socket does not take is queued within
// MaxQueue, past which OnQueueFull decides.
func (d *evDriver) sendNow(c Conn, pm *websocket.PreparedMessage) enqueueResult {
	typ, data := pm.Message()
	op := wire.OpBinary
	if typ == websocket.MessageText {
		op = wire.OpText
	}
	switch err := c.(*loop.Conn).WriteMessage(op, data); err {
	case nil:
		return queued
	case loop.ErrQueueFull:
		if d.s.opts.OnQueueFull == DropMessage {
			return dropped
		}
		return closedSlow // the loop closes it with 1008
	}
	return skipped
}

// stats adds the loop's message counts to st.
func (d *evDriver) stats(st *Stats) {
	ls := d.ls.Stats()
	st.MessagesIn += ls.MessagesIn
	st.BytesIn += ls.BytesIn
	st.MessagesOut += ls.MessagesOut
	st.BytesOut += ls.BytesOut
}
