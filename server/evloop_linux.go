//go:build linux

package server

import (
	"context"
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
		Loops:          eo.Loops,
		Workers:        eo.Workers,
		Inline:         eo.Inline,
		MaxQueue:       eo.MaxQueue,
		ReuseMessages:  eo.ReuseMessages,
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
			d.s.logOpenAddr(cl.remote(), cl.path, c.Subprotocol(), r)
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
	d.release(cl.limited)
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
