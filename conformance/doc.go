// Package conformance is a WebSocket conformance tester: the 517 cases of the
// Autobahn|Testsuite (framing, pings, reserved bits and opcodes,
// fragmentation, UTF-8, close handling, limits and permessage-deflate),
// rewritten in Go from their specification, run against any implementation
// over real TCP connections.
//
// # Two modes
//
// [RunServer] tests a server: it connects to an echo endpoint such as
// ws://127.0.0.1:9001/ once per case, plays the client (masking every frame)
// and reports what the server did.
//
// [ClientTester] tests a client: it is an http.Handler that speaks the
// original suite's protocol, so existing test clients work unchanged. The
// client under test fetches /getCaseCount, connects to
// /runCase?case=N&agent=NAME for N from 1 to the count and echoes every
// message it receives, then connects to /updateReports?agent=NAME, which
// completes the agent's [Report]. [RunClient] serves it on a listener and
// returns that report.
//
// # Cases
//
// A [Case] is data plus a small script: the raw frames to send (any opcode,
// RSV bits, fragmentation, legal or not), how to cut the bytes into TCP
// writes, waits, bulk round trips for the performance and compression
// groups, and what must come back. The tester writes frames itself with
// [wire.AppendFrame]; it never uses a WebSocket connection type, so it can
// send what no correct endpoint would. [Cases] returns all 517 in the suite's
// order; [Select] picks some by id pattern.
//
// # Verdicts
//
// Each case gets a behaviour verdict from what the peer sent back (OK,
// NON-STRICT, FAILED, INFORMATIONAL or UNIMPLEMENTED) and a separate close
// verdict from how the connection ended (OK, FAILED, WRONG CODE, UNCLEAN,
// FAILED BY CLIENT, INFORMATIONAL), combined into the case's [Verdict]. The
// relaxed behaviours the original accepts are accepted here: dropping TCP
// instead of a close frame where a case allows it, failing a text message at
// its first invalid byte or at the end of its frame, and closing with an
// acceptable code other than the preferred one (NON-STRICT). Where the
// original grades a late failure as NON-STRICT (the fail-fast UTF-8 cases
// 6.4.x), so does this package.
//
// # Timing
//
// The cases wait where the original waits: one settle period (one second by
// default, [Options.Settle]) for the peer to fail the connection or to show
// that nothing more arrives. A case ends as soon as its outcome is known, so
// a correct peer runs most cases in milliseconds. The bulk cases of groups 9,
// 12 and 13 reuse buffers and, where the specification allows, keep several
// messages in flight.
package conformance
