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
// # Packages underneath
//
//   - [github.com/wskit/websocket/wire]: frames without I/O — header parse
//     and append, masking, validation against role and state, close
//     payloads, incremental UTF-8 validation, an incremental decoder.
//   - [github.com/wskit/websocket/handshake]: the opening handshake without
//     I/O, for both roles.
package websocket
