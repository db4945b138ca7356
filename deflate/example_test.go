package deflate_test

import (
	"bytes"
	"fmt"
	"io"
	"log"

	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/handshake"
)

// Both ends of a negotiation (RFC 7692 §7.1): the client offers, the server
// picks an offer and answers, the client checks the answer.
func Example_negotiation() {
	// The client would rather the server used a small window, but compresses
	// with a full one if the server cannot.
	offers := deflate.ClientOffers(deflate.Options{PeerWindowBits: 10}, deflate.Options{})
	fmt.Println("client offers:", handshake.FormatExtensions(offers))

	// The server keeps no context for its own messages.
	resp, server, ok := deflate.ServerAccept(offers, deflate.Options{NoContextTakeover: true})
	if !ok {
		log.Fatal("declined")
	}
	fmt.Println("server answers:", resp)

	client, ok, err := deflate.ClientVerify([]handshake.Extension{resp}, deflate.Options{PeerWindowBits: 10}, deflate.Options{})
	if err != nil || !ok {
		log.Fatal(ok, err)
	}
	fmt.Printf("client sends %+v, receives %+v\n", client.Compress, client.Decompress)
	fmt.Printf("server sends %+v, receives %+v\n", server.Compress, server.Decompress)
	// Output:
	// client offers: permessage-deflate; server_max_window_bits=10; client_max_window_bits, permessage-deflate; client_max_window_bits
	// server answers: permessage-deflate; server_no_context_takeover; server_max_window_bits=10
	// client sends {NoContextTakeover:false WindowBits:15}, receives {NoContextTakeover:true WindowBits:10}
	// server sends {NoContextTakeover:true WindowBits:10}, receives {NoContextTakeover:false WindowBits:15}
}

// Messages as a connection would send and receive them (RFC 7692 §7.2):
// a snapshot in two fragments, then quotes whole. With context takeover
// each message refers to the ones before and shrinks.
func ExampleCompressor() {
	flow := deflate.Flow{} // context takeover, 32 KiB window
	c := deflate.NewCompressor(flow, deflate.DefaultLevel)
	d := deflate.NewDecompressor(flow)

	quote := `{"type":"quote","symbol":"ACME","bid":101.%02d,"ask":101.%02d,"volume":%d,"exchange":"XNYS","currency":"USD","time":"2026-01-12T14:30:00.%03dZ"}`
	snapshot := "[" + fmt.Sprintf(quote, 11, 17, 16100, 0) + "," + fmt.Sprintf(quote, 19, 24, 17050, 500) + "]"
	for i := range 3 {
		msg := []byte(fmt.Sprintf(quote, 25+i, 31+i, 18200+i*250, i*125))
		var frames [][]byte
		if i == 0 {
			msg = []byte(snapshot)
			// A fragment ends with Flush (a sync flush), the message with
			// Finish, which removes the final 00 00 ff ff.
			frames = append(frames, c.Flush(c.Compress(nil, msg[:len(msg)/2])))
			frames = append(frames, c.Finish(c.Compress(nil, msg[len(msg)/2:])))
		} else {
			frames = append(frames, c.Finish(c.Compress(nil, msg)))
		}

		// Reading: the frames' payloads in order, then io.EOF.
		var payload []io.Reader
		size := 0
		for _, f := range frames {
			payload = append(payload, bytes.NewReader(f))
			size += len(f)
		}
		d.Reset(io.MultiReader(payload...))
		got, err := io.ReadAll(d)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%d bytes sent as %d in %d frames, read back: %v\n", len(msg), size, len(frames), bytes.Equal(got, msg))
	}
	// Output:
	// 287 bytes sent as 179 in 2 frames, read back: true
	// 142 bytes sent as 24 in 1 frames, read back: true
	// 142 bytes sent as 24 in 1 frames, read back: true
}

// A limit on the decompressed size of a message holds whatever the
// compression ratio: Read never returns more than asked for.
func ExampleDecompressor_limit() {
	c := deflate.NewCompressor(deflate.Flow{}, deflate.DefaultLevel)
	payload := c.Finish(c.Compress(nil, make([]byte, 10<<20))) // 10 MiB of zeros
	fmt.Println("payload:", len(payload) < 20<<10)

	const limit = 1 << 20
	d := deflate.NewDecompressor(deflate.Flow{})
	d.Reset(bytes.NewReader(payload))
	n, err := io.Copy(io.Discard, io.LimitReader(d, limit+1))
	if err == nil && n > limit {
		fmt.Println("message too big: stopped at", n, "bytes")
		d.Release()
	}
	// Output:
	// payload: true
	// message too big: stopped at 1048577 bytes
}
