// Package wire is the frame layer of RFC 6455 without I/O: opcodes and close
// status codes, frame header parsing and encoding, masking, validation of
// frames against an endpoint's role and state, close payloads, incremental
// UTF-8 validation and an incremental decoder that accepts any chunking of a
// byte stream.
//
// Nothing here reads or writes a connection, starts a goroutine or reads a
// clock: the live connection in the root package and the passive inspector
// both drive it with the bytes they have.
//
// # Buffers
//
// Functions named Append* append to the slice they are given and return it,
// as the standard library's strconv.Append* do. [Decoder.Decode] unmasks
// payload in place inside the slice it is given and returns pieces of that
// slice; it keeps no reference to it after returning.
//
// # Errors
//
// Every error caused by peer input is a [*ProtocolError] carrying the close
// status the connection must be failed with; each failure has its own
// sentinel (ErrUnmaskedFrame, ErrReservedOpcode, ...) for errors.Is, and
// [CloseCodeFor] maps any error to its close code.
//
// The parser ([ParseHeader], [Decoder]) and the rules ([Validator]) are
// separate: a passive reader can record a violation and keep decoding where
// the framing still makes sense, while an endpoint fails the connection.
package wire
