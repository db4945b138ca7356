// Package handshake implements the WebSocket opening handshake of RFC 6455 §4
// without doing any I/O.
//
// The client side builds an *http.Request with [ClientRequest.HTTPRequest],
// which the caller writes to the connection, and checks the server's
// *http.Response with [ClientRequest.Verify] (RFC 6455 §4.1). The server side
// checks an *http.Request with [CheckRequest], chooses a subprotocol with
// [SelectProtocol] and extensions with its own policy, and answers with
// [ResponseHeader] (for net/http handlers) or [AppendResponse] (for servers
// that hijacked the connection) (RFC 6455 §4.2).
//
// The building blocks are exported too: keys ([NewKey], [AcceptKey],
// [ValidKey]), header token lists ([HeaderHasToken], [ParseProtocols]) and
// extension lists ([ParseExtensions], [FormatExtensions]).
//
// Nothing here reads or writes a connection, starts a goroutine or reads a
// clock, and nothing panics on any input. Failures are values: each distinct
// failure is a sentinel error found with errors.Is, carried by a
// [*RequestError] on the server side (with the HTTP status and headers to
// answer with) and by a [*ResponseError] on the client side (with the name of
// the header that is missing or wrong), both found with errors.As.
package handshake
