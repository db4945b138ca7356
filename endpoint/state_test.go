package endpoint_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/wskit/websocket/endpoint"
	"github.com/wskit/websocket/wire"
)

func newEndpoint(role wire.Role, o endpoint.Options) *endpoint.Endpoint {
	o.Role, o.Mask = role, fixedMask
	return endpoint.New(o)
}

func wantSent(t *testing.T, e *endpoint.Endpoint, want ...string) {
	t.Helper()
	if got := frames(t, e); !equal(got, want) {
		t.Fatalf("sent %q, want %q", got, want)
	}
}

func wantTimer(t *testing.T, e *endpoint.Endpoint, at int64, ok bool) {
	t.Helper()
	if got, gotOK := e.NextTimer(); got != at || gotOK != ok {
		t.Fatalf("NextTimer = %d, %v; want %d, %v", got, gotOK, at, ok)
	}
}

// TestRFC6455Section7_1ClosingHandshake: a close started here waits in
// StateClosing for the peer's close frame, which is not echoed; after
// it, nothing but the handshake goes out.
func TestRFC6455Section7_1ClosingHandshake(t *testing.T) {
	for _, role := range []wire.Role{C, S} {
		e := newEndpoint(role, endpoint.Options{})
		must(t, e.Close(4001, "room closed"))
		if e.State() != endpoint.StateClosing {
			t.Fatalf("state %v after Close", e.State())
		}
		wantSent(t, e, `close 4001 "room closed"`)
		if err := e.Close(1000, ""); !errors.Is(err, endpoint.ErrClosing) {
			t.Fatalf("second Close: %v", err)
		}
		if _, err := e.AppendMessage(nil, wire.OpText, []byte("late")); !errors.Is(err, endpoint.ErrClosing) {
			t.Fatalf("message after Close: %v", err)
		}
		if err := e.Ping(nil); !errors.Is(err, endpoint.ErrClosing) {
			t.Fatalf("ping after Close: %v", err)
		}
		p := peerOf(role)
		got := feed(t, e, cat(fr(p, true, wire.OpPing, "x"), fr(p, true, wire.OpText, "still read"), fr(p, true, wire.OpClose, "\x0f\xa1")), 0, 100)
		want := []string{`ping "x"`, `text "still read"`, `close 4001 ""`}
		if !equal(got.events, want) || len(got.sent) != 0 || got.err != nil {
			t.Fatalf("%v after Close: %v", role, got)
		}
		if e.State() != endpoint.StateClosed {
			t.Fatalf("state %v after the peer's close", e.State())
		}
	}
}

// TestRFC6455Section7_4CloseCodes: Close refuses codes that may not be
// sent, takes 1005 as a close frame without a code, and cuts a long reason
// on a character boundary.
func TestRFC6455Section7_4CloseCodes(t *testing.T) {
	e := newEndpoint(S, endpoint.Options{})
	for _, code := range []wire.StatusCode{0, 999, 1004, 1006, 1015, 2999, 5000} {
		if err := e.Close(code, ""); !errors.Is(err, endpoint.ErrCloseCode) {
			t.Errorf("Close(%d) = %v", code, err)
		}
	}
	if e.State() != endpoint.StateOpen {
		t.Fatalf("refused Close changed the state to %v", e.State())
	}
	must(t, e.Close(1000, strings.Repeat("é", 100)))
	wantSent(t, e, `close 1000 "`+strings.Repeat("é", 61)+`"`)
	e = newEndpoint(C, endpoint.Options{})
	must(t, e.Close(wire.StatusNoStatusRcvd, ""))
	out := e.AppendOutgoing(nil)
	if len(out) != 6 || out[1] != 0x80 {
		t.Fatalf("close without a code: % x", out)
	}
}

// TestFailFromDriver: a failure the driver decides (a write-side error)
// sends 1011 and no internal text.
func TestFailFromDriver(t *testing.T) {
	e := newEndpoint(S, endpoint.Options{})
	cause := errors.New("disk on fire")
	if err := e.Fail(cause); err != cause {
		t.Fatalf("Fail returned %v", err)
	}
	wantSent(t, e, `close 1011 "internal error"`)
	if e.Fail(errors.New("second")) != cause || e.Err() != cause || e.State() != endpoint.StateClosed {
		t.Fatalf("the first failure is not sticky")
	}
}

// TestRFC6455Section5_5_2KeepAlive: with the time as input, a ping goes
// out every interval, its pong moves the schedule on, and a missing pong
// fails the connection with 1011.
func TestRFC6455Section5_5_2KeepAlive(t *testing.T) {
	e := newEndpoint(S, endpoint.Options{PingInterval: 10, PongTimeout: 5})
	wantTimer(t, e, 0, true)
	must(t, e.Tick(100))
	wantTimer(t, e, 110, true)
	must(t, e.Tick(109))
	wantSent(t, e)
	must(t, e.Tick(110))
	wantSent(t, e, `ping "\x00\x00\x00\x00\x00\x00\x00\x01"`)
	wantTimer(t, e, 115, true)
	got := feed(t, e, fr(C, true, wire.OpPong, "\x00\x00\x00\x00\x00\x00\x00\x01"), 0, 1)
	if !equal(got.events, []string{`pong "\x00\x00\x00\x00\x00\x00\x00\x01"`}) {
		t.Fatalf("pong: %v", got)
	}
	wantTimer(t, e, 120, true)
	must(t, e.Tick(121))
	wantSent(t, e, `ping "\x00\x00\x00\x00\x00\x00\x00\x02"`)
	// A pong that answers something else does not count.
	feed(t, e, fr(C, true, wire.OpPong, "other"), 0, 1)
	wantTimer(t, e, 126, true)
	if err := e.Tick(126); !errors.Is(err, endpoint.ErrPongTimeout) {
		t.Fatalf("Tick past the pong timeout: %v", err)
	}
	wantSent(t, e, `close 1011 "internal error"`)
	wantTimer(t, e, 0, false)

	// Keepalive off, then on again from the latest tick.
	e = newEndpoint(C, endpoint.Options{PingInterval: 10, PingPayload: []byte("hb")})
	must(t, e.Tick(0))
	e.SetKeepAlive(0, 0, 0)
	wantTimer(t, e, 0, false)
	e.SetKeepAlive(50, 20, 0)
	wantTimer(t, e, 70, true)
	must(t, e.Tick(70))
	wantSent(t, e, `ping "hb"`)
	wantTimer(t, e, 90, true)
}

// TestCloseTimeout: the closing handshake is bounded from the first close
// frame, sent or received, and a client waiting for the server to close
// the transport is bounded too.
func TestCloseTimeout(t *testing.T) {
	e := newEndpoint(S, endpoint.Options{CloseTimeout: 50, PingInterval: 1000})
	must(t, e.Tick(10))
	must(t, e.Close(1000, ""))
	wantTimer(t, e, 60, true) // keepalive stopped by the close
	must(t, e.Tick(59))
	if err := e.Tick(60); !errors.Is(err, endpoint.ErrCloseTimeout) || e.State() != endpoint.StateClosed {
		t.Fatalf("Tick at the close timeout: %v, state %v", err, e.State())
	}

	e = newEndpoint(C, endpoint.Options{CloseTimeout: 50})
	must(t, e.Tick(5))
	feed(t, e, fr(S, true, wire.OpClose, "\x03\xe8"), 0, 1)
	if e.State() != endpoint.StateClosed {
		t.Fatalf("state %v after the server's close", e.State())
	}
	wantTimer(t, e, 55, true)
}

// TestSendMessages: whole messages and fragments in both roles, masked
// by a client with a fresh key each, and the local errors that send
// nothing.
func TestSendMessages(t *testing.T) {
	for _, role := range []wire.Role{C, S} {
		e := newEndpoint(role, endpoint.Options{})
		out, err := e.AppendMessage(nil, wire.OpText, []byte("hi"))
		must(t, err)
		out, err = e.AppendFragment(out, wire.OpBinary, []byte("a"), false)
		must(t, err)
		if _, err := e.AppendMessage(nil, wire.OpText, nil); !errors.Is(err, endpoint.ErrMessageInProgress) {
			t.Fatalf("whole message inside a fragmented one: %v", err)
		}
		out, err = e.AppendFragment(out, wire.OpContinuation, []byte("b"), true)
		must(t, err)
		want := []string{`text fin=true rsv=0 "hi"`, `binary fin=false rsv=0 "a"`, `continuation fin=true rsv=0 "b"`}
		if got := decodeFrames(t, role, out); !equal(got, want) {
			t.Fatalf("%v sent %q", role, got)
		}
		if _, err := e.AppendMessage(nil, wire.OpText, []byte("\xff")); !errors.Is(err, endpoint.ErrInvalidUTF8) {
			t.Fatalf("invalid text: %v", err)
		}
		if _, err := e.AppendFragment(nil, wire.OpContinuation, nil, true); !errors.Is(err, endpoint.ErrMessageInProgress) {
			t.Fatalf("continuation without a message: %v", err)
		}
		if _, err := e.AppendFragment(nil, wire.OpText, []byte("\xe2\x82"), true); !errors.Is(err, endpoint.ErrInvalidUTF8) {
			t.Fatalf("text ending inside a character: %v", err)
		}
		must(t, e.Ping([]byte("p")))
		wantSent(t, e, `ping "p"`)
	}
}

// TestPayloadWant: a driver may read a large payload straight into its own
// buffer and hand it to Receive, which unmasks and checks it in place.
func TestPayloadWant(t *testing.T) {
	payload := strings.Repeat("é", 40000)
	in := fr(C, true, wire.OpText, payload)
	e := newEndpoint(S, endpoint.Options{})
	var ev endpoint.Event
	n, err := e.Receive(in[:14], &ev) // the header
	if err != nil || n != 14 || ev.Kind != endpoint.MessageStart {
		t.Fatalf("header: %d %v %v", n, ev.Kind, err)
	}
	dst := make([]byte, 0, len(payload))
	for e.PayloadWant() > 0 {
		want := int(min(e.PayloadWant(), 1000))
		k := copy(dst[len(dst):cap(dst)][:want], in[n:]) // the driver's read
		n += k
		m, err := e.Receive(dst[len(dst):len(dst)+k], &ev)
		if err != nil || m != k || ev.Kind != endpoint.Data || &ev.Data[0] != &dst[len(dst) : len(dst)+1][0] {
			t.Fatalf("payload read in place: %d of %d, %v, %v", m, k, ev.Kind, err)
		}
		dst = dst[:len(dst)+k]
	}
	if string(dst) != payload || !ev.End {
		t.Fatalf("payload %d bytes, end %v", len(dst), ev.End)
	}
}
