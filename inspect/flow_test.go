package inspect_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/inspect"
	"github.com/wskit/websocket/wire"
)

// frameSizes cross the 7-bit, 16-bit and 64-bit length encodings.
var frameSizes = []int{0, 1, 2, 3, 4, 5, 124, 125, 126, 127, 128, 1000, 65535, 65536, 65537, 200000}

func payload(typ websocket.MessageType, n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	b := make([]byte, n)
	for i := range b {
		if typ == websocket.MessageText {
			b[i] = "abcdefghij klmnop\n"[r.IntN(18)]
		} else {
			b[i] = byte(r.Uint32())
		}
	}
	return b
}

// exchange is the client script: every size both ways, a fragmented
// message with a ping between its fragments, then a close. It returns what
// each side sent (the server echoes).
func exchange(t *testing.T) (func(ctx context.Context, c *websocket.Conn), *[]sent) {
	var want []sent
	script := func(ctx context.Context, c *websocket.Conn) {
		echoes := make(chan error, 1)
		expect := make(chan int, 100)
		go func() {
			for range expect {
				if _, _, err := c.Read(ctx); err != nil {
					echoes <- err
					return
				}
			}
			echoes <- nil
		}()
		add := func(op wire.Opcode, data []byte) {
			want = append(want, sent{dir: inspect.ClientToServer, op: op, data: data}, sent{dir: inspect.ServerToClient, op: op, data: data})
		}
		for i, n := range frameSizes {
			for _, typ := range []websocket.MessageType{websocket.MessageText, websocket.MessageBinary} {
				p := payload(typ, n, uint64(i))
				if err := c.Write(ctx, typ, p); err != nil {
					t.Fatal(err)
				}
				add(wire.Opcode(typ), p)
				expect <- 1
			}
		}
		// Fragments of the client's choosing, with a ping in between
		// (the reader must be waiting for the echo to see the pong).
		expect <- 1
		w, err := c.Writer(ctx, websocket.MessageText)
		if err != nil {
			t.Fatal(err)
		}
		var whole []byte
		for i, n := range []int{10, 3000, 0, 70000, 5} {
			part := payload(websocket.MessageText, n, uint64(100+i))
			whole = append(whole, part...)
			w.Write(part)
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if i == 1 {
				if _, err := c.Ping(ctx); err != nil {
					t.Fatal(err)
				}
				want = append(want, sent{dir: inspect.ClientToServer, op: wire.OpPing, control: true},
					sent{dir: inspect.ServerToClient, op: wire.OpPong, control: true})
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		add(wire.OpText, whole)
		close(expect)
		if err := <-echoes; err != nil {
			t.Fatal(err)
		}
		if err := c.Close(4001, "bye"); err != nil {
			t.Fatal(err)
		}
		want = append(want, sent{dir: inspect.ClientToServer, op: wire.OpClose, code: 4001, reason: "bye", control: true},
			sent{dir: inspect.ServerToClient, op: wire.OpClose, code: 4001, control: true})
	}
	return script, &want
}

// feeders are the ways the captured bytes are given to the flow.
var feeders = []struct {
	name string
	feed func(f *inspect.Flow, cap *capture, c2s, s2c []byte)
}{
	{"as-captured", func(f *inspect.Flow, cap *capture, c2s, s2c []byte) {
		// The chunks as the recorder saw them, minus the heads.
		skip := [2]int{len(cap.stream(0)) - len(c2s), len(cap.stream(1)) - len(s2c)}
		for _, ch := range cap.chunks {
			d := ch.data
			k := min(skip[ch.dir], len(d))
			skip[ch.dir] -= k
			f.Feed(ch.dir, d[k:], false, time.Time{})
		}
		f.Feed(0, nil, true, time.Time{})
		f.Feed(1, nil, true, time.Time{})
	}},
	{"one-byte", func(f *inspect.Flow, _ *capture, c2s, s2c []byte) {
		for i := 0; i < max(len(c2s), len(s2c)); i++ {
			if i < len(c2s) {
				f.Feed(0, c2s[i:i+1], i == len(c2s)-1, time.Time{})
			}
			if i < len(s2c) {
				f.Feed(1, s2c[i:i+1], i == len(s2c)-1, time.Time{})
			}
		}
	}},
	{"whole", func(f *inspect.Flow, _ *capture, c2s, s2c []byte) {
		f.Feed(0, c2s, true, time.Time{})
		f.Feed(1, s2c, true, time.Time{})
	}},
	{"random-chunks", func(f *inspect.Flow, _ *capture, c2s, s2c []byte) {
		r := rand.New(rand.NewPCG(1, 2))
		for len(c2s)+len(s2c) > 0 {
			dir := inspect.Dir(r.IntN(2))
			b := &c2s
			if dir == 1 {
				b = &s2c
			}
			n := min(len(*b), r.IntN(70000))
			f.Feed(dir, (*b)[:n], false, time.Time{})
			*b = (*b)[n:]
		}
		f.Close(time.Time{})
	}},
}

func TestFlowWskitTraffic(t *testing.T) {
	modes := []struct {
		name string
		comp *websocket.CompressionOptions
	}{
		{"plain", nil},
		{"deflate", &websocket.CompressionOptions{}},
		{"deflate-no-context-takeover", &websocket.CompressionOptions{Options: deflate.Options{NoContextTakeover: true, PeerNoContextTakeover: true}}},
		{"deflate-window-9", &websocket.CompressionOptions{Options: deflate.Options{WindowBits: 9, PeerWindowBits: 9}, Threshold: -1}},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			script, want := exchange(t)
			cap := record(t, m.comp, script)
			req, resp, c2s, s2c := splitHeads(t, cap)
			for _, fd := range feeders {
				t.Run(fd.name, func(t *testing.T) {
					col := &collector{t: t}
					f, err := inspect.NewFlowBytes(req, resp, col)
					if err != nil {
						t.Fatal(err)
					}
					if (f.Upgrade.Deflate != nil) != (m.comp != nil) {
						t.Fatalf("deflate agreed: %v, want %v", f.Upgrade.Deflate, m.comp != nil)
					}
					fd.feed(f, cap, c2s, s2c)
					for _, fi := range col.findings {
						t.Errorf("finding: %v", fi)
					}
					if col.abandoned != 0 {
						t.Errorf("%d messages never ended", col.abandoned)
					}
					if col.ends != [2]int{1, 1} {
						t.Errorf("ends reported %v, want one per direction", col.ends)
					}
					compare(t, col.got, *want)
				})
			}
		})
	}
}

func TestNewFlowRejects(t *testing.T) {
	cap := record(t, nil, func(ctx context.Context, c *websocket.Conn) { c.Close(1000, "") })
	req, resp, _, _ := splitHeads(t, cap)
	if _, err := inspect.NewFlowBytes(req, resp, &collector{t: t}); err != nil {
		t.Fatalf("valid handshake: %v", err)
	}
	for _, tc := range []struct {
		name      string
		req, resp string
	}{
		{"status", string(req), "HTTP/1.1 200 OK\r\n\r\n"},
		{"accept", string(req), replace(string(resp), "Sec-WebSocket-Accept: ", "Sec-WebSocket-Accept: x")},
		{"version", replace(string(req), "Sec-Websocket-Version: 13", "Sec-Websocket-Version: 8"), string(resp)},
		{"upgrade", string(req), replace(string(resp), "Upgrade: websocket", "Upgrade: h2c")},
		{"garbage", "hello", string(resp)},
	} {
		_, err := inspect.NewFlowBytes([]byte(tc.req), []byte(tc.resp), &collector{t: t})
		if !errors.Is(err, inspect.ErrNotUpgrade) {
			t.Errorf("%s: %v, want ErrNotUpgrade", tc.name, err)
		} else {
			t.Logf("%s: %v", tc.name, err)
		}
	}
}

func replace(s, old, new string) string {
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	panic("no " + old)
}
