package deflate_test

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/wskit/websocket/deflate"
)

// The payloads of RFC 7692 §7.2.3, each "Hello".
var (
	rfcHello        = []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}                                     // §7.2.3.1
	rfcHelloAgain   = []byte{0xf2, 0x00, 0x11, 0x00, 0x00}                                                 // §7.2.3.2, after rfcHello
	rfcHelloStored  = []byte{0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}             // §7.2.3.3
	rfcHelloBFINAL  = []byte{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}                               // §7.2.3.4
	rfcHelloTwoBlks = []byte{0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00} // §7.2.3.5
)

// RFC 7692 §7.2.2, §7.2.3: the examples of the RFC inflate to "Hello" in
// every flow, split into two frames at every point and read in every way.
func TestRFC7692Section7_2_3Examples(t *testing.T) {
	examples := map[string][]byte{
		"7.2.3.1 one block":    rfcHello,
		"7.2.3.3 stored block": rfcHelloStored,
		"7.2.3.4 BFINAL set":   rfcHelloBFINAL,
		"7.2.3.5 two blocks":   rfcHelloTwoBlks,
	}
	for name, payload := range examples {
		for _, f := range allFlows() {
			d := deflate.NewDecompressor(f)
			for cut := 0; cut <= len(payload); cut++ {
				for _, ch := range []chunking{whole, single} {
					frames := [][]byte{payload[:cut], payload[cut:]}
					got, err := decompressMessage(d, frames, ch, ch, nil)
					if err != nil || string(got) != "Hello" {
						t.Fatalf("%s, %s, cut at %d, %v: %q, %v", name, flowName(f), cut, ch, got, err)
					}
				}
			}
		}
	}
}

// RFC 7692 §7.2.3.2: with context takeover the second message refers to the
// first; without, the same payload refers to nothing and is invalid.
func TestRFC7692Section7_2_3_2SharingWindow(t *testing.T) {
	for _, first := range [][]byte{rfcHello, rfcHelloBFINAL, rfcHelloStored} {
		d := deflate.NewDecompressor(deflate.Flow{})
		for i, p := range [][]byte{first, rfcHelloAgain, rfcHelloAgain} {
			got, err := decompressMessage(d, [][]byte{p}, single, whole, nil)
			if err != nil || string(got) != "Hello" {
				t.Fatalf("after % x, message %d: %q, %v", first, i, got, err)
			}
		}
		d = deflate.NewDecompressor(deflate.Flow{NoContextTakeover: true})
		if _, err := decompressMessage(d, [][]byte{first}, whole, whole, nil); err != nil {
			t.Fatal(err)
		}
		_, err := decompressMessage(d, [][]byte{rfcHelloAgain}, whole, whole, nil)
		checkCorrupt(t, err)
	}
}

// RFC 7692 §7.2.3.4: a peer may end blocks with BFINAL set, and more data
// may follow in the same message, referring to what came before.
func TestRFC7692Section7_2_3_4FinalBlocksInsideMessage(t *testing.T) {
	// "Hello" (final block), an empty stored block, then "Hello" again as a
	// back-reference, as a peer that restarts its stream after each final
	// block with the history as dictionary would send it.
	payload := append(bytes.Clone(rfcHelloBFINAL[:7]), 0x00, 0x00, 0x00, 0xff, 0xff)
	payload = append(payload, rfcHelloAgain...)
	for _, f := range allFlows() {
		d := deflate.NewDecompressor(f)
		for _, ch := range []chunking{whole, single} {
			got, err := decompressMessage(d, [][]byte{payload}, ch, ch, nil)
			if err != nil || string(got) != "HelloHello" {
				t.Fatalf("%s: %q, %v", flowName(f), got, err)
			}
		}
	}
	// compress/flate ending each message with Close: a final empty stored
	// block whose LEN and NLEN are the removed tail.
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, 5)
	w.Write([]byte("a message ended with Close"))
	w.Close()
	closed := bytes.TrimSuffix(buf.Bytes(), []byte{0, 0, 0xff, 0xff})
	d := deflate.NewDecompressor(deflate.Flow{})
	for range 3 {
		got, err := decompressMessage(d, [][]byte{closed}, single, whole, nil)
		if err != nil || string(got) != "a message ended with Close" {
			t.Fatalf("closed stream: %q, %v", got, err)
		}
	}
}

// A message made of many tiny final blocks would restart the inflater, and
// copy the history, for every two bytes: beyond a few, each needs
// minBytesPerFinalBlock of payload.
func TestFinalBlockBudget(t *testing.T) {
	emptyFinal := []byte{0x03, 0x00} // a fixed block with BFINAL set and only end-of-block
	d := deflate.NewDecompressor(deflate.Flow{})
	got, err := decompressMessage(d, [][]byte{bytes.Repeat(emptyFinal, 4)}, whole, whole, nil)
	if err != nil || len(got) != 0 {
		t.Fatalf("4 final blocks: %q, %v", got, err)
	}
	_, err = decompressMessage(d, [][]byte{bytes.Repeat(emptyFinal, 10_000)}, whole, whole, nil)
	checkCorrupt(t, err)
}

// RFC 7692 §7.2.2: an empty payload (which a zlib-based peer inflates to
// nothing) and the single byte 0x00 are both the empty message.
func TestRFC7692Section7_2_2EmptyPayload(t *testing.T) {
	for _, f := range allFlows() {
		d := deflate.NewDecompressor(f)
		for i, frames := range [][][]byte{nil, {{}}, {{0x00}}, {{}, {0x00}, {}}} {
			got, err := decompressMessage(d, frames, whole, whole, nil)
			if err != nil || len(got) != 0 {
				t.Fatalf("%s case %d: %q, %v", flowName(f), i, got, err)
			}
		}
		d.Reset(nil)
		if n, err := d.Read(make([]byte, 10)); n != 0 || err != io.EOF {
			t.Fatalf("nil payload: %d, %v", n, err)
		}
	}
}

// Invalid DEFLATE data fails with ErrCorrupt (1007), again on every Read
// until Reset, and the next message decodes.
func TestRFC7692Section7_2_2Corrupt(t *testing.T) {
	big := textPayload(100_000, 1)
	c := deflate.NewCompressor(deflate.Flow{}, 0)
	bigPayload := c.Finish(c.Compress(nil, big))
	tests := map[string][]byte{
		"reserved block type":            {0x06, 0x00},
		"stored LEN and NLEN":            {0x00, 0x05, 0x00, 0x05, 0x00, 'H', 'e', 'l', 'l', 'o'},
		"reference before any data":      rfcHelloAgain,
		"truncated":                      bigPayload[:len(bigPayload)/2],
		"garbage":                        randomPayload(300, 3),
		"dynamic header over-subscribed": {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	}
	for name, payload := range tests {
		for _, f := range []deflate.Flow{{}, {NoContextTakeover: true}, {WindowBits: 9}} {
			d := deflate.NewDecompressor(f)
			got, err := decompressMessage(d, [][]byte{payload}, whole, randomPieces, rand.New(rand.NewPCG(1, 2)))
			if err == nil {
				t.Fatalf("%s: inflated to %q", name, got)
			}
			checkCorrupt(t, err)
			if n, err2 := d.Read(make([]byte, 10)); n != 0 || err2 != err {
				t.Fatalf("%s: Read after the error: %d, %v", name, n, err2)
			}
			got, err = decompressMessage(d, [][]byte{rfcHello}, whole, whole, nil)
			if err != nil || string(got) != "Hello" {
				t.Fatalf("%s: next message: %q, %v", name, got, err)
			}
		}
	}
}

// errSource is what a connection's payload reader might fail with.
var errSource = errors.New("connection reset")

type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data[:min(len(r.data), 3)])
	r.data = r.data[n:]
	return n, nil
}

// An error from the payload reader comes back as it is, not as ErrCorrupt:
// it is the connection's, with its own close code.
func TestDecompressorSourceError(t *testing.T) {
	c := deflate.NewCompressor(deflate.Flow{}, 0)
	payload := c.Finish(c.Compress(nil, textPayload(10_000, 2)))
	for _, cut := range []int{0, 1, 10, len(payload) / 2, len(payload)} {
		d := deflate.NewDecompressor(deflate.Flow{})
		d.Reset(&failingReader{data: payload[:cut], err: errSource})
		_, err := readAll(d, randomPieces, rand.New(rand.NewPCG(3, 4)))
		if err != errSource {
			t.Fatalf("cut %d: %v, want the source's error", cut, err)
		}
	}
}

// With context takeover, a message abandoned before its end loses the
// history: a later message that refers to it fails cleanly instead of
// producing wrong data.
func TestDecompressorAbandonedMessage(t *testing.T) {
	msg := textPayload(20_000, 3)
	for _, abandon := range []string{"Reset", "Release"} {
		c := deflate.NewCompressor(deflate.Flow{}, 0)
		d := deflate.NewDecompressor(deflate.Flow{})
		first := c.Finish(c.Compress(nil, msg))
		second := c.Finish(c.Compress(nil, msg))
		d.Reset(bytes.NewReader(first))
		if _, err := io.ReadFull(d, make([]byte, 100)); err != nil {
			t.Fatal(err)
		}
		if abandon == "Release" {
			d.Release()
			if n, err := d.Read(make([]byte, 10)); n != 0 || err != io.EOF {
				t.Fatalf("Read after Release: %d, %v", n, err)
			}
		}
		_, err := decompressMessage(d, [][]byte{second}, whole, whole, nil)
		checkCorrupt(t, err)
	}
}

// Read with an empty buffer reads nothing; between messages Read says io.EOF.
func TestDecompressorReadEdges(t *testing.T) {
	d := deflate.NewDecompressor(deflate.Flow{})
	if n, err := d.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Fatalf("before any message: %d, %v", n, err)
	}
	d.Reset(bytes.NewReader(rfcHello))
	if n, err := d.Read(nil); n != 0 || err != nil {
		t.Fatalf("empty buffer: %d, %v", n, err)
	}
	got, err := readAll(d, single, nil)
	if err != nil || string(got) != "Hello" {
		t.Fatalf("%q, %v", got, err)
	}
	for range 2 {
		if n, err := d.Read(make([]byte, 10)); n != 0 || err != io.EOF {
			t.Fatalf("after the message: %d, %v", n, err)
		}
	}
	d.Release() // between messages: nothing to do
}

// zeroBomb is a payload reader that yields copies of a DEFLATE chunk that
// inflates to 1 MiB of zeros, times times: about 1 KiB in for every MiB out.
type zeroBomb struct {
	chunk []byte
	times int
	pos   int
	read  int64
}

func newZeroBomb(t testing.TB, times int) *zeroBomb {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write(make([]byte, 1<<20))
	w.Flush()
	return &zeroBomb{chunk: buf.Bytes(), times: times}
}

func (z *zeroBomb) Read(p []byte) (int, error) {
	if z.times == 0 {
		return 0, io.EOF
	}
	n := copy(p, z.chunk[z.pos:])
	z.pos += n
	z.read += int64(n)
	if z.pos == len(z.chunk) {
		z.pos = 0
		z.times--
	}
	return n, nil
}

// A message that inflates to 1 GiB from about 1 MiB (DEFLATE's ratio is at
// most about 1032:1) is stopped at a limit on decompressed size, reading
// little of the input and allocating a fixed amount of memory, not the
// message: what a connection's max message size relies on.
func TestDecompressionBombBounded(t *testing.T) {
	const limit = 64 << 20
	for _, f := range []deflate.Flow{{}, {NoContextTakeover: true}, {WindowBits: 10}} {
		bomb := newZeroBomb(t, 1024)
		d := deflate.NewDecompressor(f)
		buf := make([]byte, 32<<10)

		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		d.Reset(bomb)
		total := 0
		for total <= limit {
			n, err := d.Read(buf)
			if n > len(buf) {
				t.Fatalf("Read returned %d bytes into %d", n, len(buf))
			}
			total += n
			if err != nil {
				t.Fatalf("after %d bytes: %v", total, err)
			}
		}
		d.Release()
		runtime.ReadMemStats(&after)

		allocated := after.TotalAlloc - before.TotalAlloc
		t.Logf("%s: stopped after %d MiB out, %d KiB in; %d KiB allocated; heap %d -> %d KiB",
			flowName(f), total>>20, bomb.read>>10, allocated>>10, before.HeapAlloc>>10, after.HeapAlloc>>10)
		if total > limit+len(buf) {
			t.Errorf("read %d bytes past a limit of %d", total, limit)
		}
		if allocated > 1<<20 {
			t.Errorf("allocated %d bytes while inflating %d", allocated, total)
		}
		if bomb.read > 1<<20 {
			t.Errorf("read %d bytes of input for %d of output", bomb.read, total)
		}
	}
}

// readCorpusBytes returns the first []byte value of a fuzz corpus file.
func readCorpusBytes(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(s)
}

// Working memory goes from one Decompressor to another through a pool, so
// nothing of an earlier message may change how a later one inflates: the
// same invalid payload gives the same bytes and error whatever was
// inflated before. (klauspost/compress/flate's reader keeps Huffman tables
// across Reset and fails this; compress/flate passes.)
func TestDecompressorPooledStateDoesNotLeak(t *testing.T) {
	payload := readCorpusBytes(t, "testdata/fuzz/FuzzDecompressor/pooled_state_leak")
	f := deflate.Flow{WindowBits: 10}
	want, wantErr := decompressMessage(deflate.NewDecompressor(f), [][]byte{payload}, whole, whole, nil)
	checkCorrupt(t, wantErr)
	c := deflate.NewCompressor(deflate.Flow{}, 0)
	for i := range 300 {
		var prev []byte
		switch i % 3 {
		case 0:
			prev = c.Finish(c.Compress(nil, textPayload(100+i*7, uint64(i))))
		case 1:
			prev = randomPayload(200, uint64(i))
		case 2:
			prev = bytes.Clone(payload)
			r := rand.New(rand.NewPCG(uint64(i), 5))
			for range 3 {
				prev[r.IntN(len(prev))] ^= byte(1 << r.IntN(8))
			}
		}
		decompressMessage(deflate.NewDecompressor(deflate.Flow{}), [][]byte{prev}, whole, whole, nil)
		got, err := decompressMessage(deflate.NewDecompressor(f), [][]byte{payload}, whole, whole, nil)
		if err != wantErr || !bytes.Equal(got, want) {
			t.Fatalf("after %d other messages: %d bytes, %v; alone: %d bytes, %v", i, len(got), err, len(want), wantErr)
		}
	}
}
