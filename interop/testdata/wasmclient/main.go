//go:build js && wasm

// Wasmclient runs in a browser page (interop/wasm_test.go): it dials the
// echo server named by the page's ?ws= parameter through the browser's
// WebSocket and checks what comes back, then writes "ok ..." or
// "fail: ..." into an element with id "result".
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"syscall/js"
	"time"

	"github.com/wskit/websocket"
)

func main() {
	q, _ := url.ParseQuery(js.Global().Get("location").Get("search").String()[1:])
	result := "ok " + fmt.Sprint(checks) + " checks"
	if err := run(q.Get("ws")); err != nil {
		result = "fail: " + err.Error()
	}
	doc := js.Global().Get("document")
	el := doc.Call("createElement", "div")
	el.Set("id", "result")
	el.Set("textContent", result)
	doc.Get("body").Call("appendChild", el)
}

const checks = 8

func run(wsURL string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, wsURL, nil)
	if err != nil {
		return fmt.Errorf("dial %s: %w", wsURL, err)
	}
	defer c.CloseNow()
	if resp != nil {
		return errors.New("dial returned a response the browser does not give")
	}
	echo := func(name string, typ websocket.MessageType, p []byte) error {
		if err := c.Write(ctx, typ, p); err != nil {
			return fmt.Errorf("%s: write: %w", name, err)
		}
		gt, got, err := c.Read(ctx)
		if err != nil || gt != typ || !bytes.Equal(got, p) {
			return fmt.Errorf("%s: read %v, %d bytes, %v; want %v, %d bytes", name, gt, len(got), err, typ, len(p))
		}
		return nil
	}
	// 1, 2: whole messages, text and binary.
	if err := echo("text", websocket.MessageText, []byte("hello from wasm")); err != nil {
		return err
	}
	bin := make([]byte, 70000)
	for i := range bin {
		bin[i] = byte(rand.Uint32())
	}
	if err := echo("binary", websocket.MessageBinary, bin); err != nil {
		return err
	}
	// 3: a streamed message goes out as one browser message.
	w, err := c.Writer(ctx, websocket.MessageText)
	if err != nil {
		return err
	}
	w.Write([]byte("frag"))
	w.Flush()
	w.Write([]byte("ment"))
	if err := w.Close(); err != nil {
		return fmt.Errorf("writer: %w", err)
	}
	if _, p, err := c.Read(ctx); err != nil || string(p) != "fragment" {
		return fmt.Errorf("streamed message: %q, %v", p, err)
	}
	// 4: a message read through Reader.
	big := bytes.Repeat([]byte("0123456789"), 20000)
	if err := c.Write(ctx, websocket.MessageBinary, big); err != nil {
		return err
	}
	typ, r, err := c.Reader(ctx)
	if err != nil || typ != websocket.MessageBinary {
		return fmt.Errorf("reader: %v, %v", typ, err)
	}
	if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, big) {
		return fmt.Errorf("reader: %d bytes, %v", len(got), err)
	}
	// 5: the browser cannot send pings.
	if _, err := c.Ping(ctx); !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("ping: %v, want errors.ErrUnsupported", err)
	}
	// 6: invalid UTF-8 is refused before it reaches the browser.
	if err := c.Write(ctx, websocket.MessageText, []byte{0xff}); !errors.Is(err, websocket.ErrInvalidUTF8) {
		return fmt.Errorf("invalid UTF-8: %v", err)
	}
	// 7: a read cancelled by its context leaves the connection usable.
	short, stop := context.WithTimeout(ctx, 50*time.Millisecond)
	_, _, err = c.Read(short)
	stop()
	if !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("cancelled read: %v", err)
	}
	if err := echo("after cancel", websocket.MessageText, []byte("still open")); err != nil {
		return err
	}
	// 8: the close handshake.
	if err := c.Close(websocket.StatusNormalClosure, "bye"); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	if websocket.CloseStatus(c.Err()) != websocket.StatusNormalClosure {
		return fmt.Errorf("after close: %v", c.Err())
	}
	return nil
}
