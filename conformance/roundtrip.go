package conformance

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
	"unicode/utf8"

	"github.com/wskit/websocket/wire"
)

// loadPayloads reads the payload files the cases use, keyed by name. It
// fails when a case needs one and dir is empty or lacks it.
func loadPayloads(dir string, cases []Case) (map[string][]byte, error) {
	files := map[string][]byte{}
	for i := range cases {
		for _, st := range cases[i].Steps {
			if st.Trip == nil || st.Trip.Source == "" || files[st.Trip.Source] != nil {
				continue
			}
			if dir == "" {
				return nil, fmt.Errorf("websocket: case %s needs the payload file %s: set Options.Payloads to the payload directory", cases[i].ID, st.Trip.Source)
			}
			b, err := os.ReadFile(filepath.Join(dir, st.Trip.Source))
			if err != nil {
				return nil, fmt.Errorf("websocket: case %s needs a payload file: %w", cases[i].ID, err)
			}
			if len(b) < st.Trip.Size {
				return nil, fmt.Errorf("websocket: payload file %s has %d bytes, case %s needs %d", st.Trip.Source, len(b), cases[i].ID, st.Trip.Size)
			}
			files[st.Trip.Source] = b
		}
	}
	return files, nil
}

// cutMessages returns count messages of size bytes cut from file at offsets
// spread over it. For text the cuts fall on UTF-8 boundaries so that every
// message is valid text.
func cutMessages(file []byte, text bool, size, count int) ([][]byte, error) {
	span := len(file) - size + 1
	boundary := func(i int) bool { return i == len(file) || utf8.RuneStart(file[i]) }
	msgs := make([][]byte, count)
	for i := range msgs {
		start := int((uint64(i)*2654435761 + uint64(i)*uint64(size)) % uint64(span))
		if text {
			found := false
			for k := 0; k < span; k++ {
				if boundary(start) && boundary(start+size) {
					found = true
					break
				}
				start = (start + 1) % span
			}
			if !found {
				return nil, fmt.Errorf("websocket: no %d-byte piece of the payload file is valid UTF-8", size)
			}
		}
		msgs[i] = file[start : start+size]
	}
	return msgs, nil
}

// tripMessages returns the messages of a round trip: cut from a payload
// file, or windows onto one generated pattern so that consecutive messages
// differ.
func (s *session) tripMessages(t *RoundTrip) ([][]byte, error) {
	if t.Source != "" {
		return cutMessages(s.files[t.Source], t.Opcode == wire.OpText, t.Size, t.Count)
	}
	shift := min(t.Count-1, 63)
	var base []byte
	if t.Opcode == wire.OpText {
		base = textPattern(t.Size + shift)
	} else {
		base = binaryPattern(t.Size + shift)
	}
	msgs := make([][]byte, t.Count)
	for i := range msgs {
		k := i % (shift + 1)
		msgs[i] = base[k : k+t.Size]
	}
	return msgs, nil
}

// appendMessage appends msg as the tester sends it: compressed when
// permessage-deflate is on, in frames of at most frameSize payload bytes.
func (s *session) appendMessage(dst []byte, op wire.Opcode, msg []byte, frameSize int) []byte {
	var rsv byte
	s.sentRaw += int64(len(msg))
	if s.comp != nil {
		msg = s.comp.compress(msg)
		rsv = wire.RSV1
	}
	s.sentWire += int64(len(msg))
	if frameSize <= 0 || len(msg) <= frameSize {
		return s.appendFrame(dst, Frame{Opcode: op, Fin: true, RSV: rsv, Payload: msg})
	}
	for first := true; len(msg) > 0; first = false {
		n := min(frameSize, len(msg))
		f := Frame{Opcode: wire.OpContinuation, Fin: n == len(msg), Payload: msg[:n]}
		if first {
			f.Opcode, f.RSV = op, rsv
		}
		dst = s.appendFrame(dst, f)
		msg = msg[n:]
	}
	return dst
}

// slot is a send buffer of a round trip, reused once its write is done.
type slot struct {
	buf  []byte
	done chan error
	busy bool
}

// roundTrip sends the messages of st.Trip, up to Trip.Window at a time, and
// checks every echo byte for byte as it arrives.
func (s *session) roundTrip(ctx context.Context, st *Step) {
	t := st.Trip
	msgs, err := s.tripMessages(t)
	if err != nil {
		s.log.printf("%v", err)
		s.received = append(s.received, Event{Kind: EventEchoed})
		return
	}
	window := max(t.Window, 1)
	slots := make([]slot, window)
	for i := range slots {
		slots[i].done = make(chan error, 1)
	}
	frames := max(1, (t.Size+t.FrameSize-1)/max(t.FrameSize, 1))
	if t.FrameSize <= 0 {
		frames = 1
	}
	how := ""
	if st.Chop > 0 {
		how = fmt.Sprintf(", written in pieces of %d bytes", st.Chop)
	}
	s.log.printf("sending %d %s message(s) of %d bytes (%d frame(s) each before compression%s), %d in flight at most",
		t.Count, t.Opcode, t.Size, frames, how, window)

	began := time.Now()
	sentAt := make([]time.Time, t.Count)
	var rtt, rttMax time.Duration
	var recvWire, recvRaw int64
	sent, got := 0, 0
	stopWith := func(format string, args ...any) {
		s.log.printf(format, args...)
		s.received = append(s.received, Event{Kind: EventEchoed, Count: got})
	}
	for got < t.Count {
		for sent < t.Count && sent-got < window {
			sl := &slots[sent%window]
			if sl.busy {
				select {
				case <-sl.done:
				case <-ctx.Done():
					stopWith("timed out after %d of %d echoes", got, t.Count)
					return
				}
			}
			sl.buf = s.appendMessage(sl.buf[:0], t.Opcode, msgs[sent], t.FrameSize)
			sl.busy = true
			sentAt[sent] = time.Now()
			s.enqueue(writeJob{pieces: chop(sl.buf, st.Chop), done: sl.done})
			sent++
		}
		ev, ok := s.next(ctx)
		if !ok {
			stopWith("timed out after %d of %d echoes", got, t.Count)
			return
		}
		switch ev.kind {
		case inMessage:
			want := msgs[got]
			if ev.opcode != t.Opcode || !bytes.Equal(ev.payload, want) {
				stopWith("echo %d of %d differs from what was sent: got a %s message of %d bytes, sent a %s message of %d bytes%s",
					got+1, t.Count, ev.opcode, len(ev.payload), t.Opcode, len(want), firstDiff(ev.payload, want))
				s.received = append(s.received, Event{Kind: EventMessage, Opcode: ev.opcode, Payload: ev.payload})
				return
			}
			d := ev.at.Sub(sentAt[got])
			rtt += d
			rttMax = max(rttMax, d)
			recvWire += int64(ev.wire)
			recvRaw += int64(len(ev.payload))
			got++
		case inPing:
			s.record(ev)
		case inPong:
			s.record(ev)
		default:
			s.record(ev)
			stopWith("the connection ended after %d of %d echoes", got, t.Count)
			return
		}
	}
	for i := range slots {
		if slots[i].busy {
			<-slots[i].done
		}
	}
	elapsed := time.Since(began)
	s.received = append(s.received, Event{Kind: EventEchoed, Count: t.Count})
	s.log.printf("%d echoes correct in %v (%.0f messages/s); round trip mean %v, max %v",
		t.Count, elapsed.Round(time.Microsecond), float64(t.Count)/elapsed.Seconds(),
		(rtt / time.Duration(t.Count)).Round(time.Microsecond), rttMax.Round(time.Microsecond))
	if s.defl != nil {
		s.log.printf("compression: tester sent %d bytes as %d (%.1f%%), peer sent %d bytes as %d (%.1f%%)",
			s.sentRaw, s.sentWire, pct(s.sentWire, s.sentRaw), recvRaw, recvWire, pct(recvWire, recvRaw))
	}
}

func pct(a, b int64) float64 {
	if b == 0 {
		return 100
	}
	return 100 * float64(a) / float64(b)
}

// firstDiff describes where got first differs from want.
func firstDiff(got, want []byte) string {
	n := min(len(got), len(want))
	for i := range n {
		if got[i] != want[i] {
			return fmt.Sprintf("; first difference at byte %d", i)
		}
	}
	if len(got) != len(want) {
		return fmt.Sprintf("; equal for the first %d bytes", n)
	}
	return ""
}
