package deflate_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/wskit/websocket/deflate"
)

// inflatePush inflates one message with z, writing its frames' payloads in
// pieces as in says and reading into buffers sized as out says, as a driver
// that pushes input would. It stops at limit bytes of output.
func inflatePush(t testing.TB, z *deflate.Inflater, frames [][]byte, in, out chunking, r *rand.Rand, limit int) ([]byte, error) {
	var got []byte
	buf := make([]byte, 64<<10)
	read := func() (bool, error) {
		for len(got) <= limit {
			n := len(buf)
			switch out {
			case single:
				n = 1
			case randomPieces:
				n = 1 + r.IntN(5000)
			}
			m, err := z.Read(buf[:n])
			if m > n {
				t.Fatalf("Read returned %d bytes into a buffer of %d", m, n)
			}
			got = append(got, buf[:m]...)
			if err != nil {
				return true, err
			}
			if m == 0 {
				return false, nil // needs input
			}
		}
		return true, nil
	}
	for _, f := range frames {
		for _, p := range split(f, in, r) {
			for len(p) > 0 {
				n := z.Write(p)
				p = p[n:]
				if done, err := read(); done {
					return got, endErr(err)
				}
				if n == 0 && z.Free() == 0 {
					t.Fatalf("Write took nothing and Read wants input")
				}
			}
		}
	}
	z.End()
	done, err := read()
	if !done {
		t.Fatalf("Read wants input after End")
	}
	return got, endErr(err)
}

func endErr(err error) error {
	if err == io.EOF {
		return nil
	}
	return err
}

// TestInflaterRFC7692Section7_2 inflates what the Compressor makes, with
// and without context takeover, whatever the input and output chunking,
// to the bytes compressed.
func TestInflaterRFC7692Section7_2(t *testing.T) {
	msgs := [][]byte{
		textPayload(3000, 1), {}, []byte("Hello"), textPayload(200<<10, 2),
		randomPayload(100<<10, 3), textPayload(3000, 1), bytes.Repeat([]byte{'a'}, 300<<10),
	}
	for _, flow := range []deflate.Flow{{}, {NoContextTakeover: true}, {WindowBits: 9}} {
		for _, in := range []chunking{whole, single, randomPieces} {
			for _, out := range []chunking{whole, single, randomPieces} {
				r := rand.New(rand.NewPCG(uint64(in), uint64(out)))
				c := deflate.NewCompressor(flow, 0)
				z := deflate.NewInflater(flow)
				for i, m := range msgs {
					if (in == single || out == single) && len(m) > 4000 {
						continue
					}
					frames := compressMessage(c, m, randomPieces, r, 3)
					got, err := inflatePush(t, z, frames, in, out, r, 1<<30)
					if err != nil {
						t.Fatalf("%+v in %v out %v message %d: %v", flow, in, out, i, err)
					}
					if !bytes.Equal(got, m) {
						t.Fatalf("%+v in %v out %v message %d: %d bytes, want %d", flow, in, out, i, len(got), len(m))
					}
				}
			}
		}
	}
}

// TestInflaterFinalBlocks: a final block inside a message (RFC 7692
// §7.2.3.4) is followed by the rest of it, and an empty payload is an
// empty message.
func TestInflaterFinalBlocks(t *testing.T) {
	for _, in := range []chunking{whole, single} {
		z := deflate.NewInflater(deflate.Flow{})
		r := rand.New(rand.NewPCG(1, 2))
		for _, c := range []struct {
			payload []byte
			want    string
		}{
			{rfcHello, "Hello"},
			{rfcHelloBFINAL, "Hello"},
			{rfcHelloTwoBlks, "Hello"},
			{nil, ""},
			{rfcHelloAgain, "Hello"},
		} {
			got, err := inflatePush(t, z, [][]byte{c.payload}, in, whole, r, 1<<20)
			if err != nil || string(got) != c.want {
				t.Fatalf("%v: % x inflated to %q, %v; want %q", in, c.payload, got, err, c.want)
			}
		}
	}
}

// TestInflaterCorrupt: invalid data fails with ErrCorrupt, and so does a
// run of empty blocks longer than the lookahead, which no compressor makes.
func TestInflaterCorrupt(t *testing.T) {
	z := deflate.NewInflater(deflate.Flow{})
	_, err := inflatePush(t, z, [][]byte{{0xff, 0xff, 0xff}}, whole, whole, nil, 1<<20)
	checkCorrupt(t, err)

	z = deflate.NewInflater(deflate.Flow{})
	empty := bytes.Repeat([]byte{0x00, 0x00, 0x00, 0xff, 0xff}, deflate.InflaterLookahead/5+100)
	_, err = inflatePush(t, z, [][]byte{empty}, whole, whole, nil, 1<<20)
	checkCorrupt(t, err)
	if n, err := z.Read(make([]byte, 10)); n != 0 || !errors.Is(err, deflate.ErrCorrupt) {
		t.Fatalf("Read after a failure: %d, %v; want the failure again", n, err)
	}
}

// TestInflaterMemory: the input held never exceeds the lookahead and its
// slack, however much is written at once.
func TestInflaterMemory(t *testing.T) {
	c := deflate.NewCompressor(deflate.Flow{}, 0)
	payload := join(compressMessage(c, randomPayload(1<<20, 9), whole, nil, 0))
	z := deflate.NewInflater(deflate.Flow{})
	taken := z.Write(payload)
	if taken >= len(payload) || taken > deflate.InflaterLookahead+16<<10 {
		t.Fatalf("Write took %d of %d bytes at once", taken, len(payload))
	}
	if z.Write(payload[taken:]) != 0 {
		t.Fatalf("Write took more while the input is full")
	}
}

// FuzzInflater: any payload inflates with the Inflater, in any chunking, to
// the same bytes and the same failure as with the Decompressor.
func FuzzInflater(f *testing.F) {
	c := deflate.NewCompressor(deflate.Flow{}, 0)
	text := join(compressMessage(c, textPayload(3000, 1), whole, nil, 0))
	f.Add(rfcHello, uint8(0), uint16(0))
	f.Add(append(bytes.Clone(rfcHello), rfcHelloAgain...), uint8(0), uint16(len(rfcHello)))
	f.Add(rfcHelloBFINAL, uint8(1), uint16(3))
	f.Add(text, uint8(30), uint16(len(text)/2))
	f.Add(bytes.Repeat([]byte{0x03, 0x00}, 50), uint8(0), uint16(7))
	f.Fuzz(func(t *testing.T, data []byte, flags uint8, cut uint16) {
		fl := fuzzFlow(flags)
		at := int(cut) % (len(data) + 1)
		msgs := [][]byte{data[:at], data[at:]}
		r := rand.New(rand.NewPCG(uint64(cut), uint64(flags)))
		d := deflate.NewDecompressor(fl)
		z := deflate.NewInflater(fl)
		for i, m := range msgs {
			want, werr := inflateLimited(d, [][]byte{m}, whole, whole, r)
			got, gerr := inflatePush(t, z, [][]byte{m}, randomPieces, randomPieces, r, fuzzOutputLimit)
			if len(got) > fuzzOutputLimit {
				got = got[:fuzzOutputLimit+1]
			}
			if (werr == nil) != (gerr == nil) || gerr != nil && !errors.Is(gerr, deflate.ErrCorrupt) {
				t.Fatalf("message %d: Decompressor %v, Inflater %v", i, werr, gerr)
			}
			if werr == nil && !bytes.Equal(got, want) {
				t.Fatalf("message %d: Decompressor %d bytes, Inflater %d", i, len(want), len(got))
			}
			if werr != nil {
				return
			}
		}
	})
}
