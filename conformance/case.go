package conformance

import (
	"fmt"
	"strings"
	"time"

	"github.com/wskit/websocket/wire"
)

// Verdict is the outcome of a case, in the vocabulary of the original suite.
type Verdict string

// The verdicts. OK and NON-STRICT count as passed, FAILED as failed;
// INFORMATIONAL and UNIMPLEMENTED are counted apart.
const (
	// OK: the peer did what the case expects.
	OK Verdict = "OK"
	// NonStrict: the peer is conformant but not in the preferred way, such
	// as failing a bad UTF-8 message when its last fragment arrives instead
	// of at the first bad byte (RFC 6455 §8.1 says "as soon as").
	NonStrict Verdict = "NON-STRICT"
	// Failed: the peer broke a MUST of RFC 6455 or RFC 7692, or did not
	// echo what it was sent.
	Failed Verdict = "FAILED"
	// Informational: the specification leaves the behaviour open; what the
	// peer did is recorded, not judged.
	Informational Verdict = "INFORMATIONAL"
	// Unimplemented: the peer does not offer the optional feature the case
	// tests (permessage-deflate for groups 12 and 13).
	Unimplemented Verdict = "UNIMPLEMENTED"
)

// CloseVerdict judges how a case's connection ended, apart from what was
// exchanged before (the original suite's "behaviorClose").
type CloseVerdict string

// The close verdicts.
const (
	CloseOK CloseVerdict = "OK"
	// CloseFailed: the wrong endpoint ended the connection, as when the
	// tester had to drop a peer that should have failed the connection.
	CloseFailed CloseVerdict = "FAILED"
	// CloseWrongCode: the peer's close frame carried a code the case does
	// not allow.
	CloseWrongCode CloseVerdict = "WRONG CODE"
	// CloseUnclean: the case requires a complete closing handshake and
	// there was none (RFC 6455 §7.1.4).
	CloseUnclean CloseVerdict = "UNCLEAN"
	// CloseFailedByClient: the server did not close TCP after the closing
	// handshake, so the tester (the client) had to (RFC 6455 §7.1.1 says
	// the server should close it first).
	CloseFailedByClient CloseVerdict = "FAILED BY CLIENT"
	// CloseInformational: the case does not judge the close.
	CloseInformational CloseVerdict = "INFORMATIONAL"
)

// Frame is one frame the tester sends, written as it is: any opcode, any RSV
// bits, control frames fragmented or too long. The tester masks it when it
// plays the client.
type Frame struct {
	Opcode  wire.Opcode
	Fin     bool
	RSV     byte // wire.RSV1 | wire.RSV2 | wire.RSV3
	Payload []byte
}

func (f Frame) String() string {
	var b strings.Builder
	b.WriteString(f.Opcode.String())
	if !f.Fin {
		b.WriteString(" (not final)")
	}
	if f.RSV != 0 {
		fmt.Fprintf(&b, " RSV=%d", f.RSV>>4)
	}
	fmt.Fprintf(&b, " %d bytes", len(f.Payload))
	return b.String()
}

// StepKind says what a [Step] does.
type StepKind uint8

// The kinds of step.
const (
	// StepSend writes Frames.
	StepSend StepKind = iota + 1
	// StepWait waits one settle period ([Options.Settle]) while recording
	// what arrives. A wait ends early when the connection closes.
	StepWait
	// StepRoundTrip sends the messages Trip describes and checks each echo.
	StepRoundTrip
)

// Step is one instruction of a case's script.
type Step struct {
	Kind StepKind

	// Frames are written in order by StepSend.
	Frames []Frame

	// Chop cuts the bytes of a StepSend (all frames together) or of each
	// message of a StepRoundTrip into TCP writes of this many bytes; 1 is
	// "octet-wise". 0 writes them at once.
	Chop int

	// FrameWise writes each frame of a StepSend with its own TCP write
	// ("frame-wise chops", the original's sync mode). It is ignored when
	// Chop is set.
	FrameWise bool

	// Closing marks a StepSend whose first close frame starts the closing
	// handshake: from then on the tester waits for the peer's close reply
	// and sends no close of its own. Close frames that must fail the
	// connection instead (with RSV bits set, say) are not marked.
	Closing bool

	// Part splits one frame over several steps, to pause inside it: a
	// StepSend of a single frame with Part > 0 writes the frame's header
	// and only its first Part payload bytes. A later StepSend without
	// Frames writes the next Part bytes of what is left, or all of it when
	// Part is 0.
	Part int

	// Tag names the event a StepWait records when the wait ends with the
	// connection still open. It lets a case tell a peer that fails at once
	// from one that fails later (cases 6.4.x).
	Tag string

	// Trip describes a StepRoundTrip.
	Trip *RoundTrip
}

// RoundTrip is a bulk echo test: Count messages of Size bytes, each sent and
// compared with its echo byte for byte.
type RoundTrip struct {
	Count  int
	Size   int
	Opcode wire.Opcode // OpText or OpBinary

	// FrameSize fragments each message into frames carrying at most this
	// many payload bytes (after compression, when compressed); 0 sends one
	// frame per message.
	FrameSize int

	// Source names a file in [Options.Payloads] that messages are cut from
	// (text files on UTF-8 boundaries); "" means a generated pattern.
	Source string

	// Window is how many messages may be in flight at once: 1 sends the
	// next message only when the previous echo is back (round-trip time
	// measurement); more pipelines.
	Window int
}

// EventKind says what an [Event] is.
type EventKind string

// The kinds of event that cases compare.
const (
	// EventMessage: a whole data message from the peer.
	EventMessage EventKind = "message"
	// EventPong: a pong from the peer.
	EventPong EventKind = "pong"
	// EventTimeout: a tagged wait ended with the connection still open.
	EventTimeout EventKind = "timeout"
	// EventEchoed: every message of a round trip came back as sent.
	EventEchoed EventKind = "echoed"
)

// Event is something the peer did that a case checks: what it sent back,
// in order. Pings from the peer are answered and logged but not compared (a
// peer may keep a connection alive); closes are judged by [CloseExpect].
type Event struct {
	Kind    EventKind
	Opcode  wire.Opcode // EventMessage: OpText or OpBinary
	Payload []byte      // EventMessage, EventPong
	Tag     string      // EventTimeout
	Count   int         // EventEchoed: messages echoed
}

func (e Event) String() string {
	switch e.Kind {
	case EventMessage:
		return fmt.Sprintf("%s message (%s)", e.Opcode, describeBytes(e.Payload))
	case EventPong:
		return fmt.Sprintf("pong (%s)", describeBytes(e.Payload))
	case EventTimeout:
		return fmt.Sprintf("timeout %q", e.Tag)
	case EventEchoed:
		return fmt.Sprintf("%d messages echoed", e.Count)
	}
	return string(e.Kind)
}

func (e Event) equal(o Event) bool {
	return e.Kind == o.Kind && e.Opcode == o.Opcode && e.Tag == o.Tag && e.Count == o.Count &&
		string(e.Payload) == string(o.Payload)
}

// Expect is what a case wants to see, compared with the events the peer
// caused in order.
type Expect struct {
	// OK is the exact sequence of events for verdict OK.
	OK []Event

	// NonStrict, when not nil, is a sequence that earns NON-STRICT instead
	// of FAILED.
	NonStrict []Event

	// CoalescedPongs gives NON-STRICT to a peer that answers only some of
	// several pings in a row, in order, as long as it answers the last one
	// (RFC 6455 §5.5.3 allows it; the case prefers every pong).
	CoalescedPongs bool

	// Quiet makes the tester wait a whole settle period before closing,
	// to see that nothing arrives, even when OK is already met.
	Quiet bool

	// Informational: the case records what happens without judging it.
	Informational bool
}

// CloseExpect is how a case's connection must end.
type CloseExpect struct {
	// ByTester: the tester starts the closing handshake (after its script,
	// or in it with a [Step.Closing] send) and the peer must answer it.
	// Otherwise the peer must fail the connection by itself; a peer that
	// has not within a settle period is dropped, and the close verdict is
	// FAILED.
	ByTester bool

	// Codes are the close codes the peer's close frame may carry. A close
	// frame without a code is accepted too, as in the original suite.
	Codes []wire.StatusCode

	// LaxCodes are codes accepted with NON-STRICT: the peer failed the
	// connection as it must, under a less precise code (1002 for bad
	// UTF-8, where 1007 is the precise one).
	LaxCodes []wire.StatusCode

	// Clean requires the closing handshake to complete. When false,
	// dropping TCP without a close frame is accepted.
	Clean bool

	// WrongCloserFatal fails the case's behaviour too when the peer never
	// failed the connection: for the UTF-8 cases that means the peer never
	// noticed.
	WrongCloserFatal bool

	// Informational: the close is recorded, not judged.
	Informational bool
}

// DeflateOffer is one permessage-deflate parameter set (RFC 7692 §7.1). As
// client the tester offers it to the server; as server it asks it of the
// client in its response.
type DeflateOffer struct {
	// NoContextTakeover asks the peer not to use context takeover when
	// compressing (server_no_context_takeover in an offer,
	// client_no_context_takeover in a response).
	NoContextTakeover bool

	// MaxWindowBits asks the peer to compress with an LZ77 window of at
	// most 2^MaxWindowBits bytes, 8 to 15 (server_max_window_bits in an
	// offer, client_max_window_bits in a response); 0 asks nothing.
	MaxWindowBits int
}

func (o DeflateOffer) String() string {
	s := "context takeover"
	if o.NoContextTakeover {
		s = "no context takeover"
	}
	if o.MaxWindowBits != 0 {
		s += fmt.Sprintf(", window bits %d", o.MaxWindowBits)
	}
	return s
}

// Case is one conformance case: data plus a small script.
type Case struct {
	// ID is the case number of the original suite, such as "6.4.1".
	ID string

	// Description says what the tester does; Expectation what the peer
	// must do.
	Description string
	Expectation string

	// Deflate, when not nil, negotiates permessage-deflate with these
	// parameter sets, in order of preference, before the script runs; a
	// peer that accepts none makes the case UNIMPLEMENTED.
	Deflate []DeflateOffer

	// Steps is the script.
	Steps []Step

	// Expect and Close say what must happen.
	Expect Expect
	Close  CloseExpect

	// Timeout bounds the whole case; 0 means [DefaultCaseTimeout].
	Timeout time.Duration
}

// Group returns the case's top-level group: "6" for "6.4.1".
func (c *Case) Group() string {
	g, _, _ := strings.Cut(c.ID, ".")
	return g
}

// describeBytes summarises a payload for logs: short ones in full (quoted
// when printable, hex otherwise), long ones by length.
func describeBytes(p []byte) string {
	switch {
	case len(p) == 0:
		return "empty"
	case len(p) <= 32 && printable(p):
		return fmt.Sprintf("%q", p)
	case len(p) <= 16:
		return fmt.Sprintf("0x%x", p)
	}
	return fmt.Sprintf("%d bytes", len(p))
}

func printable(p []byte) bool {
	for _, c := range p {
		if c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}
