package conformance

import (
	"crypto/tls"
	"net/http"
	"time"
)

// DefaultSettle is the original suite's one-second wait: how long the tester
// gives a peer to fail the connection, and how long it waits to see that
// nothing more arrives.
const DefaultSettle = time.Second

// Options configure a run. The zero value (or nil) runs one case at a time
// with the original suite's timings and no payload directory, which is
// enough for every group but 12 and 13.
type Options struct {
	// Agent names the implementation under test in the report. In client
	// mode the agent query parameter takes precedence.
	Agent string

	// Payloads is the directory holding the files groups 12 and 13 cut
	// their messages from (see [PayloadFiles]); in this repository's
	// layout, ../shared/conformance/payloads from the repository root.
	// Selecting a case of those groups without it is an error.
	Payloads string

	// Parallel is how many cases run at once in server mode, each over its
	// own connection; 0 or 1 runs them one after the other. Parallel runs
	// are faster but load the server, which makes the round-trip times of
	// group 9 less meaningful.
	Parallel int

	// Timeout, when set, bounds every case instead of the case's own limit
	// ([Case.Timeout], or [DefaultCaseTimeout]). A case that runs out of
	// time is FAILED.
	Timeout time.Duration

	// Settle replaces the one-second waits of the cases ([DefaultSettle]).
	// Shorter runs faster against a peer on the same machine; too short,
	// and a slow peer's late answer counts against it.
	Settle time.Duration

	// Header holds extra headers for the opening handshake in server mode,
	// such as Origin or Authorization.
	Header http.Header

	// TLSConfig is used for wss:// URLs in server mode; nil uses the
	// defaults of crypto/tls.
	TLSConfig *tls.Config

	// Progress, when set, is called with each result as its case ends. It
	// is never called concurrently.
	Progress func(Result)
}

func (o *Options) settle() time.Duration {
	if o == nil || o.Settle <= 0 {
		return DefaultSettle
	}
	return o.Settle
}

// closeWait is how long the tester waits for the peer's part of the closing
// handshake: its close frame, and as client the server's TCP close. It is
// twice the settle period, and never under two seconds, so that a busy
// machine does not make a correct peer look unclean. A correct peer never
// makes the tester wait that long: the case ends with its answer.
func (o *Options) closeWait() time.Duration {
	return max(2*o.settle(), 2*time.Second)
}

func (o *Options) caseTimeout(c *Case) time.Duration {
	switch {
	case o != nil && o.Timeout > 0:
		return o.Timeout
	case c.Timeout > 0:
		return c.Timeout
	}
	return DefaultCaseTimeout
}
