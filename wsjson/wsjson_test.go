package wsjson_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
	"github.com/wskit/websocket/wsjson"
)

// pair returns a client connected over loopback TCP to a server Conn that
// the test drives too.
func pair(t *testing.T) (client, server *websocket.Conn) {
	t.Helper()
	got := make(chan *websocket.Conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			t.Error(err)
			return
		}
		got <- c
		<-c.Done()
	}))
	t.Cleanup(srv.Close)
	c, _, err := websocket.Dial(testutil.Ctx(t), "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	s := <-got
	t.Cleanup(func() { c.CloseNow(); s.CloseNow() })
	return c, s
}

type msg struct {
	ID   int               `json:"id"`
	Text string            `json:"text"`
	Tags map[string]string `json:"tags,omitempty"`
}

func TestRoundTrip(t *testing.T) {
	ctx := testutil.Ctx(t)
	c, s := pair(t)
	want := msg{ID: 7, Text: "héllo <world>", Tags: map[string]string{"a": "b"}}
	if err := wsjson.Write(ctx, c, want); err != nil {
		t.Fatal(err)
	}
	typ, raw, err := s.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if typ != websocket.MessageText || string(raw) != `{"id":7,"text":"héllo <world>","tags":{"a":"b"}}` {
		t.Fatalf("wire message %v %q", typ, raw)
	}
	if err := s.Write(ctx, websocket.MessageText, raw); err != nil {
		t.Fatal(err)
	}
	var got msg
	if err := wsjson.Read(ctx, c, &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != want.ID || got.Text != want.Text || got.Tags["a"] != "b" {
		t.Fatalf("read %+v, want %+v", got, want)
	}
}

// TestBadMessagesLeaveConnOpen sends a binary message, broken JSON, two
// values in one message and a value of the wrong shape; each is an error
// of its own and the next message still reads.
func TestBadMessagesLeaveConnOpen(t *testing.T) {
	ctx := testutil.Ctx(t)
	c, s := pair(t)
	send := func(typ websocket.MessageType, p string) {
		if err := s.Write(ctx, typ, []byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	send(websocket.MessageBinary, `{"id":1}`)
	send(websocket.MessageText, `{"id":`)
	send(websocket.MessageText, `{"id":2} {"id":3}`)
	send(websocket.MessageText, `{"id":"four"}`)
	send(websocket.MessageText, " {\"id\":5}\r\n\t ")
	var m msg
	if err := wsjson.Read(ctx, c, &m); !errors.Is(err, wsjson.ErrNotText) {
		t.Fatalf("binary: %v, want ErrNotText", err)
	}
	if err := wsjson.Read(ctx, c, &m); err == nil || websocket.CloseStatus(err) != 0 {
		t.Fatalf("broken JSON: %v, want a decoding error", err)
	}
	if err := wsjson.Read(ctx, c, &m); err == nil || !strings.Contains(err.Error(), "after top-level value") {
		t.Fatalf("two values: %v, want an error for the second", err)
	}
	var ute *json.UnmarshalTypeError
	if err := wsjson.Read(ctx, c, &m); !errors.As(err, &ute) {
		t.Fatalf("wrong shape: %v, want a *json.UnmarshalTypeError", err)
	}
	m = msg{}
	if err := wsjson.Read(ctx, c, &m); err != nil || m.ID != 5 {
		t.Fatalf("after the bad ones: %+v, %v", m, err)
	}
}

// TestWriteUnencodable sends nothing for a value JSON cannot hold.
func TestWriteUnencodable(t *testing.T) {
	ctx := testutil.Ctx(t)
	c, s := pair(t)
	if err := wsjson.Write(ctx, c, map[string]any{"ch": make(chan int)}); err == nil || !strings.HasPrefix(err.Error(), "wsjson: ") {
		t.Fatalf("Write of a channel: %v", err)
	}
	if err := wsjson.Write(ctx, c, 42); err != nil {
		t.Fatal(err)
	}
	if _, p, err := s.Read(ctx); err != nil || string(p) != "42" {
		t.Fatalf("first message the peer sees: %q, %v; want 42", p, err)
	}
}

// TestReadReportsClose returns the peer's close code, not a JSON error,
// when the connection ends instead of a message arriving.
func TestReadReportsClose(t *testing.T) {
	ctx := testutil.Ctx(t)
	c, s := pair(t)
	go s.Close(websocket.StatusGoingAway, "restart")
	var v any
	err := wsjson.Read(ctx, c, &v)
	if websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("Read: %v, want the peer's 1001", err)
	}
}

// TestNoSecondCopy writes and reads an 8 MiB value and compares the bytes
// allocated with json.Marshal and json.Unmarshal of the same value: Write
// must allocate no more than Marshal, and a second Read, whose pooled buffer is warm, no more than
// Unmarshal plus a quarter of the value (no whole-message copy).
func TestNoSecondCopy(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector drops pooled buffers at random; scripts/test.sh runs this without it")
	}
	// One P: sync.Pool keeps a Put on one P private from Gets on another.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	ctx := testutil.Ctx(t)
	c, s := pair(t)
	const n = 8 << 20
	big := strings.Repeat("x", n)
	alloc := func(f func()) uint64 {
		var a, b runtime.MemStats
		runtime.ReadMemStats(&a) // no GC first: it would empty the pool
		f()
		runtime.ReadMemStats(&b)
		return b.TotalAlloc - a.TotalAlloc
	}
	marshal := alloc(func() { json.Marshal(big) })

	read := make(chan error, 1)
	// The reader drains into a buffer made beforehand, so that what is
	// counted while the server writes is the write's own allocation.
	raw := bytes.NewBuffer(make([]byte, 0, n+64<<10))
	go func() {
		_, r, err := c.Reader(ctx)
		if err == nil {
			_, err = raw.ReadFrom(r)
		}
		read <- err
	}()
	// The server writes: a client would also allocate its masking buffer.
	write := alloc(func() {
		if err := wsjson.Write(ctx, s, big); err != nil {
			t.Error(err)
		}
	})
	var got string
	if err := <-read; err != nil || json.Unmarshal(raw.Bytes(), &got) != nil || got != big {
		t.Fatalf("first read: %v (value intact: %v)", err, got == big)
	}
	if write > marshal+n/8 {
		t.Errorf("Write allocated %d bytes, json.Marshal %d", write, marshal)
	}
	// The 8 MiB read left no buffer in the pool (only those up to 1 MiB
	// stay); of two 512 KiB reads, the second reuses the first's buffer.
	small := strings.Repeat("y", 512<<10)
	rawSmall, _ := json.Marshal(small)
	for i := range 2 {
		// A plain server Write allocates nothing that would be counted
		// with the Read.
		go func() { read <- s.Write(ctx, websocket.MessageText, rawSmall) }()
		var v string
		readAlloc := alloc(func() {
			if err := wsjson.Read(ctx, c, &v); err != nil {
				t.Error(err)
			}
		})
		if err := <-read; err != nil || v != small {
			t.Fatalf("read of 512 KiB: %v", err)
		}
		base := alloc(func() { var w string; json.Unmarshal(rawSmall, &w) })
		t.Logf("Write %d vs Marshal %d; Read %d vs Unmarshal %d (8 MiB, 512 KiB)", write, marshal, readAlloc, base)
		if i > 0 && readAlloc > base+uint64(len(small))/4 { // the first fills the pool
			t.Errorf("Read allocated %d bytes, json.Unmarshal %d", readAlloc, base)
		}
	}
}
