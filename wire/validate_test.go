package wire_test

import (
	"testing"

	"github.com/wskit/websocket/wire"
)

// hdr builds a frame header as a client sends it (masked) unless noted.
func hdr(fin bool, op wire.Opcode, length int64) wire.Header {
	return wire.Header{Fin: fin, Opcode: op, Masked: true, Mask: [4]byte{1, 2, 3, 4}, Length: length}
}

func withRSV(h wire.Header, rsv byte) wire.Header { h.RSV = rsv; return h }

func unmasked(h wire.Header) wire.Header { h.Masked = false; h.Mask = [4]byte{}; return h }

// validatorCase is a sequence of headers a server receives; the last one
// gets err, all before it nil.
type validatorCase struct {
	name    string
	v       wire.Validator
	headers []wire.Header
	err     error
}

func runValidatorCases(t *testing.T, cases []validatorCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.v
			if v.Role == 0 {
				v.Role = wire.RoleServer
			}
			for i, h := range tc.headers {
				err := v.Check(h)
				want := error(nil)
				if i == len(tc.headers)-1 {
					want = tc.err
				}
				if err != want {
					t.Fatalf("header %d %+v: err = %v, want %v", i, h, err, want)
				}
			}
		})
	}
}

// RFC 6455 §5.1: a server fails on an unmasked frame, a client on a masked
// one; an observer with no role checks neither.
func TestValidatorSection5_1Masking(t *testing.T) {
	runValidatorCases(t, []validatorCase{
		{"server gets masked", wire.Validator{Role: wire.RoleServer}, []wire.Header{hdr(true, wire.OpText, 3)}, nil},
		{"server gets unmasked", wire.Validator{Role: wire.RoleServer}, []wire.Header{unmasked(hdr(true, wire.OpText, 3))}, wire.ErrUnmaskedFrame},
		{"server gets unmasked ping", wire.Validator{Role: wire.RoleServer}, []wire.Header{unmasked(hdr(true, wire.OpPing, 0))}, wire.ErrUnmaskedFrame},
		{"client gets unmasked", wire.Validator{Role: wire.RoleClient}, []wire.Header{unmasked(hdr(true, wire.OpBinary, 3))}, nil},
		{"client gets masked", wire.Validator{Role: wire.RoleClient}, []wire.Header{hdr(true, wire.OpBinary, 3)}, wire.ErrMaskedFrame},
		{"client gets masked close", wire.Validator{Role: wire.RoleClient}, []wire.Header{hdr(true, wire.OpClose, 2)}, wire.ErrMaskedFrame},
	})
	var observer wire.Validator
	for _, h := range []wire.Header{hdr(true, wire.OpText, 1), unmasked(hdr(true, wire.OpText, 1))} {
		if err := observer.Check(h); err != nil {
			t.Fatalf("observer: %v", err)
		}
	}
}

// RFC 6455 §5.2: RSV bits must be 0 unless an extension defines them, and
// reserved opcodes fail the connection.
func TestValidatorSection5_2ReservedBitsAndOpcodes(t *testing.T) {
	deflate := wire.Validator{ExtensionRSV: wire.RSV1}
	cases := []validatorCase{
		{"RSV1 without extension", wire.Validator{}, []wire.Header{withRSV(hdr(true, wire.OpText, 1), wire.RSV1)}, wire.ErrReservedBits},
		{"RSV2 without extension", wire.Validator{}, []wire.Header{withRSV(hdr(true, wire.OpBinary, 1), wire.RSV2)}, wire.ErrReservedBits},
		{"RSV3 on ping", wire.Validator{}, []wire.Header{withRSV(hdr(true, wire.OpPing, 1), wire.RSV3)}, wire.ErrReservedBits},
		{"all RSV on close", wire.Validator{}, []wire.Header{withRSV(hdr(true, wire.OpClose, 2), wire.RSV1|wire.RSV2|wire.RSV3)}, wire.ErrReservedBits},
		{"RSV1 claimed, first frame", deflate, []wire.Header{withRSV(hdr(false, wire.OpText, 1), wire.RSV1), hdr(true, wire.OpContinuation, 1)}, nil},
		{"RSV1 claimed, on continuation", deflate, []wire.Header{withRSV(hdr(false, wire.OpText, 1), wire.RSV1), withRSV(hdr(true, wire.OpContinuation, 1), wire.RSV1)}, wire.ErrReservedBits},
		{"RSV1 claimed, on ping", deflate, []wire.Header{withRSV(hdr(true, wire.OpPing, 1), wire.RSV1)}, wire.ErrReservedBits},
		{"RSV1 claimed, RSV2 sent", deflate, []wire.Header{withRSV(hdr(true, wire.OpText, 1), wire.RSV2)}, wire.ErrReservedBits},
		{"claimed data opcode 3", wire.Validator{ExtensionOpcodes: 1 << 3}, []wire.Header{hdr(true, 3, 10)}, nil},
		{"claimed control opcode 11 fragmented", wire.Validator{ExtensionOpcodes: 1 << 11}, []wire.Header{hdr(false, 11, 10)}, wire.ErrFragmentedControl},
		{"other opcode than the claimed one", wire.Validator{ExtensionOpcodes: 1 << 3}, []wire.Header{hdr(true, 4, 10)}, wire.ErrReservedOpcode},
	}
	for op := wire.Opcode(3); op < 16; op++ {
		if op.IsReserved() {
			cases = append(cases, validatorCase{"reserved " + op.String(), wire.Validator{}, []wire.Header{hdr(true, wire.OpText, 1), hdr(true, op, 0)}, wire.ErrReservedOpcode})
		}
	}
	runValidatorCases(t, cases)
}

// RFC 6455 §5.4: fragmentation. Control frames may come between fragments;
// a continuation needs a message in progress; a new data frame may not
// start inside one.
func TestValidatorSection5_4Fragmentation(t *testing.T) {
	runValidatorCases(t, []validatorCase{
		{"three fragments", wire.Validator{}, []wire.Header{hdr(false, wire.OpText, 2), hdr(false, wire.OpContinuation, 2), hdr(true, wire.OpContinuation, 2)}, nil},
		{"controls between fragments", wire.Validator{}, []wire.Header{hdr(false, wire.OpBinary, 2), hdr(true, wire.OpPing, 2), hdr(true, wire.OpPong, 0), hdr(true, wire.OpContinuation, 2), hdr(true, wire.OpClose, 2)}, nil},
		{"continuation first", wire.Validator{}, []wire.Header{hdr(true, wire.OpContinuation, 2)}, wire.ErrNoMessageToContinue},
		{"continuation after a finished message", wire.Validator{}, []wire.Header{hdr(false, wire.OpText, 2), hdr(true, wire.OpContinuation, 2), hdr(false, wire.OpContinuation, 2)}, wire.ErrNoMessageToContinue},
		{"text inside text", wire.Validator{}, []wire.Header{hdr(false, wire.OpText, 2), hdr(true, wire.OpText, 2)}, wire.ErrMessageNotFinished},
		{"binary inside text after a ping", wire.Validator{}, []wire.Header{hdr(false, wire.OpText, 2), hdr(true, wire.OpPing, 0), hdr(false, wire.OpBinary, 2)}, wire.ErrMessageNotFinished},
	})
}

// RFC 6455 §5.5: control frames are never fragmented and carry at most 125
// bytes.
func TestValidatorSection5_5Control(t *testing.T) {
	runValidatorCases(t, []validatorCase{
		{"ping of 125", wire.Validator{}, []wire.Header{hdr(true, wire.OpPing, 125)}, nil},
		{"ping of 126", wire.Validator{}, []wire.Header{hdr(true, wire.OpPing, 126)}, wire.ErrControlTooLong},
		{"close of 126", wire.Validator{}, []wire.Header{hdr(true, wire.OpClose, 126)}, wire.ErrControlTooLong},
		{"fragmented ping", wire.Validator{}, []wire.Header{hdr(false, wire.OpPing, 2)}, wire.ErrFragmentedControl},
		{"fragmented pong", wire.Validator{}, []wire.Header{hdr(false, wire.OpPong, 2)}, wire.ErrFragmentedControl},
	})
}

func TestValidatorFrameLimit(t *testing.T) {
	runValidatorCases(t, []validatorCase{
		{"at the limit", wire.Validator{MaxFrameSize: 1000}, []wire.Header{hdr(true, wire.OpBinary, 1000)}, nil},
		{"over the limit", wire.Validator{MaxFrameSize: 1000}, []wire.Header{hdr(true, wire.OpBinary, 1001)}, wire.ErrFrameTooLarge},
		{"over the limit in a continuation", wire.Validator{MaxFrameSize: 1000}, []wire.Header{hdr(false, wire.OpBinary, 10), hdr(true, wire.OpContinuation, 1001)}, wire.ErrFrameTooLarge},
		{"no limit", wire.Validator{}, []wire.Header{hdr(true, wire.OpBinary, 1<<62)}, nil},
	})
	if c := wire.CloseCodeFor(wire.ErrFrameTooLarge); c != wire.StatusMessageTooBig {
		t.Fatalf("frame too large maps to %d", c)
	}
}

// The message state: the opcode of the message a continuation belongs to,
// and no change of state on a rejected header.
func TestValidatorMessageState(t *testing.T) {
	v := wire.Validator{Role: wire.RoleServer, ExtensionRSV: wire.RSV1}
	steps := []struct {
		h         wire.Header
		inMessage bool
		op        wire.Opcode
		rsv       byte
	}{
		{withRSV(hdr(false, wire.OpBinary, 3), wire.RSV1), true, wire.OpBinary, wire.RSV1},
		{hdr(true, wire.OpPing, 0), true, wire.OpBinary, wire.RSV1},
		{hdr(false, wire.OpContinuation, 3), true, wire.OpBinary, wire.RSV1},
		{hdr(true, wire.OpContinuation, 3), false, wire.OpBinary, wire.RSV1},
		{hdr(true, wire.OpText, 3), false, wire.OpText, 0},
	}
	for i, s := range steps {
		if err := v.Check(s.h); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		op, rsv := v.Message()
		if v.InMessage() != s.inMessage || op != s.op || rsv != s.rsv {
			t.Fatalf("step %d: InMessage %v, Message (%v, %#x)", i, v.InMessage(), op, rsv)
		}
	}
	if err := v.Check(hdr(false, wire.OpText, 1)); err != nil {
		t.Fatal(err)
	}
	if err := v.Check(hdr(false, wire.OpBinary, 1)); err != wire.ErrMessageNotFinished {
		t.Fatalf("got %v", err)
	}
	if op, _ := v.Message(); !v.InMessage() || op != wire.OpText {
		t.Fatalf("a rejected header changed the state: %v %v", v.InMessage(), op)
	}
	v.Reset()
	if v.InMessage() || v.Role != wire.RoleServer || v.ExtensionRSV != wire.RSV1 {
		t.Fatalf("Reset: %+v", v)
	}
}
