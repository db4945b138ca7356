package deflate_test

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"runtime"
	"testing"

	kflate "github.com/klauspost/compress/flate"
	"github.com/wskit/websocket/deflate"
)

// The benchmarks measure whole messages of JSON-like text, 150 B, 1 KiB
// and 64 KiB, a sequence of 64 different ones so that context takeover finds
// only what real traffic would. Compress reports the compressed size in
// percent of the input; every benchmark reports allocations per message.
// The Raw benchmarks do the same with compress/flate and
// klauspost/compress/flate directly, which is how each side's
// implementation was chosen:
//
//	go test -run='^$' -bench=. -count=6 ./deflate

var benchSizes = []int{150, 1 << 10, 64 << 10}

const benchMessageCount = 64

func benchMessages(n int) [][]byte {
	msgs := make([][]byte, benchMessageCount)
	for i := range msgs {
		msgs[i] = textPayload(n, uint64(1000+i))
	}
	return msgs
}

type benchFlow struct {
	name  string
	flow  deflate.Flow
	level int
}

var benchFlows = []benchFlow{
	{"takeover/level=1", deflate.Flow{}, 1},
	{"takeover/level=5", deflate.Flow{}, 5},
	{"takeover/level=7", deflate.Flow{}, 7},
	{"takeover/bits=12", deflate.Flow{WindowBits: 12}, 0},
	{"no-takeover/level=1", deflate.Flow{NoContextTakeover: true}, 1},
	{"no-takeover/level=5", deflate.Flow{NoContextTakeover: true}, 5},
}

func BenchmarkCompress(b *testing.B) {
	for _, n := range benchSizes {
		msgs := benchMessages(n)
		for _, bf := range benchFlows {
			b.Run(fmt.Sprintf("%d/%s", n, bf.name), func(b *testing.B) {
				c := deflate.NewCompressor(bf.flow, bf.level)
				dst := make([]byte, 0, 2*n)
				var in, out int64
				b.SetBytes(int64(n))
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					dst = c.Finish(c.Compress(dst[:0], msgs[i%benchMessageCount]))
					in += int64(n)
					out += int64(len(dst))
					i++
				}
				b.ReportMetric(100*float64(out)/float64(in), "%size")
			})
		}
	}
}

// compressSequence compresses msgs in order in flow f and returns the
// payloads.
func compressSequence(f deflate.Flow, level int, msgs [][]byte) [][]byte {
	c := deflate.NewCompressor(f, level)
	payloads := make([][]byte, len(msgs))
	for i, m := range msgs {
		payloads[i] = c.Finish(c.Compress(nil, m))
	}
	return payloads
}

func BenchmarkDecompress(b *testing.B) {
	for _, n := range benchSizes {
		msgs := benchMessages(n)
		for _, bf := range benchFlows {
			if bf.level > 1 {
				continue // the level does not change the work of inflating much
			}
			// The first message refers to nothing before it, so the
			// sequence can be read over and over with context takeover.
			payloads := compressSequence(bf.flow, bf.level, msgs)
			b.Run(fmt.Sprintf("%d/%s", n, bf.name), func(b *testing.B) {
				d := deflate.NewDecompressor(bf.flow)
				src := new(bytes.Reader)
				buf := make([]byte, 32<<10)
				b.SetBytes(int64(n))
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					src.Reset(payloads[i%benchMessageCount])
					d.Reset(src)
					for {
						_, err := d.Read(buf)
						if err == io.EOF {
							break
						}
						if err != nil {
							b.Fatal(err)
						}
					}
					i++
				}
			})
		}
	}
}

// rawWriter is what the Raw benchmarks need of a DEFLATE writer.
type rawWriter interface {
	io.Writer
	Flush() error
	Reset(io.Writer)
}

// BenchmarkRawCompress is BenchmarkCompress with compress/flate and
// klauspost/compress/flate used directly: one writer flushed after each
// message with context takeover, reset before each message without. This is
// how the compressor's implementation was chosen; compress/flate has no
// window below 32 KiB, so it has no bits=12 case.
func BenchmarkRawCompress(b *testing.B) {
	for _, lib := range []string{"stdlib", "klauspost"} {
		for _, n := range benchSizes {
			msgs := benchMessages(n)
			for _, bf := range benchFlows {
				if lib == "stdlib" && bf.flow.WindowBits != 0 {
					continue
				}
				b.Run(fmt.Sprintf("%s/%d/%s", lib, n, bf.name), func(b *testing.B) {
					var out bytes.Buffer
					var w rawWriter
					switch {
					case lib == "stdlib":
						w, _ = flate.NewWriter(&out, bf.level)
					case bf.flow.WindowBits != 0:
						w, _ = kflate.NewWriterWindow(&out, 1<<bf.flow.WindowBits)
					default:
						w, _ = kflate.NewWriter(&out, bf.level)
					}
					var in, total int64
					b.SetBytes(int64(n))
					b.ReportAllocs()
					i := 0
					for b.Loop() {
						out.Reset()
						if bf.flow.NoContextTakeover {
							w.Reset(&out)
						}
						w.Write(msgs[i%benchMessageCount])
						w.Flush()
						in += int64(n)
						total += int64(out.Len() - 4)
						i++
					}
					b.ReportMetric(100*float64(total)/float64(in), "%size")
				})
			}
		}
	}
}

// BenchmarkRawDecompress is BenchmarkDecompress with compress/flate and
// klauspost/compress/flate used directly: a reader reset for each message,
// with the history as dictionary when there is context takeover. This is
// how the decompressor's implementation was chosen (with
// TestDecompressorPooledStateDoesNotLeak).
func BenchmarkRawDecompress(b *testing.B) {
	for _, lib := range []string{"stdlib", "klauspost"} {
		for _, n := range benchSizes {
			msgs := benchMessages(n)
			for _, bf := range benchFlows {
				if bf.level > 1 || bf.flow.WindowBits != 0 {
					continue
				}
				payloads := compressSequence(bf.flow, bf.level, msgs)
				dicts := make([][]byte, len(msgs))
				if !bf.flow.NoContextTakeover {
					var hist []byte
					for i, m := range msgs {
						dicts[i] = lastWindow(hist)
						hist = append(hist, m...)
					}
				}
				srcs := make([][]byte, len(payloads))
				for i, p := range payloads {
					srcs[i] = append(withTail(p), 0x01, 0x00, 0x00, 0xff, 0xff)
				}
				b.Run(fmt.Sprintf("%s/%d/%s", lib, n, bf.name), func(b *testing.B) {
					src := new(bytes.Reader)
					var r io.Reader
					if lib == "stdlib" {
						r = flate.NewReader(src)
					} else {
						r = kflate.NewReader(src)
					}
					buf := make([]byte, 32<<10)
					b.SetBytes(int64(n))
					b.ReportAllocs()
					i := 0
					for b.Loop() {
						k := i % benchMessageCount
						src.Reset(srcs[k])
						r.(flate.Resetter).Reset(src, dicts[k])
						for {
							_, err := r.Read(buf)
							if err == io.EOF {
								break
							}
							if err != nil {
								b.Fatal(err)
							}
						}
						i++
					}
				})
			}
		}
	}
}

// heapInUse returns the bytes of live heap objects after two collections,
// so that pooled memory, which is shared and not held by any connection,
// is not counted.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// idlePairBytes creates n compressor and decompressor pairs in flow f, as n
// idle connections would hold them, sends one 1 KiB message through each,
// releases the compressors if release is set, and returns the heap held
// per pair.
func idlePairBytes(n int, f deflate.Flow, release bool) float64 {
	msg := textPayload(1<<10, 1)
	before := heapInUse()
	cs := make([]*deflate.Compressor, n)
	ds := make([]*deflate.Decompressor, n)
	src := new(bytes.Reader)
	buf := make([]byte, 4<<10)
	for i := range cs {
		cs[i], ds[i] = deflate.NewCompressor(f, 0), deflate.NewDecompressor(f)
		src.Reset(cs[i].Finish(cs[i].Compress(nil, msg)))
		ds[i].Reset(src)
		for {
			if _, err := ds[i].Read(buf); err != nil {
				break
			}
		}
		if release {
			cs[i].Release()
		}
	}
	after := heapInUse()
	runtime.KeepAlive(cs)
	runtime.KeepAlive(ds)
	return float64(after-before) / float64(n)
}

// BenchmarkIdleMemory reports the heap held per idle connection for its
// compressor and decompressor, after one message each way.
func BenchmarkIdleMemory(b *testing.B) {
	for _, c := range []struct {
		name    string
		flow    deflate.Flow
		release bool
	}{
		{"takeover/released", deflate.Flow{}, true},
		{"takeover/held", deflate.Flow{}, false},
		{"takeover-bits=10/released", deflate.Flow{WindowBits: 10}, true},
		{"no-takeover", deflate.Flow{NoContextTakeover: true}, false},
	} {
		b.Run(c.name, func(b *testing.B) {
			var per float64
			for b.Loop() {
				per = idlePairBytes(64, c.flow, c.release)
			}
			b.ReportMetric(per, "B/idle-pair")
		})
	}
}

// Between messages a connection holds no more than the history context
// takeover needs: 2^WindowBits bytes each way once the compressor is
// released, nothing without context takeover.
func TestIdleMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the heap")
	}
	for _, c := range []struct {
		flow    deflate.Flow
		release bool
		limit   float64
	}{
		{deflate.Flow{}, true, 2*32<<10 + 4<<10},
		{deflate.Flow{WindowBits: 10}, true, 2*1<<10 + 2<<10},
		{deflate.Flow{NoContextTakeover: true}, false, 2 << 10},
	} {
		per := idlePairBytes(64, c.flow, c.release)
		t.Logf("%s: %.0f bytes per idle pair", flowName(c.flow), per)
		if per > c.limit {
			t.Errorf("%s: %.0f bytes per idle pair, want at most %.0f", flowName(c.flow), per, c.limit)
		}
	}
}
