package wire_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/wskit/websocket/wire"
)

func maskNaive(key [4]byte, pos int, b []byte) {
	for i := range b {
		b[i] ^= key[(pos+i)&3]
	}
}

// RFC 6455 §5.3: octet i of the payload is XORed with octet i mod 4 of the
// key. Every length up to a few words, every starting position and every
// alignment of the buffer give the same bytes as the definition.
func TestMaskBytesMatchesDefinition(t *testing.T) {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	src := make([]byte, 300)
	for i := range src {
		src[i] = byte(i * 7)
	}
	for align := 0; align < 8; align++ {
		for n := 0; n < 200; n++ {
			for pos := 0; pos < 8; pos++ {
				got := bytes.Clone(src)
				want := bytes.Clone(src)
				next := wire.MaskBytes(key, pos, got[align:align+n])
				maskNaive(key, pos, want[align:align+n])
				if !bytes.Equal(got, want) {
					t.Fatalf("align %d, len %d, pos %d: differs", align, n, pos)
				}
				if next != (pos+n)&3 {
					t.Fatalf("align %d, len %d, pos %d: next position %d", align, n, pos, next)
				}
			}
		}
	}
}

// Masking a payload in pieces, feeding each returned position to the next
// call, equals masking it whole; masking twice restores it.
func TestMaskBytesInPieces(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		data := make([]byte, r.IntN(5000))
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		key := [4]byte{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())}
		whole := bytes.Clone(data)
		wire.MaskBytes(key, 0, whole)
		pieces := bytes.Clone(data)
		pos := 0
		for rest := pieces; len(rest) > 0; {
			n := 1 + r.IntN(min(len(rest), 100))
			pos = wire.MaskBytes(key, pos, rest[:n])
			rest = rest[n:]
		}
		if !bytes.Equal(whole, pieces) {
			t.Fatal("masking in pieces differs from masking whole")
		}
		wire.MaskBytes(key, 0, whole)
		if !bytes.Equal(whole, data) {
			t.Fatal("masking twice does not restore the payload")
		}
	}
}

func TestMaskBytesNoAllocs(t *testing.T) {
	b := make([]byte, 4096)
	if a := testing.AllocsPerRun(100, func() { wire.MaskBytes([4]byte{1, 2, 3, 4}, 1, b) }); a != 0 {
		t.Errorf("%v allocs", a)
	}
}
