package deflate_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/handshake"
)

// fuzzFlow picks a flow from a fuzzer's byte.
func fuzzFlow(flags uint8) deflate.Flow {
	return deflate.Flow{NoContextTakeover: flags&1 != 0, WindowBits: 8 + int(flags>>1)%8}
}

// fuzzOutputLimit caps what a fuzzed message may inflate to, as a
// connection's limit would.
const fuzzOutputLimit = 1 << 20

// inflateLimited reads a message to its end, an error, or past the limit.
func inflateLimited(d *deflate.Decompressor, frames [][]byte, in, out chunking, r *rand.Rand) ([]byte, error) {
	d.Reset(payloadReader(frames, in, r))
	var got []byte
	buf := make([]byte, 8<<10)
	for len(got) <= fuzzOutputLimit {
		n := len(buf)
		if out == randomPieces {
			n = 1 + r.IntN(len(buf))
		}
		m, err := d.Read(buf[:n])
		got = append(got, buf[:m]...)
		if err == io.EOF {
			return got, nil
		}
		if err != nil {
			return got, err
		}
	}
	return got[:fuzzOutputLimit+1], nil
}

// FuzzDecompressor: any payload, cut into two messages, never panics, fails
// only with ErrCorrupt, and inflates to the same bytes and error whole and
// in pieces.
func FuzzDecompressor(f *testing.F) {
	c := deflate.NewCompressor(deflate.Flow{}, 0)
	text := join(compressMessage(c, textPayload(3000, 1), whole, nil, 0))
	text = append(text, join(compressMessage(c, textPayload(3000, 1), whole, nil, 0))...)
	f.Add(rfcHello, uint8(0), uint16(0))
	f.Add(append(bytes.Clone(rfcHello), rfcHelloAgain...), uint8(0), uint16(len(rfcHello)))
	f.Add(rfcHelloBFINAL, uint8(1), uint16(3))
	f.Add(rfcHelloTwoBlks, uint8(14), uint16(8))
	f.Add(text, uint8(30), uint16(len(text)/2))
	f.Add([]byte{0x06, 0x00}, uint8(2), uint16(1))
	f.Add(bytes.Repeat([]byte{0x03, 0x00}, 50), uint8(0), uint16(7))
	f.Fuzz(func(t *testing.T, data []byte, flags uint8, cut uint16) {
		fl := fuzzFlow(flags)
		at := int(cut) % (len(data) + 1)
		msgs := [][]byte{data[:at], data[at:]}
		type result struct {
			out []byte
			err error
		}
		run := func(in, out chunking, seed uint64) []result {
			r := rand.New(rand.NewPCG(seed, uint64(flags)))
			d := deflate.NewDecompressor(fl)
			var res []result
			for _, m := range msgs {
				got, err := inflateLimited(d, [][]byte{m}, in, out, r)
				if err != nil && !errors.Is(err, deflate.ErrCorrupt) {
					t.Fatalf("error %v is not ErrCorrupt", err)
				}
				res = append(res, result{got, err})
				if err != nil {
					break
				}
			}
			return res
		}
		a := run(whole, whole, 1)
		b := run(single, randomPieces, uint64(cut))
		if len(a) != len(b) {
			t.Fatalf("messages read: %d whole, %d in pieces", len(a), len(b))
		}
		for i := range a {
			if a[i].err != b[i].err || !bytes.Equal(a[i].out, b[i].out) {
				t.Fatalf("message %d: whole %d bytes, %v; in pieces %d bytes, %v", i, len(a[i].out), a[i].err, len(b[i].out), b[i].err)
			}
		}
	})
}

// FuzzParseParams: any Sec-WebSocket-Extensions value never panics;
// parameters that parse format back to themselves; a server's answer to
// the offers is well-formed, answers the offer it picked and passes the
// checks a client makes.
func FuzzParseParams(f *testing.F) {
	for _, s := range []string{
		"permessage-deflate",
		"permessage-deflate; client_max_window_bits",
		"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12",
		`permessage-deflate; server_max_window_bits="8", permessage-deflate`,
		"permessage-deflate; server_max_window_bits=7, permessage-deflate; client_max_window_bits=15",
		"permessage-deflate; client_no_context_takeover; client_no_context_takeover",
		"x-webkit-deflate-frame, permessage-deflate; foo=bar",
	} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, header string, flags uint8) {
		offers, err := parseHeaderErr(header)
		if err != nil {
			return
		}
		var firstValid *deflate.Params
		for _, e := range offers {
			p, err := deflate.ParseParams(e)
			if err != nil {
				if !errors.Is(err, deflate.ErrBadParams) {
					t.Fatalf("error %v does not wrap ErrBadParams", err)
				}
				continue
			}
			again, err := deflate.ParseParams(p.Extension())
			if err != nil || again != p {
				t.Fatalf("%v parsed to %+v, which formats to %v and parses to %+v, %v", e, p, p.Extension(), again, err)
			}
			if firstValid == nil {
				firstValid = &p
			}
		}
		opts := deflate.Options{
			NoContextTakeover:     flags&1 != 0,
			PeerNoContextTakeover: flags&2 != 0,
			WindowBits:            int(flags>>2) % 16,
		}
		resp, a, ok := deflate.ServerAccept(offers, opts)
		if ok != (firstValid != nil) {
			t.Fatalf("ServerAccept ok = %v with first valid offer %+v", ok, firstValid)
		}
		if !ok {
			return
		}
		p, err := deflate.ParseParams(resp)
		if err != nil || p != a.Params || p.ClientMaxWindowBits == deflate.NoValue {
			t.Fatalf("response %v: %+v, %v", resp, p, err)
		}
		if err := deflate.CheckResponse(*firstValid, p); err != nil {
			t.Fatalf("response %v does not answer offer %+v: %v", resp, *firstValid, err)
		}
		if _, err := handshake.ParseExtensions(extHeaderOf(resp)); err != nil {
			t.Fatalf("response %v does not parse: %v", resp, err)
		}
	})
}

// FuzzRoundTrip: any data, compressed in any flow with a fragment boundary
// anywhere, inflates back and never refers beyond the window.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte(""), uint8(0), uint16(0))
	f.Add([]byte("Hello"), uint8(1), uint16(2))
	f.Add(textPayload(5000, 1), uint8(14), uint16(700))
	f.Add(randomPayload(1000, 2), uint8(3), uint16(999))
	f.Add(bytes.Repeat([]byte("abcdefgh"), 200), uint8(0), uint16(300))
	f.Fuzz(func(t *testing.T, data []byte, flags uint8, cut uint16) {
		if len(data) > 4<<10 {
			// Larger inputs find nothing more, and make minimizing slow.
			data = data[:4<<10]
		}
		fl := fuzzFlow(flags)
		c := deflate.NewCompressor(fl, 1+int(flags>>4)%9)
		d := deflate.NewDecompressor(fl)
		at := int(cut) % (len(data) + 1)
		var hist []byte
		for range 2 {
			frames := [][]byte{c.Flush(c.Compress(nil, data[:at])), c.Finish(c.Compress(nil, data[at:]))}
			got, err := decompressMessage(d, frames, whole, whole, nil)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("round trip: %d bytes, %v", len(got), err)
			}
			res, err := checkedInflate(withTail(join(frames)), hist, 1<<fl.WindowBits)
			if err != nil || !bytes.Equal(res.out, data) {
				t.Fatalf("test decoder: %v", err)
			}
			if !fl.NoContextTakeover {
				hist = append(hist, data...)
			}
		}
	})
}
