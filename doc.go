// Package websocket is wskit: a WebSocket (RFC 6455) toolkit for Go.
//
// This root package will hold the connection: Dial, Accept and NewConn, whole
// and streamed messages, control frames, keepalive and the close handshake.
// It is not written yet. What exists today is the protocol core it will sit
// on, usable on its own:
//
//   - [github.com/wskit/websocket/wire]: frames without I/O — opcodes, status
//     codes, header parse and append, masking, validation against role and
//     state, close payloads, incremental UTF-8 validation and an incremental
//     decoder.
//   - [github.com/wskit/websocket/handshake]: the opening handshake without
//     I/O — keys and accept values, the client request and its response
//     check, the server's request check with a precise HTTP status for each
//     failure, and Sec-WebSocket-Protocol / Sec-WebSocket-Extensions parsing.
package websocket
