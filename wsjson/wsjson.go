// Package wsjson reads and writes JSON values as WebSocket text messages.
//
// Neither direction holds a value's bytes twice: Write sends the encoder's
// own buffer as the message, and Read decodes from a pooled buffer that
// the next Read reuses.
package wsjson

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/wskit/websocket"
)

// ErrNotText is returned by Read for a binary message, which is consumed;
// the connection stays open.
var ErrNotText = errors.New("wsjson: message is binary, not text")

// Read reads the next message, which must be text, and decodes it as one
// JSON value into v (as [json.Unmarshal] does). A message that is not valid
// JSON, holds more than one value, or does not fit v returns an error and
// leaves the connection open; errors from the connection are returned as
// they are, so [websocket.CloseStatus] finds the close code.
//
// The message is read into a pooled buffer and decoded from there, so the
// only memory left behind is v's: a json.Decoder on the message reader
// would copy the message into a growing buffer of its own instead. The
// connection's MaxMessageSize bounds that buffer.
func Read(ctx context.Context, c *websocket.Conn, v any) error {
	bp := bufPool.Get().(*[]byte)
	defer putBuf(bp)
	typ, p, err := c.AppendRead(ctx, (*bp)[:0])
	if err != nil {
		return err
	}
	*bp = p
	if typ != websocket.MessageText {
		return ErrNotText
	}
	if err := json.Unmarshal(p, v); err != nil {
		return fmt.Errorf("wsjson: decoding a message: %w", err)
	}
	return nil
}

var bufPool = sync.Pool{New: func() any { return new([]byte) }}

// maxPooled is the largest buffer kept for the next Read: a rare huge
// message does not pin its memory.
const maxPooled = 1 << 20

func putBuf(bp *[]byte) {
	if cap(*bp) <= maxPooled {
		bufPool.Put(bp)
	}
}

// Write encodes v as JSON (as [json.Marshal] does) and sends it as one text
// message. A value that cannot be encoded sends nothing.
func Write(ctx context.Context, c *websocket.Conn, v any) error {
	// json.Encoder encodes the whole value into its own buffer and then
	// makes one Write, so the message starts only once encoding succeeded,
	// and goes out in frames straight from that buffer.
	m := message{ctx: ctx, c: c}
	enc := json.NewEncoder(&m)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		if m.err != nil {
			return m.err
		}
		return fmt.Errorf("wsjson: encoding a value: %w", err)
	}
	return m.err
}

// message sends each Write as one text message, without the newline
// json.Encoder puts after a value.
type message struct {
	ctx context.Context
	c   *websocket.Conn
	err error
}

func (m *message) Write(p []byte) (int, error) {
	n := len(p)
	if n > 0 && p[n-1] == '\n' {
		p = p[:n-1]
	}
	m.err = m.c.Write(m.ctx, websocket.MessageText, p)
	if m.err != nil {
		return 0, m.err
	}
	return n, nil
}
