package deflate_test

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/wskit/websocket/deflate"
)

// These tests check the package against compress/flate, an independent
// DEFLATE implementation, in both directions.

func interopMessages() [][]byte {
	var msgs [][]byte
	for i := range 12 {
		switch i % 4 {
		case 0:
			msgs = append(msgs, textPayload(100+i*50, uint64(i)))
		case 1:
			msgs = append(msgs, textPayload(20_000+i*1000, uint64(i)))
		case 2:
			msgs = append(msgs, randomPayload(3000, uint64(i)))
		default:
			msgs = append(msgs, textPayload(100+i*50, uint64(i-3))) // a repeat
		}
	}
	return append(msgs, []byte{}, textPayload(500_000, 99))
}

// lastWindow returns the last 32 KiB of b: the history a DEFLATE stream
// may refer to.
func lastWindow(b []byte) []byte { return b[max(0, len(b)-(1<<15)):] }

// RFC 7692 §7.2.1: what the Compressor sends, with the tail put back,
// inflates with compress/flate: as one stream across messages with context
// takeover, message by message from a dictionary (NewReaderDict), and each
// message alone without.
func TestRFC7692Section7_2_1InteropCompressFlateReads(t *testing.T) {
	msgs := interopMessages()
	for _, f := range allFlows() {
		t.Run(flowName(f), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(uint64(f.WindowBits), 1))
			c := deflate.NewCompressor(f, 0)
			var stream []byte
			var payloads [][]byte
			for _, m := range msgs {
				p := join(compressMessage(c, m, randomPieces, rng, rng.IntN(3)))
				payloads = append(payloads, p)
				stream = append(stream, withTail(p)...)
			}
			if !f.NoContextTakeover {
				// One inflater over all messages, as a peer with context
				// takeover keeps it.
				r := flate.NewReader(bytes.NewReader(stream))
				for i, m := range msgs {
					got := make([]byte, len(m))
					if _, err := io.ReadFull(r, got); err != nil || !bytes.Equal(got, m) {
						t.Fatalf("stream, message %d: %v", i, err)
					}
				}
			}
			var hist []byte
			for i, m := range msgs {
				r := flate.NewReaderDict(bytes.NewReader(withTail(payloads[i])), lastWindow(hist))
				got, err := io.ReadAll(r)
				if err != io.ErrUnexpectedEOF || !bytes.Equal(got, m) {
					t.Fatalf("message %d alone: %d bytes, %v", i, len(got), err)
				}
				if !f.NoContextTakeover {
					hist = append(hist, m...)
				}
			}
		})
	}
}

// RFC 7692 §7.2.2: what compress/flate produces, sync-flushed and with the
// tail removed, inflates with the Decompressor: one writer across messages
// with context takeover, a writer primed with the history for each message
// (NewWriterDict), one ending each message with Close (BFINAL set), and a
// writer reset for each message without context takeover; at every level
// including stored and Huffman-only blocks.
func TestRFC7692Section7_2_2InteropDecompressFlateWrites(t *testing.T) {
	msgs := interopMessages()
	for _, level := range []int{flate.HuffmanOnly, flate.NoCompression, flate.BestSpeed, flate.DefaultCompression, flate.BestCompression} {
		for _, mode := range []string{"one writer", "dict per message", "close per message", "reset per message"} {
			t.Run(fmt.Sprintf("level=%d/%s", level, mode), func(t *testing.T) {
				t.Parallel()
				f := deflate.Flow{NoContextTakeover: mode == "reset per message"}
				d := deflate.NewDecompressor(f)
				rng := rand.New(rand.NewPCG(uint64(level+10), 2))
				var out bytes.Buffer
				w, _ := flate.NewWriter(&out, level)
				var hist []byte
				for i, m := range msgs {
					out.Reset()
					switch mode {
					case "one writer":
						w.Write(m)
						w.Flush()
					case "dict per message":
						w, _ = flate.NewWriterDict(&out, level, lastWindow(hist))
						w.Write(m)
						w.Flush()
					case "close per message":
						w, _ = flate.NewWriterDict(&out, level, lastWindow(hist))
						w.Write(m)
						w.Close()
					case "reset per message":
						w.Reset(&out)
						w.Write(m)
						w.Flush()
					}
					payload := bytes.TrimSuffix(out.Bytes(), []byte{0x00, 0x00, 0xff, 0xff})
					if len(payload) == out.Len() {
						t.Fatalf("message %d: flate output does not end with 00 00 ff ff", i)
					}
					frames := split(payload, randomPieces, rng)
					got, err := decompressMessage(d, frames, chunking(rng.IntN(3)), randomPieces, rng)
					if err != nil || !bytes.Equal(got, m) {
						t.Fatalf("message %d (%d bytes): %d bytes, %v", i, len(m), len(got), err)
					}
					hist = append(hist, m...)
				}
			})
		}
	}
}
