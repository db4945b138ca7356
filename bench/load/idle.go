package load

import (
	"context"
	"time"
)

// IdleResult is the server's memory for idle connections.
type IdleResult struct {
	Conns        int   `json:"conns"`
	BaseRSS      int64 `json:"base_rss"`      // before any connection, after a forced GC
	HandshakeRSS int64 `json:"handshake_rss"` // with every connection open, after a forced GC
	MessageRSS   int64 `json:"message_rss"`   // after one 16-byte echo on each, after a forced GC

	// Bytes per connection: open only, and after one message.
	PerConnHandshake float64 `json:"per_conn_handshake"`
	PerConnMessage   float64 `json:"per_conn_message"`
}

// Idle opens cfg.Conns connections to the server with PID cfg.ServerPID
// and measures its resident memory after a forced garbage collection:
// with the connections only opened, then again after each has echoed one
// 16-byte message, as a connection that has seen traffic and gone quiet.
func Idle(ctx context.Context, cfg Config) (IdleResult, error) {
	cfg.defaults()
	res := IdleResult{Conns: cfg.Conns}
	rss := func() int64 {
		if cfg.ServerPID == 0 {
			return 0
		}
		ForceGC(cfg.ServerPID)
		s, _ := ReadProc(cfg.ServerPID)
		return s.RSS
	}
	res.BaseRSS = rss()
	// Bounded, with time for the handshakes of 100,000s of connections.
	dctx, cancel := context.WithTimeout(ctx, 120*time.Second+time.Duration(cfg.Conns)*time.Millisecond)
	// An idle connection reads one 16-byte echo: a small buffer each keeps
	// the client's memory in hand at 100,000 connections.
	conns, err := dialAll(dctx, cfg.Addr, cfg.Proto, cfg.Conns, false, 4<<10)
	cancel()
	if err != nil {
		return res, err
	}
	defer CloseAll(conns)
	if cfg.Proto == "tcp" {
		// No handshake tells when the server has taken a connection.
		time.Sleep(500 * time.Millisecond)
	}
	res.HandshakeRSS = rss()
	payload := Payload(16, false)
	frame := payload
	if cfg.Proto != "tcp" {
		frame = ClientFrame(opBinary, false, payload)
	}
	deadline := time.Now().Add(60*time.Second + time.Duration(cfg.Conns)*time.Millisecond)
	if err := each(conns, func(c *Conn) error {
		c.nc.SetDeadline(deadline)
		return c.check(cfg.Proto, frame, payload, false)
	}); err != nil {
		return res, err
	}
	res.MessageRSS = rss()
	n := float64(cfg.Conns)
	res.PerConnHandshake = float64(res.HandshakeRSS-res.BaseRSS) / n
	res.PerConnMessage = float64(res.MessageRSS-res.BaseRSS) / n
	return res, nil
}
