package inspect

import (
	"errors"
	"net/http"
	"time"

	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/wire"
)

// The flow's own findings, wrapped by Finding.Err.
var (
	// ErrGap is bytes missing from the capture (Flow.Gap).
	ErrGap = errors.New("websocket inspect: bytes missing from the capture")

	// ErrTruncated is a direction that ended inside a frame or a
	// fragmented message.
	ErrTruncated = errors.New("websocket inspect: stream ended inside a frame or message")

	// ErrResync is bytes skipped to find the next frame header, after a
	// gap that lost the framing or at the start of a midstream flow.
	ErrResync = errors.New("websocket inspect: bytes skipped to find a frame header")

	// ErrPartialMessage is a message whose first frame is not in the
	// capture (it began before a gap, or before a midstream flow's
	// start): its type and compression are unknown, so it is delivered
	// with opcode OpContinuation and its payload as on the wire.
	ErrPartialMessage = errors.New("websocket inspect: message began before the captured bytes")

	// ErrStreamLost is framing that cannot go on: a frame length above
	// 2^63-1. The direction resynchronises on the next plausible header.
	ErrStreamLost = errors.New("websocket inspect: framing lost")
)

// Flow decodes both directions of one WebSocket connection. See the
// package documentation.
type Flow struct {
	// Upgrade is the observed handshake; nil for a midstream flow.
	Upgrade *Upgrade

	h     Handler
	sides [2]*side
}

// NewFlow checks the observed opening handshake with CheckUpgrade and
// returns a flow that reports to h what follows it. On an invalid
// handshake it returns the error, which names the problem, and no flow:
// the connection is not a WebSocket connection.
func NewFlow(req *http.Request, resp *http.Response, h Handler) (*Flow, error) {
	u, err := CheckUpgrade(req, resp)
	if err != nil {
		return nil, err
	}
	return newFlow(u, h), nil
}

// NewFlowBytes is NewFlow for the raw bytes of the request and response
// heads, as ParseUpgrade takes them.
func NewFlowBytes(request, response []byte, h Handler) (*Flow, error) {
	u, err := ParseUpgrade(request, response)
	if err != nil {
		return nil, err
	}
	return newFlow(u, h), nil
}

// NewFlowFrom returns a flow for a handshake already checked by
// CheckUpgrade or ParseUpgrade.
func NewFlowFrom(u *Upgrade, h Handler) *Flow { return newFlow(u, h) }

func newFlow(u *Upgrade, h Handler) *Flow {
	f := &Flow{Upgrade: u, h: h}
	var flows [2]*deflate.Flow
	if u.Deflate != nil {
		c, s := u.Deflate.Flows()
		flows = [2]*deflate.Flow{&c, &s}
	}
	f.sides[ClientToServer] = newSide(f, ClientToServer, flows)
	f.sides[ServerToClient] = newSide(f, ServerToClient, flows)
	return f
}

// MidstreamOptions describes what a midstream flow assumes about a
// connection whose opening handshake it did not see.
type MidstreamOptions struct {
	// Deflate, when set, is the permessage-deflate agreement assumed for
	// messages with RSV1; when nil, each direction's compressed messages
	// are inflated with context takeover and a 15-bit window, the
	// defaults. Either way a message that refers to history from before
	// the capture cannot be inflated and is reported as a finding.
	Deflate *deflate.Params
}

// NewMidstreamFlow returns a flow for a connection captured after its
// opening handshake. Each direction starts by looking for a run of
// plausible frame headers (a finding wrapping ErrResync says how many
// bytes it skipped); a message already under way when the capture starts
// is reported with opcode OpContinuation, and its payload as it is on the
// wire. Feed's dir only tells the two halves of the connection apart: the
// first half to find its framing takes the role its masking shows (clients
// mask, servers do not), the other half the other role, and the handler
// is called with those directions.
func NewMidstreamFlow(o *MidstreamOptions, h Handler) *Flow {
	p := deflate.Params{}
	if o != nil && o.Deflate != nil {
		p = *o.Deflate
	}
	f := newFlow(&Upgrade{Deflate: &p}, h)
	f.Upgrade = nil
	for _, s := range f.sides {
		s.roleKnown = false
		s.startResync()
	}
	return f
}

// Feed gives the flow the next bytes captured in direction dir, at time t.
// data may be any part of the stream, even empty; the flow does not keep
// it after Feed returns and does not change it. eof says the direction
// ended after data (a FIN or the end of the capture): the flow reports
// an incomplete frame or message as a finding, then calls Control with a
// nil info. Nothing is decoded in a direction after its eof.
func (f *Flow) Feed(dir Dir, data []byte, eof bool, t time.Time) {
	s := f.sides[dir&1]
	if s.ended {
		return
	}
	s.feed(data, t)
	if eof {
		s.end(t)
	}
}

// Gap tells the flow that n bytes of direction dir are missing from the
// capture at this point. Inside a frame's payload the frame goes on with
// a hole (a compressed message cannot be inflated past it); a gap that
// takes the framing with it makes the direction look for the next frame
// header. Either way a finding wrapping ErrGap is reported.
func (f *Flow) Gap(dir Dir, n int64, t time.Time) {
	s := f.sides[dir&1]
	if s.ended || n <= 0 {
		return
	}
	s.gap(n, t)
}

// Close ends both directions that have not yet ended, as Feed with eof
// does, and releases the decompressors.
func (f *Flow) Close(t time.Time) {
	for _, s := range f.sides {
		if !s.ended {
			s.end(t)
		}
	}
}

// Ended reports whether direction dir has ended.
func (f *Flow) Ended(dir Dir) bool { return f.sides[dir&1].ended }

// finding reports err for direction dir, with the frame it is about.
func (f *Flow) finding(dir Dir, t time.Time, err error, fi *FrameInfo) {
	var frame *FrameInfo
	if fi != nil {
		c := *fi
		c.RawHeader = append([]byte(nil), fi.RawHeader...)
		frame = &c
	}
	f.h.Finding(&Finding{Dir: dir, Time: t, Err: err, Frame: frame})
}

// role returns the role of the endpoint that receives direction dir.
func receiver(dir Dir) wire.Role {
	if dir == ClientToServer {
		return wire.RoleServer
	}
	return wire.RoleClient
}
