// Package deflate implements the permessage-deflate extension of RFC 7692
// without doing any I/O: parameter parsing and negotiation for both roles,
// and the per-direction compressor and decompressor of message payloads.
//
// # Negotiation
//
// [Params] is one offer or response (RFC 7692 §7.1), parsed from a
// handshake.Extension by [ParseParams] and formatted back by
// [Params.Extension]. A client sends [ClientOffers] built from one or more
// [Options] and checks the server's answer with [ClientVerify]; a server
// picks an offer with [ServerAccept]. Both return an [Agreement]: the
// response's parameters and a [Flow] for each direction, which is all the
// data path needs (context takeover or not, window size).
//
// # Data
//
// A [Compressor] turns the messages one endpoint sends into payloads (RFC
// 7692 §7.2.1): it strips the trailing 00 00 ff ff of each message, may end
// fragments with sync flushes, and never refers further back than the
// window the peer allowed. A [Decompressor] turns the payloads of the
// peer's messages back into their data (RFC 7692 §7.2.2) as a stream, never
// producing more than asked for, so that a limit on decompressed size holds
// against compression bombs. Invalid data fails with [ErrCorrupt], a
// *wire.ProtocolError with close code 1007.
//
// Both take their working memory from pools and give it back whenever the
// negotiated mode allows: at the end of each message without context
// takeover, on [Compressor.Release] with it. Between messages with context
// takeover, each keeps only the window the next message may refer to.
//
// Each side uses the DEFLATE implementation that measured better for it
// (see bench_test.go). The compressor uses
// github.com/klauspost/compress/flate: it compresses within any window from
// 256 bytes to 32 KiB, where compress/flate could only fall back to
// Huffman-only blocks, it can be primed with a history after its memory went
// back to the pool, and at level 1 it is 1.6 to 2.5 times faster with an
// output no larger. The decompressor uses compress/flate, 1.3 to 1.6 times
// slower than klauspost's reader but the only one of the two that keeps
// nothing of one stream once reset for the next, which pooling needs:
// klauspost's reader keeps Huffman tables across Reset, so one
// connection's messages could change how another's invalid data inflates
// (TestDecompressorPooledStateDoesNotLeak).
//
// Nothing here reads or writes a connection, starts a goroutine or reads a
// clock, and nothing panics on peer input. Compressor and Decompressor are
// not safe for concurrent use; the negotiation functions are.
package deflate
