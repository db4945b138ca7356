package wire_test

import (
	"fmt"
	"testing"

	"github.com/wskit/websocket/wire"
)

var benchSizes = []int{16, 125, 1 << 10, 4 << 10, 64 << 10, 1 << 20}

func BenchmarkMaskBytes(b *testing.B) {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	for _, n := range benchSizes {
		buf := make([]byte, n+1)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				wire.MaskBytes(key, 0, buf[:n])
			}
		})
		b.Run(fmt.Sprint(n, "-unaligned"), func(b *testing.B) {
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				wire.MaskBytes(key, 3, buf[1:n+1])
			}
		})
	}
}

// BenchmarkMaskNaive is the byte-at-a-time definition, for comparison.
func BenchmarkMaskNaive(b *testing.B) {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	for _, n := range []int{1 << 10, 64 << 10} {
		buf := make([]byte, n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			for b.Loop() {
				maskNaive(key, 0, buf)
			}
		})
	}
}

func BenchmarkParseHeader(b *testing.B) {
	for _, n := range []int64{16, 1 << 10, 1 << 20} {
		raw := wire.AppendHeader(nil, wire.Header{Fin: true, Opcode: wire.OpBinary, Masked: true, Mask: [4]byte{1, 2, 3, 4}, Length: n})
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := wire.ParseHeader(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAppendHeader(b *testing.B) {
	buf := make([]byte, 0, wire.MaxHeaderSize)
	for _, n := range []int64{16, 1 << 10, 1 << 20} {
		h := wire.Header{Fin: true, Opcode: wire.OpBinary, Masked: true, Mask: [4]byte{1, 2, 3, 4}, Length: n}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.SetBytes(int64(h.Size()))
			b.ReportAllocs()
			for b.Loop() {
				buf = wire.AppendHeader(buf[:0], h)
			}
		})
	}
}

// BenchmarkDecoder decodes a stream of masked frames of one size, fed in
// 32 KiB reads as a connection would, unmasking every payload.
func BenchmarkDecoder(b *testing.B) {
	for _, n := range []int{16, 1 << 10, 64 << 10} {
		var stream []byte
		for len(stream) < 256<<10 {
			stream = wire.AppendFrame(stream, wire.Header{Fin: true, Opcode: wire.OpBinary, Masked: true, Mask: [4]byte{1, 2, 3, 4}}, make([]byte, n))
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.SetBytes(int64(len(stream)))
			b.ReportAllocs()
			var d wire.Decoder
			var ev wire.Event
			for b.Loop() {
				for off := 0; off < len(stream); off += 32 << 10 {
					p := stream[off:min(off+32<<10, len(stream))]
					for len(p) > 0 {
						used, err := d.Decode(p, &ev)
						if err != nil {
							b.Fatal(err)
						}
						p = p[used:]
					}
				}
			}
		})
	}
}
