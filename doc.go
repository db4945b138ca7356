// Package websocket is wskit: a WebSocket (RFC 6455) client and server for
// Go, on a protocol core that needs no I/O.
//
// # Opening
//
// A client dials; a server accepts inside any http.Handler; a connection
// whose handshake was done elsewhere is taken over with NewConn:
//
//	c, resp, err := websocket.Dial(ctx, "wss://example.com/chat", nil)
//	c, err := websocket.Accept(w, r, nil)
//	c := websocket.NewConn(netConn, websocket.RoleServer, nil)
//
// Accept answers bad handshakes itself with the precise status (400, 403,
// 405, 426) and refuses cross-origin requests unless allowed.
//
// # Messages
//
//	typ, data, err := c.Read(ctx)                  // one whole message
//	err = c.Write(ctx, websocket.MessageText, data) // one whole message
//	typ, r, err := c.Reader(ctx)                    // stream one message in
//	w, err := c.Writer(ctx, websocket.MessageBinary) // stream one out; Flush ends a fragment, Close the message
//
// Text is checked as UTF-8 as it arrives; the connection fails with 1007 at
// the first bad byte. Pings are answered automatically; c.Ping measures a
// round trip; servers send keepalive pings every 30 s by default and close
// peers that stop answering.
//
// # Closing
//
//	err = c.Close(websocket.StatusNormalClosure, "bye")
//	websocket.CloseStatus(err) // the code in a *CloseError
//
// Every read after the connection ends returns a *CloseError: the peer's
// code and reason, 1005 for a close frame without a code, 1006 for a lost
// connection, or the code this side failed the connection with, whose Err
// says what the peer did wrong.
//
// # Limits
//
// Messages above 1 MiB read whole (Read, AppendRead), or above 32 MiB
// streamed (Reader), are refused with 1009 before they are read; the
// defaults are listed together in options.go and can be changed per
// connection with ConnOptions.
//
// # In the browser
//
// Built with GOOS=js GOARCH=wasm, Dial opens the browser's own WebSocket
// and the Conn keeps its API. The browser does the handshake and the
// frames, so Ping returns an error wrapping errors.ErrUnsupported,
// keepalive is off, the header, TLS, proxy and compression options are
// the browser's, a streamed message goes out when its writer is closed,
// and Close can send only 1000 or a code from 3000 to 4999.
//
// # Helpers
//
//   - [NetConn] wraps a Conn as a net.Conn whose bytes travel in messages.
//   - [Conn.CloseRead] reads and discards for a connection that only
//     writes, so pings and the peer's close are still handled.
//   - [Conn.UnderlyingConn] is the socket underneath, for socket options.
//
// # Other packages
//
//   - [github.com/wskit/websocket/server]: a server toolkit: routes by path
//     and subprotocol, handshake hooks, a registry of live connections,
//     broadcast encoded once through bounded queues, graceful shutdown,
//     structured logs.
//   - [github.com/wskit/websocket/wsjson]: JSON values as text messages.
//   - [github.com/wskit/websocket/wstest]: a client and a server Conn
//     connected in memory, for tests, and the buffered in-memory transport
//     under them.
//   - [github.com/wskit/websocket/compat/gorilla]: gorilla/websocket's API
//     on wskit, for programs that switch by changing an import.
//   - [github.com/wskit/websocket/inspect]: passive decoding of both
//     directions of a captured or relayed connection;
//     [github.com/wskit/websocket/inspect/pcap] reads capture files.
//   - [github.com/wskit/websocket/conformance]: the standard conformance
//     cases, run against a server or a client under test.
//   - [github.com/wskit/websocket/wire]: frames without I/O — header parse
//     and append, masking, validation against role and state, close
//     payloads, incremental UTF-8 validation, an incremental decoder.
//   - [github.com/wskit/websocket/handshake]: the opening handshake without
//     I/O, for both roles.
//   - [github.com/wskit/websocket/deflate]: permessage-deflate (RFC 7692)
//     without I/O: negotiation and a compressor and decompressor per
//     direction.
//   - cmd/ws: the ws command (dial, serve, inspect, proxy, check).
//   - examples/: runnable programs (echo, chat, ticker, an authenticated
//     service, JSON request/response, decoding a capture).
//
// MIGRATING.md in the repository maps gorilla/websocket's and
// coder/websocket's APIs to this one.
package websocket
