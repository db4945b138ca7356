package inspect

import (
	"fmt"

	"github.com/wskit/websocket/wire"
)

const (
	// resyncMax bounds the bytes kept while looking for a frame header;
	// older ones are dropped and counted as skipped.
	resyncMax = 256 << 10

	// resyncChain is how many plausible headers in a row, each where the
	// one before ends, make a place to start decoding from.
	resyncChain = 2

	// resyncMaxFrame is the largest frame taken as plausible.
	resyncMaxFrame = 64 << 20
)

// startResync drops the framing: the direction looks for the next frame
// header among the bytes that follow.
func (s *side) startResync() {
	s.abandonMessage()
	if s.z != nil {
		s.z.abandon()
	}
	s.dec.Reset()
	s.val.Reset()
	s.utf.Reset()
	s.partial = false
	s.skipping = false
	s.resyncing = true
	s.afterResync = true
	s.rbuf = s.rbuf[:0]
	s.rfrom = 0
	s.rskipped = 0
}

// resync adds p to the bytes kept while looking for a frame header. When
// it finds where framing starts again it reports the bytes skipped and
// returns those to decode from there on; otherwise it returns nil.
func (s *side) resync(p []byte) []byte {
	s.rbuf = append(s.rbuf, p...)
	undecided := false
	for i := s.rfrom; i < len(s.rbuf); i++ {
		switch s.chain(s.rbuf[i:]) {
		case chainNo:
			if !undecided {
				s.rfrom = i + 1
			}
			continue
		case chainMaybe:
			undecided = true
			continue
		}
		if skipped := s.rskipped + int64(i); skipped > 0 {
			s.finding(fmt.Errorf("%w: %d bytes", ErrResync, skipped), nil)
		}
		rest := s.rbuf[i:]
		s.rbuf, s.rfrom, s.rskipped = nil, 0, 0
		s.resyncing = false
		return rest
	}
	if len(s.rbuf) > resyncMax {
		drop := len(s.rbuf) - resyncMax/2
		s.rskipped += int64(drop)
		s.rbuf = append(s.rbuf[:0], s.rbuf[drop:]...)
		s.rfrom = max(0, s.rfrom-drop)
	}
	return nil
}

type chainResult uint8

const (
	chainNo    chainResult = iota // not a frame header: never will be
	chainMaybe                    // cannot tell without more bytes
	chainYes                      // resyncChain plausible headers in a row
)

// chain reports whether b starts with resyncChain plausible frame headers,
// each where the payload of the one before ends.
func (s *side) chain(b []byte) chainResult {
	pos := 0
	masked := false
	for n := 0; n < resyncChain; n++ {
		if pos >= len(b) {
			return chainMaybe
		}
		h, size, err := wire.ParseHeader(b[pos:])
		if err == wire.ErrNeedMore {
			return chainMaybe
		}
		if n == 0 {
			masked = h.Masked
		}
		if err != nil || h.Masked != masked || !s.plausible(h) {
			return chainNo
		}
		pos += size + int(h.Length)
	}
	if !s.roleKnown {
		// The first midstream half to find its framing takes the role its
		// masking shows (RFC 6455 §5.1: clients mask, servers do not),
		// and the other half the other role.
		d := ServerToClient
		if masked {
			d = ClientToServer
		}
		s.roleKnown = true
		s.setDir(d)
		if other := s.f.sides[s.half^1]; !other.roleKnown {
			other.roleKnown = true
			other.setDir(d.Other())
		}
	}
	return chainYes
}

// plausible reports whether h could be the next frame of this direction.
func (s *side) plausible(h wire.Header) bool {
	if (s.roleKnown && h.Masked != (s.dir == ClientToServer)) || h.Opcode.IsReserved() || h.Length > resyncMaxFrame {
		return false
	}
	if !h.Fin && h.Length == 0 && !h.Opcode.IsControl() {
		return false // legal, but what runs of zero bytes look like
	}
	if h.Opcode.IsControl() {
		return h.Fin && h.RSV == 0 && h.Length <= wire.MaxControlPayload
	}
	if h.Opcode == wire.OpContinuation {
		return h.RSV == 0
	}
	return h.RSV == 0 || (h.RSV == wire.RSV1 && s.z != nil)
}
