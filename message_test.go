package websocket_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/wskit/websocket"
)

var frameSizes = []int{0, 1, 125, 126, 127, 128, 65535, 65536, 1 << 20}

// TestEchoSizes sends every frame size, text and binary, whole and
// fragmented, over real TCP and over net.Pipe, and checks each echo byte for
// byte. Reading alternates between whole messages and a
// stream of small reads, so results cannot depend on how reads are sized. One goroutine
// writes while the test reads, as net.Pipe has no buffer at all.
func TestEchoSizes(t *testing.T) {
	transports := map[string]func(t *testing.T) *websocket.Conn{
		"tcp":  func(t *testing.T) *websocket.Conn { return dial(t, echoServer(t, nil), nil) },
		"pipe": func(t *testing.T) *websocket.Conn { return pipePair(t, nil) },
	}
	type echoCase struct {
		typ        websocket.MessageType
		n          int
		fragmented bool
	}
	var cases []echoCase
	for _, typ := range []websocket.MessageType{websocket.MessageText, websocket.MessageBinary} {
		for _, n := range frameSizes {
			for _, fragmented := range []bool{false, true} {
				cases = append(cases, echoCase{typ, n, fragmented})
			}
		}
	}
	for name, open := range transports {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := open(t)
			ctx := testCtx(t)
			sent := make(chan error, 1)
			go func() {
				sent <- func() error {
					for _, tc := range cases {
						if err := sendMessage(ctx, c, tc.typ, payload(tc.typ, tc.n, 1), tc.fragmented); err != nil {
							return err
						}
					}
					return nil
				}()
			}()
			for _, tc := range cases {
				want := payload(tc.typ, tc.n, 1)
				var got []byte
				var gotType websocket.MessageType
				var err error
				if tc.n%2 == 0 {
					gotType, got, err = c.Read(ctx)
				} else {
					var r io.Reader
					gotType, r, err = c.Reader(ctx)
					if err == nil {
						// One byte at a time for small messages, then
						// reads of an odd size that cut frames anywhere.
						step := 1
						if tc.n > 128 {
							step = 1021
						}
						got, err = io.ReadAll(smallReader{r, step})
					}
				}
				label := fmt.Sprintf("%s %d bytes fragmented=%v", tc.typ, tc.n, tc.fragmented)
				if err != nil {
					t.Fatalf("%s: %v", label, err)
				}
				if gotType != tc.typ || !bytes.Equal(got, want) {
					t.Fatalf("%s: echo is %s of %d bytes, differs", label, gotType, len(got))
				}
			}
			if err := <-sent; err != nil {
				t.Fatalf("sending: %v", err)
			}
			if err := c.Close(websocket.StatusNormalClosure, "done"); err != nil {
				t.Fatalf("Close: %v", err)
			}
		})
	}
}

// sendMessage sends p whole, or in three fragments cut at byte offsets (so
// text may be cut inside a character, which is legal).
func sendMessage(ctx context.Context, c *websocket.Conn, typ websocket.MessageType, p []byte, fragmented bool) error {
	if !fragmented {
		return c.Write(ctx, typ, p)
	}
	w, err := c.Writer(ctx, typ)
	if err != nil {
		return err
	}
	n := len(p)
	cuts := []int{0, n / 3, 2 * n / 3, n}
	for i := 0; i+1 < len(cuts); i++ {
		if _, err := w.Write(p[cuts[i]:cuts[i+1]]); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return w.Close()
}

// smallReader reads at most n bytes per call.
type smallReader struct {
	r io.Reader
	n int
}

func (s smallReader) Read(p []byte) (int, error) {
	if len(p) > s.n {
		p = p[:s.n]
	}
	return s.r.Read(p)
}

// TestReaderSkipsUnreadRest checks that a message not read to its end is
// skipped by the next Reader, and the one after arrives intact.
func TestReaderSkipsUnreadRest(t *testing.T) {
	c := pipePair(t, nil)
	ctx := testCtx(t)
	first := payload(websocket.MessageBinary, 10000, 2)
	second := payload(websocket.MessageText, 300, 3)
	sent := make(chan error, 1)
	go func() {
		if err := c.Write(ctx, websocket.MessageBinary, first); err != nil {
			sent <- err
			return
		}
		sent <- c.Write(ctx, websocket.MessageText, second)
	}()
	_, r, err := c.Reader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(r, make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	typ, got, err := c.Read(ctx)
	if err != nil || typ != websocket.MessageText || !bytes.Equal(got, second) {
		t.Fatalf("second message: %v %v %q", typ, err, got)
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
}

// TestWriteRejectsInvalidText checks that invalid UTF-8 is refused locally
// and the connection goes on.
func TestWriteRejectsInvalidText(t *testing.T) {
	c := pipePair(t, nil)
	ctx := testCtx(t)
	if err := c.Write(ctx, websocket.MessageText, []byte{0xff}); err != websocket.ErrInvalidUTF8 {
		t.Fatalf("Write of 0xff as text: %v, want ErrInvalidUTF8", err)
	}
	w, _ := c.Writer(ctx, websocket.MessageText)
	if _, err := w.Write([]byte("ok \xc3")); err != nil {
		t.Fatalf("a sequence cut at the end of a write is legal: %v", err)
	}
	if _, err := w.Write([]byte("\xa9")); err != nil {
		t.Fatalf("completing it: %v", err)
	}
	closed := make(chan error, 1)
	go func() { closed <- w.Close() }()
	if _, got, err := c.Read(ctx); err != nil || string(got) != "ok é" {
		t.Fatalf("echo %q %v", got, err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
}
