// Package websocket is gorilla/websocket's API built on wskit, so that a
// program written for gorilla switches by changing its import path from
// github.com/gorilla/websocket to github.com/wskit/websocket/compat/gorilla,
// and gains wskit's checks and its close handshake.
//
// Upgrader, Dialer, Conn (ReadMessage, WriteMessage, NextReader,
// NextWriter, deadlines, ping, pong and close handlers, WriteControl,
// ReadJSON, WriteJSON, ...), PreparedMessage, the message type and close
// code constants and the close error helpers have gorilla's names and
// signatures. Conn.Wskit returns the wskit connection underneath.
//
// # Where it deliberately differs
//
//   - Limits: a message above 32 MiB is refused with 1009 even without
//     SetReadLimit, and the limit counts the bytes the application gets
//     (after inflating), not the compressed ones. SetReadLimit lowers it.
//   - UTF-8: a text message that is not valid UTF-8 fails the connection
//     with 1007 as it arrives; WriteMessage and NextWriter refuse to send
//     one (gorilla checks neither).
//   - Concurrent writes: any number of goroutines may write at once; they
//     send whole messages one after another instead of panicking. One
//     goroutine reads at a time, as in gorilla.
//   - Pings and pongs: every ping is answered with a pong by wskit itself,
//     whatever the ping handler does, so WriteControl(PongMessage, ...)
//     sends nothing. WriteControl(PingMessage, ...) sends a ping whose
//     payload is wskit's counter, not the data given, and returns once the
//     pong is in or the deadline passes; the pong handler sees that
//     payload. An error returned by a ping or pong handler is
//     ignored. Servers also send wskit's keepalive pings (every 30 s).
//   - Read limit: a message above SetReadLimit is refused once that many
//     bytes are read (wskit's own limit refuses before reading); the
//     close handshake with 1009 is done before ErrReadLimit returns.
//   - Close: the peer's close frame is echoed by wskit before the close
//     handler runs, so the handler need not (and cannot) send it. A close
//     message sent with WriteControl or WriteMessage runs wskit's close
//     handshake, waiting (at most 5 s) for the peer's answer. Conn.Close
//     drops the connection without a close frame, as gorilla's does.
//   - Deadlines: a read that passes its deadline returns a timeout error
//     and leaves the connection usable (gorilla's is unusable after one).
//     A write deadline that passes in mid-frame ends the connection, as in
//     gorilla.
//   - Compression: EnableCompression negotiates every permessage-deflate
//     parameter, context takeover included; SetCompressionLevel records
//     nothing (wskit compresses at level 1).
//   - Handshake: without Upgrader.Error, a bad handshake is answered with
//     wskit's precise status (400, 403, 405, 426) and reason.
//   - Buffers: WriteBufferPool is not used (wskit's idle connections hold
//     no write buffer).
package websocket
