package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/wskit/websocket/handshake"
	"github.com/wskit/websocket/inspect"
	"github.com/wskit/websocket/wire"
)

// frameLog prints what inspect flows decode, for ws inspect and ws proxy:
// one line (or JSON object) per message, control frame, finding and
// connection event. It is safe for flows of several connections at once.
type frameLog struct {
	mu    sync.Mutex
	w     io.Writer
	json  bool
	width int // payload bytes shown at most; 0 shows all
}

// newFrameLog returns a log to w; width < 0 means the format's default
// (64 bytes as text, all of it as JSON).
func newFrameLog(w io.Writer, jsonOut bool, width int) *frameLog {
	if width < 0 {
		width = 64
		if jsonOut {
			width = 0
		}
	}
	return &frameLog{w: w, json: jsonOut, width: width}
}

// event is one JSON line.
type event struct {
	Time        string  `json:"time"`
	Conn        int     `json:"conn"`
	Dir         string  `json:"dir,omitempty"`
	Opcode      string  `json:"opcode,omitempty"`
	Fin         *bool   `json:"fin,omitempty"`
	Len         *int64  `json:"len,omitempty"`
	Payload     *string `json:"payload,omitempty"`
	PayloadB64  *string `json:"payload_b64,omitempty"`
	Truncated   bool    `json:"truncated,omitempty"`
	CloseCode   int     `json:"close_code,omitempty"`
	CloseReason *string `json:"close_reason,omitempty"`
	Compressed  *bool   `json:"compressed,omitempty"`
	Frames      int     `json:"frames,omitempty"`
	Finding     string  `json:"finding,omitempty"`
	Note        string  `json:"note,omitempty"`
	End         bool    `json:"end,omitempty"`
	Client      string  `json:"client,omitempty"`
	Server      string  `json:"server,omitempty"`
	Request     string  `json:"request,omitempty"`
	Extensions  string  `json:"extensions,omitempty"`
	Protocol    string  `json:"protocol,omitempty"`
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

func (l *frameLog) emit(e *event, text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.json {
		b, _ := json.Marshal(e)
		l.w.Write(append(b, '\n'))
		return
	}
	fmt.Fprintf(l.w, "%s #%d %s\n", e.Time, e.Conn, text)
}

// upgrade logs a connection's handshake.
func (l *frameLog) upgrade(conn int, t time.Time, client, server string, u *inspect.Upgrade) {
	e := &event{Time: stamp(t), Conn: conn, Client: client, Server: server,
		Request: u.Request.Method + " " + u.Request.RequestURI, Protocol: u.Protocol,
		Extensions: handshake.FormatExtensions(u.Extensions)}
	text := fmt.Sprintf("upgrade %s -> %s %s", client, server, e.Request)
	if e.Protocol != "" {
		text += " protocol=" + e.Protocol
	}
	if e.Extensions != "" {
		text += " extensions=" + strconv.Quote(e.Extensions)
	}
	l.emit(e, text)
}

// note logs something about a connection as a whole.
func (l *frameLog) note(conn int, t time.Time, msg string) {
	l.emit(&event{Time: stamp(t), Conn: conn, Note: msg}, "note: "+msg)
}

// handler returns the inspect.Handler that logs connection conn.
func (l *frameLog) handler(conn int) *connLog { return &connLog{l: l, conn: conn} }

// connLog puts one connection's data pieces back into messages.
type connLog struct {
	l    *frameLog
	conn int
	msg  [2]*pendingMsg
}

type pendingMsg struct {
	op         wire.Opcode
	compressed bool
	n          int64
	frames     int
	shown      []byte
	t          time.Time
}

func (c *connLog) Data(dir inspect.Dir, data []byte, eom bool, t time.Time, fi *inspect.FrameInfo) {
	m := c.msg[dir]
	if fi.First || m == nil {
		if m != nil {
			c.print(dir, m, false) // never finished; a finding said why
		}
		m = &pendingMsg{op: fi.Opcode, compressed: fi.Compressed}
		c.msg[dir] = m
	}
	m.n += int64(len(data))
	m.t = t
	if fi.RawHeader != nil {
		m.frames++
	}
	if w := c.l.width; w == 0 || len(m.shown) < w+4 {
		k := len(data)
		if w > 0 {
			k = min(k, w+4-len(m.shown))
		}
		m.shown = append(m.shown, data[:k]...)
	}
	if eom {
		c.print(dir, m, true)
		c.msg[dir] = nil
	}
}

func (c *connLog) Control(dir inspect.Dir, payload []byte, t time.Time, fi *inspect.FrameInfo) {
	if fi == nil {
		if m := c.msg[dir]; m != nil {
			c.print(dir, m, false)
			c.msg[dir] = nil
		}
		c.l.emit(&event{Time: stamp(t), Conn: c.conn, Dir: dir.String(), End: true}, dir.String()+" end")
		return
	}
	m := &pendingMsg{op: fi.Header.Opcode, n: int64(len(payload)), shown: payload, t: t}
	if fi.Header.Opcode == wire.OpClose {
		c.printClose(dir, m, fi)
		return
	}
	c.print(dir, m, fi.Header.Fin)
}

func (c *connLog) Finding(f *inspect.Finding) {
	msg := strings.TrimPrefix(f.Error(), f.Dir.String()+": ")
	c.l.emit(&event{Time: stamp(f.Time), Conn: c.conn, Dir: f.Dir.String(), Finding: msg}, f.Dir.String()+" finding: "+msg)
}

// payload returns the shown payload as JSON fields and as text.
func (c *connLog) payload(m *pendingMsg, e *event) string {
	shown, cut := m.shown, false
	if w := c.l.width; w > 0 && len(shown) > w {
		shown, cut = shown[:w], true
	}
	if m.op == wire.OpText {
		// Cut on a rune boundary so that the text stays text.
		for cut && len(shown) > 0 && !utf8.Valid(shown) {
			shown = shown[:len(shown)-1]
		}
	}
	e.Truncated = cut
	var s string
	if m.op == wire.OpText && utf8.Valid(shown) {
		e.Payload = &s
		s = string(shown)
		s2 := strconv.Quote(s)
		if cut {
			s2 += "..."
		}
		return s2
	}
	b := base64.StdEncoding.EncodeToString(shown)
	e.PayloadB64 = &b
	h := hex.EncodeToString(shown)
	if cut {
		h += "..."
	}
	return h
}

func opName(op wire.Opcode) string {
	if op == wire.OpContinuation {
		return "continuation"
	}
	return op.String()
}

func (c *connLog) print(dir inspect.Dir, m *pendingMsg, fin bool) {
	e := &event{Time: stamp(m.t), Conn: c.conn, Dir: dir.String(), Opcode: opName(m.op), Fin: &fin, Len: &m.n}
	if !m.op.IsControl() {
		e.Compressed = &m.compressed
		e.Frames = m.frames
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s %-6s %7d ", dir, opName(m.op), m.n)
	if m.compressed {
		sb.WriteString("deflate ")
	}
	if m.frames > 1 {
		fmt.Fprintf(&sb, "(%d frames) ", m.frames)
	}
	if !fin {
		sb.WriteString("(unfinished) ")
	}
	sb.WriteString(c.payload(m, e))
	c.l.emit(e, sb.String())
}

func (c *connLog) printClose(dir inspect.Dir, m *pendingMsg, fi *inspect.FrameInfo) {
	fin := true
	reason := fi.CloseReason
	e := &event{Time: stamp(m.t), Conn: c.conn, Dir: dir.String(), Opcode: "close", Fin: &fin, Len: &m.n,
		CloseCode: int(fi.CloseCode), CloseReason: &reason}
	text := fmt.Sprintf("%s %-6s %7d code=%d reason=%s", dir, "close", m.n, fi.CloseCode, strconv.Quote(reason))
	c.l.emit(e, text)
}

// frameLogs feeds one decoding to several logs (the terminal and the
// --ui page of ws proxy), each with its own format and width.
type frameLogs []*frameLog

func (ls frameLogs) upgrade(conn int, t time.Time, client, server string, u *inspect.Upgrade) {
	for _, l := range ls {
		l.upgrade(conn, t, client, server, u)
	}
}

func (ls frameLogs) note(conn int, t time.Time, msg string) {
	for _, l := range ls {
		l.note(conn, t, msg)
	}
}

func (ls frameLogs) handler(conn int) inspect.Handler {
	if len(ls) == 1 {
		return ls[0].handler(conn)
	}
	t := make(teeHandler, len(ls))
	for i, l := range ls {
		t[i] = l.handler(conn)
	}
	return t
}

// teeHandler passes every call to each handler in turn.
type teeHandler []inspect.Handler

func (t teeHandler) Control(dir inspect.Dir, payload []byte, at time.Time, fi *inspect.FrameInfo) {
	for _, h := range t {
		h.Control(dir, payload, at, fi)
	}
}

func (t teeHandler) Data(dir inspect.Dir, data []byte, eom bool, at time.Time, fi *inspect.FrameInfo) {
	for _, h := range t {
		h.Data(dir, data, eom, at, fi)
	}
}

func (t teeHandler) Finding(f *inspect.Finding) {
	for _, h := range t {
		h.Finding(f)
	}
}
