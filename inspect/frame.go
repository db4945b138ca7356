package inspect

import (
	"time"

	"github.com/wskit/websocket/wire"
)

// Dir is the direction bytes travel in.
type Dir uint8

// The two directions of a connection.
const (
	ClientToServer Dir = 0
	ServerToClient Dir = 1
)

// String returns "client" for bytes the client sent and "server" for
// bytes the server sent.
func (d Dir) String() string {
	if d == ServerToClient {
		return "server"
	}
	return "client"
}

// Other returns the opposite direction.
func (d Dir) Other() Dir { return 1 - d&1 }

// FrameInfo describes the frame a Control or Data call belongs to. The
// flow reuses it from call to call: it, and the slices it holds, are valid
// only during the call.
type FrameInfo struct {
	// Opcode is the opcode of the message: for a continuation frame, that
	// of the message's first frame. It is OpContinuation for a message
	// whose first frame was not seen (after a gap, or mid-connection).
	Opcode wire.Opcode

	// Header is the frame's header as received: its own opcode, FIN, RSV
	// bits, mask key and payload length.
	Header wire.Header

	// RawHeader holds the header bytes as they were on the wire, on the
	// first Data call of each frame and on every Control call; nil on the
	// other Data calls of a frame.
	RawHeader []byte

	// First is set on the first Data call of a message.
	First bool

	// Remaining is the number of payload bytes of the current frame, as on
	// the wire (compressed, for a compressed message), still to come after
	// this call.
	Remaining int64

	// Offset is the position, within the frame's payload as on the wire,
	// of the first byte of this piece. It describes the bytes of an
	// uncompressed message only: a compressed message's pieces are
	// inflated output.
	Offset int64

	// Compressed is set for a message sent with permessage-deflate (RSV1 on
	// its first frame); its Data pieces are the decompressed bytes.
	Compressed bool

	// CloseCode and CloseReason are those of a close frame (RFC 6455
	// §5.5.1); CloseCode is StatusNoStatusRcvd (1005) for a close frame
	// without a payload, and 0 on other frames.
	CloseCode   wire.StatusCode
	CloseReason string
}

// Unmask unmasks b in place, b being bytes of this frame's payload as they
// were on the wire, starting at payload offset off: for a caller that kept
// a copy of the masked bytes. It does nothing for an unmasked frame.
func (fi *FrameInfo) Unmask(b []byte, off int64) {
	if fi.Header.Masked {
		wire.MaskBytes(fi.Header.Mask, int(off&3), b)
	}
}

// Handler receives what a Flow decodes. Its methods are called from Feed,
// Gap and Close, never concurrently; none may call back into the flow.
type Handler interface {
	// Control is called with each control frame's whole unmasked payload
	// and the time of the chunk that completed it. When a direction ends
	// (Feed with eof, or Close), it is called once more for that
	// direction with an empty payload and a nil info.
	Control(dir Dir, payload []byte, t time.Time, info *FrameInfo)

	// Data is called with the payload of data frames as it arrives:
	// unmasked, decompressed for a compressed message, in pieces whose
	// size depends on how the bytes were captured. Every frame gets at
	// least one call (an empty piece for an empty frame), and eom is set
	// on the last piece of a message, the one that ends the frame with
	// FIN. data is valid only during the call. A message that cannot be
	// finished (the next message started, the capture has a gap, the
	// direction ended) gets no eom: a Finding says why, and the next
	// message's first piece has First set.
	Data(dir Dir, data []byte, eom bool, t time.Time, info *FrameInfo)

	// Finding is called for each protocol violation, decompression
	// failure, gap or other anomaly, after which decoding goes on.
	Finding(f *Finding)
}

// Finding is something wrong that a Flow found in one direction.
type Finding struct {
	Dir  Dir
	Time time.Time

	// Err says what is wrong. Violations of RFC 6455 wrap the wire
	// package's sentinels (wire.ErrUnmaskedFrame, wire.ErrInvalidUTF8,
	// ...), a message that cannot be inflated wraps deflate.ErrCorrupt,
	// and the flow's own findings wrap ErrGap, ErrTruncated and
	// ErrResync.
	Err error

	// Frame is the offending frame, when there is one: its header and raw
	// header bytes, and the message's opcode. It is nil for findings about
	// the stream (a gap, a resynchronisation).
	Frame *FrameInfo
}

// Error returns the finding as text, with its direction.
func (f *Finding) Error() string {
	s := f.Dir.String() + ": " + f.Err.Error()
	if f.Frame != nil {
		s += " (frame " + f.Frame.Header.Opcode.String()
		if f.Frame.Opcode != f.Frame.Header.Opcode {
			s += " of " + f.Frame.Opcode.String()
		}
		s += ")"
	}
	return s
}

// Unwrap returns Err.
func (f *Finding) Unwrap() error { return f.Err }
