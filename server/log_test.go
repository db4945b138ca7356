package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
	"github.com/wskit/websocket/server"
	"github.com/wskit/websocket/wire"
)

// logBuffer collects JSON log records.
type logBuffer struct{ testutil.Buffer }

// records returns the records with message msg.
func (l *logBuffer) records(msg string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		var r map[string]any
		if json.Unmarshal([]byte(line), &r) == nil && r["msg"] == msg {
			out = append(out, r)
		}
	}
	return out
}

// TestLogsAndCounters checks the records at each level and the counters
// after a normal connection, a refused one and one that breaks the
// protocol. The event loop keeps no record of each frame.
func TestLogsAndCounters(t *testing.T) { forModes(t, testLogsAndCounters) }

func testLogsAndCounters(t *testing.T, m mode) {
	var logs logBuffer
	srv := server.New(m.options(&server.Options{
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}))
	ended := endsOf(srv)
	srv.HandleRoute(m.route("/echo", nil, echo, eventsEcho(nil)))
	base := m.serve(t, srv)
	ctx := testCtx(t)

	c := dial(t, base+"/echo", nil)
	for _, m := range []string{"one", "two", "three"} {
		if err := c.Write(ctx, websocket.MessageText, []byte(m)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.Read(ctx); err != nil {
			t.Fatal(err)
		}
	}
	c.Close(websocket.StatusNormalClosure, "done")
	handshakeRefusal(t, base+"/missing", nil)

	// A client that sends an unmasked frame: the server fails it with 1002.
	u, _ := url.Parse(base)
	raw, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	fmt.Fprintf(raw, "GET /echo HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", u.Host)
	br := bufio.NewReader(raw)
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 101 {
		t.Fatalf("raw handshake: %v %v", resp, err)
	}
	raw.Write(wire.AppendFrame(nil, wire.Header{Fin: true, Opcode: wire.OpText, Length: 2}, []byte("hi")))
	raw.SetReadDeadline(time.Now().Add(10 * time.Second))
	var rest bytes.Buffer
	rest.ReadFrom(br)
	raw.Close() // as a client does once the server has closed

	ended.wait(2) // the echo and the one that broke the protocol
	st := srv.Stats()
	if st.Accepted != 2 || st.Refused[server.RefusedNoRoute] != 1 || st.Open != 0 {
		t.Errorf("Stats: %+v", st)
	}
	if st.MessagesIn != 3 || st.MessagesOut != 3 || st.BytesIn != 11 || st.BytesOut != 11 {
		t.Errorf("message counters: in %d/%d B, out %d/%d B; want 3/11 each way", st.MessagesIn, st.BytesIn, st.MessagesOut, st.BytesOut)
	}
	if st.CloseCodes[websocket.StatusNormalClosure] != 1 || st.CloseCodes[websocket.StatusProtocolError] != 1 {
		t.Errorf("close codes: %v", st.CloseCodes)
	}

	opens := logs.records("websocket open")
	if len(opens) != 2 || opens[0]["level"] != "INFO" || opens[0]["path"] != "/echo" {
		t.Errorf("open records: %v", opens)
	}
	closes := logs.records("websocket closed")
	if len(closes) != 2 {
		t.Fatalf("close records: %v", closes)
	}
	byCode := map[float64]map[string]any{}
	for _, r := range closes {
		byCode[r["code"].(float64)] = r
		if _, ok := r["duration"]; !ok || r["level"] != "INFO" {
			t.Errorf("close record without duration or not at info: %v", r)
		}
	}
	if r := byCode[1000]; r == nil || r["reason"] != "done" || r["by_peer"] != true {
		t.Errorf("normal close record: %v", r)
	}
	if r := byCode[1002]; r == nil || r["by_peer"] != false {
		t.Errorf("protocol error close record: %v", r)
	}
	perr := logs.records("websocket protocol error")
	if len(perr) != 1 || perr[0]["level"] != "WARN" || !strings.Contains(perr[0]["error"].(string), "mask") {
		t.Errorf("protocol error records: %v", perr)
	}
	refused := logs.records("websocket handshake refused")
	if len(refused) != 1 || refused[0]["level"] != "WARN" || refused[0]["status"] != float64(404) || refused[0]["reason"] != server.RefusedNoRoute {
		t.Errorf("refusal records: %v", refused)
	}
	frames := logs.records("websocket frame")
	if m.loop != nil {
		if len(frames) != 0 {
			t.Errorf("the event loop logged %d frames", len(frames))
		}
		return
	}
	in, out := 0, 0
	for _, f := range frames {
		if f["level"] != "DEBUG" {
			t.Errorf("frame record not at debug: %v", f)
		}
		switch {
		case f["dir"] == "in" && f["opcode"] == "text":
			in++
		case f["dir"] == "out" && f["opcode"] == "text":
			out++
		}
	}
	if in != 3 || out != 3 {
		t.Errorf("text frame records: %d in, %d out; want 3 each", in, out)
	}
}

// TestLogWhoClosed checks by_peer in the close records: false when the
// server shut down or its handler returned (the client only answered;
// on the event loop, the callback closed the connection), true when the
// client started the close handshake.
func TestLogWhoClosed(t *testing.T) { forModes(t, testLogWhoClosed) }

func testLogWhoClosed(t *testing.T, m mode) {
	var logs logBuffer
	srv := server.New(m.options(&server.Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))}))
	started, finished := newStarts(), endsOf(srv)
	srv.HandleRoute(m.route("/echo", started, echo, eventsEcho(nil)))
	closeAfterOne := &server.Events{OnText: func(c server.Conn, _ string) { c.Close(websocket.StatusNormalClosure, "") }}
	srv.HandleRoute(m.route("/once", nil, func(ctx context.Context, c *websocket.Conn) error {
		_, _, err := c.Read(ctx)
		return err // returns with the connection open: the server closes it
	}, closeAfterOne))
	base := m.serve(t, srv)
	ctx := testCtx(t)

	byClient := dial(t, base+"/echo", nil)
	if err := byClient.Close(websocket.StatusNormalClosure, "bye"); err != nil {
		t.Fatal(err)
	}
	once := dial(t, base+"/once", nil)
	if err := once.Write(ctx, websocket.MessageText, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := readUntilEnd(ctx, once); websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Fatalf("handler return: %v, want 1000", err)
	}
	shut := dial(t, base+"/echo", nil)
	ended := make(chan error, 1)
	go func() { ended <- readUntilEnd(ctx, shut) }() // answers the close frame
	finished.wait(2)                                 // byClient and once
	started.wait(2)                                  // byClient and shut
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-ended; websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("shutdown: %v, want 1001", err)
	}
	got := map[string]any{}
	for _, r := range logs.records("websocket closed") {
		key := r["path"].(string)
		if r["code"] == float64(1001) {
			key = "shutdown"
		}
		got[key] = r["by_peer"]
	}
	want := map[string]any{"/echo": true, "/once": false, "shutdown": false}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: by_peer = %v, want %v (records %v)", k, got[k], v, logs.records("websocket closed"))
		}
	}
}
