// Package inspect decodes both directions of a WebSocket connection that
// it only watches: traffic read from a capture file, or relayed by a proxy.
// It never writes to the connection and never takes part in it.
//
// A [Flow] starts from the opening handshake that was observed
// ([NewFlow], [NewFlowBytes]), which must be a valid upgrade (RFC 6455
// §4.1, §4.2), or from the middle of a connection ([NewMidstreamFlow]).
// The bytes of each direction are then given to [Flow.Feed] as they were
// captured, in any chunking and with the two directions interleaved, and
// the flow calls its [Handler]:
//
//   - Control for each ping, pong and close frame, with its whole unmasked
//     payload (and for a close, the status code and reason), and once per
//     direction when that direction ends, with no frame info;
//   - Data for the payload of data frames as it streams, in pieces, never
//     holding a whole frame: unmasked, decompressed when permessage-deflate
//     was negotiated (RFC 7692, per direction, with the agreed context
//     takeover and window), with the end of each message marked;
//   - Finding for each protocol violation, decompression failure and gap in
//     the capture. The flow records it and goes on where the framing still
//     makes sense: it never stops decoding and never fails the connection.
//
// It is built on the frame codec ([wire]), the handshake checks
// ([handshake]) and the decompressor ([deflate]) that the live connection
// uses, never on the connection itself. Nothing here does I/O or reads a
// clock: the caller passes the capture time with each chunk.
//
// A Flow is not safe for concurrent use. Call [Flow.Close] (or end both
// directions with Feed's eof) when done: a compressed message in progress
// holds a suspended decompressor until then.
package inspect
