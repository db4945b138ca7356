// Package loop is an event-loop WebSocket server (Linux, epoll): the second
// driver of package endpoint, beside the root package's Conn, for servers
// that hold many mostly idle connections.
//
// A Server runs one loop per core (Options.Loops). Each loop owns an epoll
// descriptor, one read buffer and a timer heap; a connection is its
// endpoint state and its descriptor, with no goroutine, no read buffer and
// no write buffer while it is idle: one object of 416 bytes. The bytes a connection could not write
// at once wait in a queue of its own, bounded by Options.MaxQueue; a
// connection whose queue is full is a slow consumer, closed with 1008 or
// spared the message (Options.SlowConsumer). Keepalive, the close timeout
// and the handshake deadline are entries on the loop's timer heap, fed to
// the endpoint as the time of a Tick. A loop with nothing to do parks in
// the Go poller, as a goroutine reading a socket does, not in a blocking
// epoll_wait, so it holds no P while it waits and the process's other
// goroutines are not held up by idle loops.
//
// Handlers are the callbacks of [Events]. They run in a bounded pool of
// worker goroutines (Options.Workers), in order for each connection, or on
// the loop itself with Options.Inline for handlers that never block.
//
// The package lives beside the root package rather than inside server/ so
// that server/ can offer it as a mode without the loop depending on the
// toolkit: it imports only the sans-I/O packages (endpoint, wire,
// handshake, deflate) and the standard library.
package loop
