package server

import "time"

// EventLoopOptions switch a Server to event-loop mode (Options.EventLoop):
// the plain HTTP/1.1 connections of routes with Events are handed, once
// their handshake is judged (routing, limits, origin policy, hooks,
// subprotocol, compression: all as in goroutine mode), to an event loop of
// package loop, which holds an idle connection in well under a kilobyte
// and no goroutine. TLS and HTTP/2 connections, and routes with a Handler,
// are served by the goroutine driver as before. It needs Linux (epoll);
// elsewhere every connection is served by the goroutine driver and the
// server logs why.
//
// The connections' limits come from Options.AcceptOptions: MaxMessageSize,
// PingInterval (30 s by default, as for a server's Conn; a hook may change
// it per connection), PongTimeout and CloseTimeout.
//
// Not yet in this mode: Options.MemoryBudget (each connection is bounded
// by MaxMessageSize and MaxQueue instead), SlowCloseCode (a slow consumer
// is closed with 1008), Events.Timeout and OnTimeout, and the debug
// record of each frame.
type EventLoopOptions struct {
	// Loops is the number of event loops; 0 means one per core.
	Loops int

	// Workers is the number of goroutines that run the Events'
	// callbacks; 0 means 4 per core. Inline runs them on the loops
	// instead: they must then never block (writes never do).
	Workers int
	Inline  bool

	// MaxQueue bounds the bytes waiting to be written to one
	// connection; 0 means 1 MiB. A write past it is handled by
	// Options.OnQueueFull: CloseSlow closes the connection with 1008,
	// DropMessage drops the message.
	MaxQueue int

	// ReuseMessages hands OnText's and OnBinary's messages out of a pool
	// shared by the connections (loop.Options.ReuseMessages): OnBinary's
	// slice is then valid only until the callback returns, and memory
	// follows the messages in flight instead of being allocated for each.
	ReuseMessages bool

	// HandshakeTimeout bounds the reading of a handshake by the loops
	// (Server.Serve) from the accept; 0 means HandshakeTimeout.
	HandshakeTimeout time.Duration
}
