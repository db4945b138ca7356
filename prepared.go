package websocket

import (
	"context"
	"sync"
	"unicode/utf8"

	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/wire"
)

// PreparedMessage is a message encoded once for sending to many
// connections, as a broadcast does: the server frame of its bytes, and its
// compressed form for each compression setting that keeps no context
// between messages, are built at the first send that needs them and reused
// by every later one. Connections that compress with context takeover, and
// clients (which mask every frame with a fresh key), still encode it
// themselves.
//
// A PreparedMessage is safe for concurrent use. The data passed to
// NewPreparedMessage must not be modified afterwards.
type PreparedMessage struct {
	typ  MessageType
	data []byte

	mu    sync.Mutex
	frame []byte                 // unmasked, uncompressed frame
	z     map[preparedKey][]byte // compressed payloads
}

type preparedKey struct {
	flow  deflate.Flow
	level int
}

// NewPreparedMessage prepares data as a message of type typ. A text message
// must be valid UTF-8.
func NewPreparedMessage(typ MessageType, data []byte) (*PreparedMessage, error) {
	if typ != MessageText && typ != MessageBinary {
		return nil, ErrMessageType
	}
	if typ == MessageText && !utf8.Valid(data) {
		return nil, ErrInvalidUTF8
	}
	return &PreparedMessage{typ: typ, data: data}, nil
}

// Len returns the length of the message's payload.
func (pm *PreparedMessage) Len() int { return len(pm.data) }

// Message returns the message's type and payload, for a driver that frames
// it itself (such as package server's event-loop mode). The payload must
// not be modified.
func (pm *PreparedMessage) Message() (MessageType, []byte) { return pm.typ, pm.data }

// plainFrame returns the message as one unmasked, uncompressed frame.
func (pm *PreparedMessage) plainFrame() []byte {
	pm.mu.Lock()
	defer pm.mu.Unlock()
	if pm.frame == nil {
		h := wire.Header{Fin: true, Opcode: wire.Opcode(pm.typ), Length: int64(len(pm.data))}
		pm.frame = wire.AppendFrame(make([]byte, 0, h.Size()+len(pm.data)), h, pm.data)
	}
	return pm.frame
}

// compressed returns the message compressed on its own for flow f.
func (pm *PreparedMessage) compressed(f deflate.Flow, level int) []byte {
	k := preparedKey{f, level}
	pm.mu.Lock()
	defer pm.mu.Unlock()
	z, ok := pm.z[k]
	if !ok {
		comp := deflate.NewCompressor(f, level)
		z = comp.Finish(comp.Compress(nil, pm.data))
		comp.Release()
		if pm.z == nil {
			pm.z = make(map[preparedKey][]byte)
		}
		pm.z[k] = z
	}
	return z
}

// WritePrepared sends pm as one message, like Write.
func (c *Conn) WritePrepared(ctx context.Context, pm *PreparedMessage) error {
	if err := c.acquire(ctx, &c.msem); err != nil {
		return err
	}
	defer c.release(&c.msem)
	op := wire.Opcode(pm.typ)
	if c.compressing() && len(pm.data) >= c.z.threshold {
		if !c.z.compFlow.NoContextTakeover {
			z := c.z.comp.Finish(c.z.comp.Compress(c.z.zbuf[:0], pm.data))
			err := c.writeData(ctx, true, wire.RSV1, op, z)
			c.compressedMessageDone(z)
			return err
		}
		return c.writeData(ctx, true, wire.RSV1, op, pm.compressed(c.z.compFlow, c.z.compLevel))
	}
	if c.role == RoleClient {
		return c.writeData(ctx, true, 0, op, pm.data)
	}
	frame := pm.plainFrame()
	h := wire.Header{Fin: true, Opcode: op, Length: int64(len(pm.data))}
	return c.sendDataFrame(ctx, h, sendPrepared, frame)
}
