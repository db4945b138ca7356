//go:build js && wasm

package websocket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"syscall/js"
	"time"

	"github.com/wskit/websocket/wire"
)

// Under js/wasm, Dial opens the browser's own WebSocket, and the Conn runs
// over it with the same API: Read, Write, Reader, Writer, Close, CloseNow,
// CloseStatus and the limits work as elsewhere. The browser does the
// handshake, compression and the close handshake's frames itself, so:
//
//   - Ping returns an error wrapping errors.ErrUnsupported (a page cannot
//     send pings; the browser answers the server's), and keepalive is off;
//   - DialOptions other than Subprotocols and the ConnOptions limits are
//     not used: the browser chooses the headers (Origin, cookies), TLS,
//     proxies and compression (Compressed reports false even when the
//     browser agreed to permessage-deflate);
//   - a streamed message (Writer) is sent when its writer is closed, as
//     one browser message: a page cannot send fragments;
//   - Close sends 1000 or a code from 3000 to 4999, the only ones a page
//     may send; any other code goes out as 1000 with its reason;
//   - Dial returns no *http.Response, and a refused handshake is reported
//     only as a failure to connect (the browser hides the status).
func init() { browserDial = dialBrowser }

func dialBrowser(ctx context.Context, rawURL string, opts *DialOptions) (*Conn, *http.Response, error) {
	var o DialOptions
	if opts != nil {
		o = *opts
	}
	t := &browserConn{readable: make(chan struct{}, 1), opened: make(chan struct{})}
	if err := t.open(rawURL, o.Subprotocols); err != nil {
		return nil, nil, err
	}
	select {
	case <-t.opened:
	case <-ctx.Done():
		t.Close()
		return nil, nil, fmt.Errorf("websocket: opening handshake: %w", ctx.Err())
	}
	t.mu.Lock()
	failed := t.eof
	t.mu.Unlock()
	if failed {
		t.release()
		return nil, nil, errors.New("websocket: the browser could not open the connection")
	}
	co := o.ConnOptions
	co.Subprotocol = t.ws.Get("protocol").String()
	co.PingInterval = -1
	co.Compression, co.Extensions, co.BufferedReader, co.Leftover = nil, nil, nil, nil
	return NewConn(t, RoleClient, &co), nil, nil
}

// browserConn is the byte stream a Conn runs over in the browser: the
// messages the browser delivers come out of Read as unmasked frames, and
// the frames the Conn writes are decoded and handed to the browser's
// send and close.
type browserConn struct {
	ws     js.Value
	funcs  []js.Func
	opened chan struct{}

	mu       sync.Mutex
	in       []byte // frames for Read
	eof      bool   // nothing more will arrive
	readable chan struct{}
	deadline time.Time
	timer    *time.Timer
	timedOut bool

	// Writing, owned by the Conn's frame writer.
	out     []byte // bytes written, not yet a whole frame
	msg     []byte // the data message being assembled
	msgText bool
	closed  atomic.Bool // close was called on the browser's WebSocket
}

func (t *browserConn) open(url string, protocols []string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("websocket: the browser refused to open %q: %v", url, r)
		}
	}()
	ps := make([]any, len(protocols))
	for i, p := range protocols {
		ps[i] = p
	}
	t.ws = js.Global().Get("WebSocket").New(url, ps)
	t.ws.Set("binaryType", "arraybuffer")
	var once sync.Once
	opened := func() { once.Do(func() { close(t.opened) }) }
	t.on("open", func(js.Value) { opened() })
	t.on("message", func(ev js.Value) {
		data := ev.Get("data")
		var h wire.Header
		var p []byte
		if data.Type() == js.TypeString {
			p = []byte(data.String())
			h = wire.Header{Fin: true, Opcode: wire.OpText, Length: int64(len(p))}
		} else {
			arr := js.Global().Get("Uint8Array").New(data)
			p = make([]byte, arr.Get("length").Int())
			js.CopyBytesToGo(p, arr)
			h = wire.Header{Fin: true, Opcode: wire.OpBinary, Length: int64(len(p))}
		}
		t.push(wire.AppendFrame(nil, h, p), false)
	})
	t.on("close", func(ev js.Value) {
		code := StatusCode(ev.Get("code").Int())
		reason := ev.Get("reason").String()
		var frame []byte
		switch code {
		case StatusAbnormalClosure:
			// The connection was lost: no close frame, just the end.
		case StatusNoStatusRcvd:
			frame = wire.AppendFrame(nil, wire.Header{Fin: true, Opcode: wire.OpClose}, nil)
		default:
			p := wire.AppendClosePayload(nil, code, reason)
			frame = wire.AppendFrame(nil, wire.Header{Fin: true, Opcode: wire.OpClose, Length: int64(len(p))}, p)
		}
		t.push(frame, true)
		opened() // a failed opening ends here
		t.release()
	})
	return nil
}

func (t *browserConn) on(event string, f func(js.Value)) {
	fn := js.FuncOf(func(_ js.Value, args []js.Value) any {
		f(args[0])
		return nil
	})
	t.funcs = append(t.funcs, fn)
	t.ws.Call("addEventListener", event, fn)
}

// release lets go of the event handlers once the socket is closed.
func (t *browserConn) release() {
	t.mu.Lock()
	funcs := t.funcs
	t.funcs = nil
	t.mu.Unlock()
	for _, f := range funcs {
		f.Release()
	}
}

func (t *browserConn) push(frame []byte, eof bool) {
	t.mu.Lock()
	t.in = append(t.in, frame...)
	t.eof = t.eof || eof
	t.mu.Unlock()
	select {
	case t.readable <- struct{}{}:
	default:
	}
}

func (t *browserConn) Read(p []byte) (int, error) {
	for {
		t.mu.Lock()
		if t.timedOut {
			t.mu.Unlock()
			return 0, os.ErrDeadlineExceeded
		}
		if len(t.in) > 0 {
			n := copy(p, t.in)
			t.in = t.in[n:]
			t.mu.Unlock()
			return n, nil
		}
		if t.eof {
			t.mu.Unlock()
			return 0, io.EOF
		}
		t.mu.Unlock()
		<-t.readable
	}
}

// SetReadDeadline lets a cancelled read return and leave the connection
// usable.
func (t *browserConn) SetReadDeadline(d time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.timer != nil {
		t.timer.Stop()
	}
	t.deadline, t.timedOut = d, false
	if d.IsZero() {
		return nil
	}
	wait := time.Until(d)
	if wait <= 0 {
		t.timedOut = true
	} else {
		t.timer = time.AfterFunc(wait, func() {
			t.mu.Lock()
			if t.deadline.Equal(d) {
				t.timedOut = true
			}
			t.mu.Unlock()
			select {
			case t.readable <- struct{}{}:
			default:
			}
		})
		return nil
	}
	select {
	case t.readable <- struct{}{}:
	default:
	}
	return nil
}

// Write takes the frames the Conn sends (masked, as a client's are) and
// hands each whole data message and the close to the browser.
func (t *browserConn) Write(p []byte) (int, error) {
	t.out = append(t.out, p...)
	for {
		h, n, err := wire.ParseHeader(t.out)
		if err == wire.ErrNeedMore || (err == nil && int64(len(t.out)-n) < h.Length) {
			return len(p), nil
		}
		if err != nil {
			return 0, err
		}
		payload := t.out[n : n+int(h.Length)]
		if h.Masked {
			wire.MaskBytes(h.Mask, 0, payload)
		}
		if err := t.frame(h, payload); err != nil {
			return 0, err
		}
		t.out = append(t.out[:0], t.out[n+int(h.Length):]...)
	}
}

func (t *browserConn) frame(h wire.Header, payload []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("websocket: the browser refused a frame: %v", r)
		}
	}()
	switch h.Opcode {
	case wire.OpText, wire.OpBinary, wire.OpContinuation:
		if h.Opcode != wire.OpContinuation {
			t.msg, t.msgText = t.msg[:0], h.Opcode == wire.OpText
		}
		t.msg = append(t.msg, payload...)
		if !h.Fin {
			return nil
		}
		if t.closed.Load() {
			return nil
		}
		if t.msgText {
			t.ws.Call("send", string(t.msg))
		} else {
			arr := js.Global().Get("Uint8Array").New(len(t.msg))
			js.CopyBytesToJS(arr, t.msg)
			t.ws.Call("send", arr)
		}
		if cap(t.msg) > 1<<20 {
			t.msg = nil
		}
	case wire.OpClose:
		if t.closed.Swap(true) {
			return nil
		}
		code, reason, perr := wire.ParseClosePayload(payload)
		if perr != nil || code == StatusNoStatusRcvd {
			t.ws.Call("close")
			return nil
		}
		if code != StatusNormalClosure && (code < 3000 || code > 4999) {
			code = StatusNormalClosure
		}
		t.ws.Call("close", int(code), reason)
	}
	// Pings and pongs: the browser sends its own pongs and no pings.
	return nil
}

// Close closes the browser's WebSocket, if it is still open.
func (t *browserConn) Close() error {
	defer func() { recover() }()
	if !t.closed.Swap(true) {
		t.ws.Call("close")
	}
	return nil
}

// cannotPing marks the transport as one that cannot send pings.
func (t *browserConn) cannotPing() {}
