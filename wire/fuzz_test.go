package wire_test

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/wskit/websocket/wire"
)

// FuzzParseHeader: never panics; whatever parses without error encodes back
// to the same bytes.
func FuzzParseHeader(f *testing.F) {
	for _, ex := range rfcExamples {
		f.Add(ex.raw[:min(len(ex.raw), wire.MaxHeaderSize)])
	}
	f.Add([]byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0x82, 126, 0, 5})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := wire.ParseHeader(b)
		switch err {
		case nil:
			if n != h.Size() || !bytes.Equal(wire.AppendHeader(nil, h), b[:n]) {
				t.Fatalf("% x parsed to %+v, which encodes differently", b[:n], h)
			}
		case wire.ErrNonMinimalLength:
			if n != wire.HeaderSize(b) || n <= h.Size() {
				t.Fatalf("non-minimal header of %d bytes, minimal size %d", n, h.Size())
			}
		case wire.ErrNeedMore:
			if n != 0 || len(b) >= wire.HeaderSize(b) && len(b) >= 2 {
				t.Fatalf("need more with %d bytes, header size %d", len(b), wire.HeaderSize(b))
			}
		case wire.ErrLengthOverflow:
			if n != 0 {
				t.Fatalf("overflow with n=%d", n)
			}
		default:
			t.Fatalf("unexpected error %v", err)
		}
	})
}

// FuzzDecoder: any byte stream decodes to the same frames whole, byte by
// byte and in random pieces, and never panics, also when every header goes
// through a Validator.
func FuzzDecoder(f *testing.F) {
	stream, _ := testStream()
	f.Add(stream[:200], uint64(1))
	for _, ex := range rfcExamples {
		f.Add(ex.raw[:min(len(ex.raw), 300)], uint64(2))
	}
	f.Add([]byte{0x01, 0x83, 1, 2, 3, 4, 'a', 'b', 'c', 0x89, 0x80, 0, 0, 0, 0, 0x80, 0x81, 9, 9, 9, 9, 'z'}, uint64(3))
	f.Fuzz(func(t *testing.T, b []byte, seed uint64) {
		whole, errWhole := decodeChunks(t, splitWhole(b), false)
		single, errSingle := decodeChunks(t, splitBytes(b), false)
		random, errRandom := decodeChunks(t, splitRandom(b, rand.New(rand.NewPCG(seed, seed))), false)
		if errWhole != errSingle || errWhole != errRandom {
			t.Fatalf("errors differ: %v / %v / %v", errWhole, errSingle, errRandom)
		}
		if !reflect.DeepEqual(whole, single) || !reflect.DeepEqual(whole, random) {
			t.Fatalf("frames differ between chunkings")
		}
		for _, role := range []wire.Role{0, wire.RoleClient, wire.RoleServer} {
			v := wire.Validator{Role: role, ExtensionRSV: wire.RSV1, MaxFrameSize: 1 << 20}
			for _, fr := range whole {
				if err := v.Check(fr.Header); err != nil && wire.CloseCodeFor(err) == wire.StatusInternalError {
					t.Fatalf("validator error without a close code: %v", err)
				}
				if fr.Header.Opcode == wire.OpClose && int64(len(fr.Payload)) == fr.Header.Length {
					wire.ParseClosePayload(fr.Payload)
				}
			}
		}
	})
}

// FuzzClosePayload: never panics; a payload that parses is rebuilt byte for
// byte from its code and reason.
func FuzzClosePayload(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x03})
	f.Add([]byte{0x03, 0xE8, 'o', 'k'})
	f.Add([]byte{0x03, 0xED, 0xce, 0xba, 0xed, 0xa0, 0x80})
	f.Add([]byte{0x13, 0x88})
	f.Fuzz(func(t *testing.T, p []byte) {
		code, reason, err := wire.ParseClosePayload(p)
		if err != nil {
			if wire.CloseCodeFor(err) == wire.StatusInternalError {
				t.Fatalf("error without a close code: %v", err)
			}
			return
		}
		if got := wire.AppendClosePayload(nil, code, reason); !bytes.Equal(got, p) {
			t.Fatalf("% x parsed to (%d, %q) and rebuilt as % x", p, code, reason, got)
		}
	})
}
