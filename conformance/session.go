package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/wskit/websocket/endpoint"
	"github.com/wskit/websocket/wire"
)

// maxMessage bounds what the tester accepts in one message from the peer.
const maxMessage = 64 << 20

// Who ended a connection first.
const (
	byTester = "tester"
	byPeer   = "peer"
)

// inKind says what the reader saw.
type inKind uint8

const (
	inMessage   inKind = iota + 1
	inPing             // answered by the reader
	inPong             //
	inClose            // the peer's close frame
	inViolation        // the peer broke the protocol; the tester failed the connection
	inEnd              // the connection is gone
)

// inEvent is what the reader goroutine hands the script.
type inEvent struct {
	kind    inKind
	opcode  wire.Opcode
	payload []byte
	frames  int // inMessage: how many frames carried it
	wire    int // inMessage: payload bytes on the wire (compressed size)
	err     error
	at      time.Time
}

// writeJob is one batch of bytes for the writer goroutine: each piece goes
// out in its own Write call.
type writeJob struct {
	pieces [][]byte
	done   chan error // nil when nobody waits
}

// session is the tester's end of one case's connection: a script goroutine
// (run), a reader goroutine that decodes, answers pings and closes, and a
// writer goroutine that serializes every write, so that the reader never
// waits on a long write and a peer that echoes while the tester still writes
// cannot deadlock the two.
type session struct {
	c     *Case
	opts  *Options
	nc    net.Conn
	rd    io.Reader // nc, or a buffered reader holding bytes read with the handshake
	role  wire.Role // the tester's role
	mask  bool
	defl  *deflateParams
	files map[string][]byte
	log   *logger
	start time.Time

	comp   *compressor   // used by the script goroutine
	decomp *decompressor // used by the reader goroutine

	// The protocol engine: the reader goroutine receives with it; its
	// shared state is under emu, its outgoing frames are taken under mu.
	ep  endpoint.Endpoint
	emu sync.Mutex
	// The message being received, as the engine's OnFrame saw its frames
	// (reader goroutine only).
	msgRSV byte
	msgN   int

	// The writer's queue.
	wmu    sync.Mutex
	wqueue []writeJob
	wwake  chan struct{}
	wstop  chan struct{}
	wdone  chan struct{}

	readerExit chan struct{} // closed when the reader has finished

	// Shared state, under mu.
	mu         sync.Mutex
	inbox      []inEvent
	notify     chan struct{}
	readerDone bool
	closeSent  bool // the tester sent a close frame that counts (initiating or answering)
	closeRecv  bool
	closer     string
	peerCode   wire.StatusCode
	peerReason string
	gaveUp     bool // the tester dropped TCP because the closing handshake did not end
	dropped    bool // the tester closed TCP
	lateDrop   bool // as client, the tester closed TCP because the server did not after the handshake
	violation  error

	// Script state.
	pending  []byte // the rest of a frame split with Step.Part
	received []Event
	timedOut bool
	unimpl   bool
	sentWire int64 // bytes of message payload sent, compressed
	sentRaw  int64 // the same before compression
}

func newSession(c *Case, o *Options, nc net.Conn, rd io.Reader, role wire.Role, defl *deflateParams, files map[string][]byte, log *logger) *session {
	s := &session{
		c: c, opts: o, nc: nc, rd: rd, role: role, mask: role == wire.RoleClient, defl: defl, files: files, log: log,
		start:      log.start,
		wwake:      make(chan struct{}, 1),
		wstop:      make(chan struct{}),
		wdone:      make(chan struct{}),
		notify:     make(chan struct{}, 1),
		readerExit: make(chan struct{}),
	}
	eo := endpoint.Options{
		Role:           role,
		MaxMessageSize: maxMessage,
		Mask:           randomMask,
		Lock:           &s.emu,
		OnFrame:        s.onFrame,
	}
	if defl != nil {
		s.comp = newCompressor(defl.testerBits, defl.testerNoContext)
		s.decomp = newDecompressor(defl.peerBits, defl.peerNoContext)
		eo.ExtensionRSV = wire.RSV1 // inflated by the tester itself
	}
	s.ep.Init(eo)
	return s
}

// onFrame counts the frames of the message being received and keeps the
// RSV bits of its first; the engine calls it on the reader goroutine for
// frames received, and under emu for frames it queues.
func (s *session) onFrame(sent bool, h wire.Header) {
	if sent || h.Opcode.IsControl() {
		return
	}
	if h.Opcode != wire.OpContinuation {
		s.msgRSV, s.msgN = h.RSV, 0
	}
	s.msgN++
}

// run executes the case and returns its result.
func (s *session) run(ctx context.Context) Result {
	go s.writeLoop()
	readerExit := s.readerExit
	go func() {
		defer close(readerExit)
		s.readLoop()
	}()
	stop := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		if !s.readerDone {
			s.timedOut = true
		}
		s.mu.Unlock()
		s.nc.Close()
	})

	if s.c.Deflate != nil && s.defl == nil {
		s.unimpl = true
		s.log.printf("the peer did not accept permessage-deflate: case not run")
	} else {
		for i := range s.c.Steps {
			if s.gone() {
				s.log.printf("connection gone: %d of %d steps not run", len(s.c.Steps)-i, len(s.c.Steps))
				break
			}
			s.step(ctx, &s.c.Steps[i])
		}
	}
	s.finish(ctx)

	stop()
	s.nc.Close()
	<-readerExit
	close(s.wstop)
	<-s.wdone
	for ev, ok := s.take(); ok; ev, ok = s.take() {
		s.record(ev)
	}
	if s.timedOut {
		s.log.printf("case timed out")
	}
	return s.verdict()
}

// gone reports whether the connection has ended or is closing.
func (s *session) gone() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.readerDone || s.closeRecv
}

// Writing.

func (s *session) enqueue(job writeJob) {
	s.wmu.Lock()
	s.wqueue = append(s.wqueue, job)
	s.wmu.Unlock()
	select {
	case s.wwake <- struct{}{}:
	default:
	}
}

func (s *session) writeLoop() {
	defer close(s.wdone)
	var failed error
	for {
		s.wmu.Lock()
		jobs := s.wqueue
		s.wqueue = nil
		s.wmu.Unlock()
		for _, j := range jobs {
			err := failed
			for _, p := range j.pieces {
				if err != nil {
					break
				}
				_, err = s.nc.Write(p)
			}
			if err != nil && failed == nil {
				failed = err
			}
			if j.done != nil {
				j.done <- err
			}
		}
		if len(jobs) > 0 {
			continue
		}
		select {
		case <-s.wwake:
		case <-s.wstop:
			s.wmu.Lock()
			jobs := s.wqueue
			s.wqueue = nil
			s.wmu.Unlock()
			for _, j := range jobs {
				if j.done != nil {
					j.done <- net.ErrClosed
				}
			}
			return
		}
	}
}

// write sends pieces and waits until they are written, the connection is
// gone or ctx ends.
func (s *session) write(ctx context.Context, pieces [][]byte) error {
	done := make(chan error, 1)
	s.enqueue(writeJob{pieces: pieces, done: done})
	select {
	case err := <-done:
		return err
	case <-s.readerExit:
		return net.ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// appendFrame appends one frame as the tester's role sends it: masked with
// a fresh random key as client, unmasked as server.
func (s *session) appendFrame(dst []byte, f Frame) []byte {
	h := wire.Header{Fin: f.Fin, RSV: f.RSV, Opcode: f.Opcode, Masked: s.mask}
	if s.mask {
		h.Mask = randomMask()
	}
	return wire.AppendFrame(dst, h, f.Payload)
}

// closeFrame returns a close frame with code (none for StatusNoStatusRcvd).
func (s *session) closeFrame(code wire.StatusCode) []byte {
	return s.appendFrame(nil, Frame{Opcode: wire.OpClose, Fin: true, Payload: wire.AppendClosePayload(nil, code, "")})
}

// chop cuts b into pieces of n bytes (n <= 0: one piece).
func chop(b []byte, n int) [][]byte {
	if n <= 0 || n >= len(b) {
		return [][]byte{b}
	}
	pieces := make([][]byte, 0, (len(b)+n-1)/n)
	for len(b) > n {
		pieces = append(pieces, b[:n:n])
		b = b[n:]
	}
	return append(pieces, b)
}

// Reading.

func (s *session) post(ev inEvent) {
	ev.at = time.Now()
	s.mu.Lock()
	s.inbox = append(s.inbox, ev)
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// readLoop feeds what the peer sends to the endpoint engine until the
// connection ends, and records what the engine reports. The engine
// validates every frame as an endpoint of the tester's role must (RFC 6455
// §5), answers pings and the peer's close, and fails the connection with
// the code the failure calls for when the peer breaks the protocol, which
// fails the case.
//
// Two checks stay the tester's own, so that a fault the implementation
// under test shares with its engine cannot pass unseen: a compressed
// message is inflated by the tester's permessage-deflate (deflate.go,
// written on compress/flate), and a text message is checked for UTF-8
// with the standard library once whole, after the engine's incremental
// check.
func (s *session) readLoop() {
	defer func() {
		s.mu.Lock()
		s.readerDone = true
		if s.closer == "" {
			s.closer = byPeer
		}
		s.mu.Unlock()
		s.post(inEvent{kind: inEnd})
	}()
	var (
		msg []byte
		ev  endpoint.Event
	)
	buf := make([]byte, 128<<10)
	for {
		n, rerr := s.rd.Read(buf)
		p := buf[:n]
		for {
			used, err := s.ep.Receive(p, &ev)
			p = p[used:]
			if err != nil {
				if ev.Kind == endpoint.Close {
					s.peerClose(ev.Code, ev.Data, err)
					s.afterClose()
				} else {
					s.fail(err)
				}
				return
			}
			switch ev.Kind {
			case endpoint.MessageStart:
				msg = nil
			case endpoint.Data:
				msg = append(msg, ev.Data...)
				if ev.End && !s.message(ev.Type, s.msgRSV, msg, s.msgN) {
					return
				}
			case endpoint.Ping:
				s.post(inEvent{kind: inPing, payload: bytes.Clone(ev.Data)})
				s.flush()
			case endpoint.Pong:
				s.post(inEvent{kind: inPong, payload: bytes.Clone(ev.Data)})
			case endpoint.Close:
				s.peerClose(ev.Code, ev.Data, nil)
				s.afterClose()
				return
			}
			if ev.Kind == endpoint.None {
				break
			}
		}
		if rerr != nil {
			s.mu.Lock()
			if s.closer == "" {
				s.closer = byPeer
			}
			s.mu.Unlock()
			if !errors.Is(rerr, io.EOF) && !errors.Is(rerr, net.ErrClosed) {
				s.log.printf("read: %v", rerr)
			}
			return
		}
	}
}

// randomMask is a fresh masking key for each frame (RFC 6455 §5.3).
func randomMask() [4]byte {
	k := rand.Uint32()
	return [4]byte{byte(k), byte(k >> 8), byte(k >> 16), byte(k >> 24)}
}

// message delivers a complete data message; it returns false when the
// message broke the protocol.
func (s *session) message(op wire.Opcode, rsv byte, payload []byte, frames int) bool {
	wireLen := len(payload)
	if rsv&wire.RSV1 != 0 {
		out, err := s.decomp.decompress(nil, payload, maxMessage)
		if err != nil {
			s.fail(fmt.Errorf("websocket: permessage-deflate: %v", err))
			return false
		}
		payload = out
	}
	if op == wire.OpText && !utf8.Valid(payload) {
		s.fail(wire.ErrInvalidUTF8)
		return false
	}
	s.post(inEvent{kind: inMessage, opcode: op, payload: payload, frames: frames, wire: wireLen})
	return true
}

// flush hands the control frames the engine queued (a pong, a close) to
// the writer. s.mu keeps them in order with the frames the script marks
// as closing (see markClose).
func (s *session) flush() {
	s.mu.Lock()
	out := s.ep.AppendOutgoing(nil)
	s.mu.Unlock()
	if len(out) > 0 {
		s.enqueue(writeJob{pieces: [][]byte{out}})
	}
}

// markClose tells the engine that the script is about to send a close
// frame of its own making (which may be deliberately bad), so that the
// engine answers no ping after it and does not echo the peer's close. The
// close frame the engine queues for it is dropped; control frames queued
// before it are returned, to go out first. The caller holds s.mu.
func (s *session) markClose() []byte {
	out := s.ep.AppendOutgoing(nil)
	if s.ep.Close(wire.StatusNormalClosure, "") == nil {
		s.ep.AppendOutgoing(nil)
	}
	return out
}

// peerClose records the peer's close frame (err: why it is not valid) and
// sends the engine's answer: the echo of its code, or the failure's code
// for a close that is not valid (RFC 6455 §5.5.1, §7.4), unless the tester
// closed first.
func (s *session) peerClose(code wire.StatusCode, payload []byte, err error) {
	p := bytes.Clone(payload)
	s.mu.Lock()
	s.closeRecv = true
	s.peerCode, s.peerReason = code, ""
	if err == nil {
		_, s.peerReason, _ = wire.ParseClosePayload(p)
	} else if s.violation == nil {
		s.violation = fmt.Errorf("invalid close frame (payload 0x%x): %w", p, err)
	}
	if s.closer == "" {
		s.closer = byPeer
	}
	s.closeSent = true
	out := s.ep.AppendOutgoing(nil)
	s.mu.Unlock()
	s.post(inEvent{kind: inClose, payload: p, err: err})
	s.writeNow(out)
}

// writeNow writes b, if any, waiting up to closeWait.
func (s *session) writeNow(b []byte) {
	if len(b) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.closeWait())
	s.write(ctx, [][]byte{b})
	cancel()
}

// afterClose ends the connection once both close frames are out: a server
// closes TCP at once (RFC 6455 §7.1.1); a client waits for the server to
// (closeWait: the original's one second proved too short for a correct
// server on a loaded machine), and closes it itself when the server does
// not.
func (s *session) afterClose() {
	if s.role == wire.RoleServer {
		s.drop()
		return
	}
	wait := s.opts.closeWait()
	s.nc.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 4096)
	for {
		_, err := s.rd.Read(buf)
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			s.mu.Lock()
			s.lateDrop = true
			s.mu.Unlock()
			s.log.printf("the server did not close TCP within %v of the closing handshake; the tester closed it", wait)
			s.drop()
		}
		return
	}
}

// fail records the peer's protocol violation and fails the connection
// (RFC 6455 §7.1.7): the engine's close frame with the failure's code,
// unless a close was sent, then TCP is closed.
func (s *session) fail(err error) {
	s.mu.Lock()
	if s.violation == nil {
		s.violation = err
	}
	if s.closer == "" {
		s.closer = byTester
	}
	s.closeSent = true
	s.ep.Fail(err)
	out := s.ep.AppendOutgoing(nil)
	s.mu.Unlock()
	s.post(inEvent{kind: inViolation, err: err})
	s.writeNow(out)
	s.drop()
}

// drop closes TCP from the tester's side.
func (s *session) drop() {
	s.mu.Lock()
	if !s.readerDone && !s.dropped {
		s.dropped = true
	}
	s.mu.Unlock()
	s.nc.Close()
}

// The script.

// record takes one event from the reader into the case's history.
func (s *session) record(ev inEvent) {
	t := ev.at.Sub(s.start).Seconds()
	switch ev.kind {
	case inMessage:
		e := Event{Kind: EventMessage, Opcode: ev.opcode, Payload: ev.payload}
		s.received = append(s.received, e)
		s.log.printf("received %s in %d frame(s) [at %.3fs]", e, ev.frames, t)
	case inPing:
		s.log.printf("received ping (%s); answered with a pong", describeBytes(ev.payload))
	case inPong:
		e := Event{Kind: EventPong, Payload: ev.payload}
		s.received = append(s.received, e)
		s.log.printf("received %s [at %.3fs]", e, t)
	case inClose:
		code, reason, err := wire.ParseClosePayload(ev.payload)
		switch {
		case len(ev.payload) == 0:
			s.log.printf("received close without a code")
		case err != nil:
			s.log.printf("received an invalid close (payload 0x%x): %v", ev.payload, err)
		default:
			s.log.printf("received close %d (%s) %q", int(code), code, shorten(reason, 60))
		}
	case inViolation:
		s.log.printf("PROTOCOL VIOLATION by the peer: %v; the tester failed the connection", ev.err)
	case inEnd:
		s.mu.Lock()
		dropped := s.dropped
		s.mu.Unlock()
		who := "the peer"
		if dropped {
			who = "the tester"
		}
		s.log.printf("TCP connection closed by %s", who)
	}
}

// take removes the next event from the inbox.
func (s *session) take() (inEvent, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.inbox) == 0 {
		return inEvent{}, false
	}
	ev := s.inbox[0]
	s.inbox[0] = inEvent{}
	s.inbox = s.inbox[1:]
	return ev, true
}

// pump records events until done returns true, the connection ends, until
// passes or ctx ends. It reports whether done returned true.
func (s *session) pump(ctx context.Context, until time.Time, done func() bool) bool {
	timer := time.NewTimer(time.Until(until))
	defer timer.Stop()
	for {
		for {
			ev, ok := s.take()
			if !ok {
				break
			}
			s.record(ev)
		}
		if done != nil && done() {
			return true
		}
		s.mu.Lock()
		end := s.readerDone && len(s.inbox) == 0
		s.mu.Unlock()
		if end {
			return false
		}
		select {
		case <-s.notify:
		case <-timer.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// next waits for the next event for a round trip.
func (s *session) next(ctx context.Context) (inEvent, bool) {
	for {
		if ev, ok := s.take(); ok {
			return ev, true
		}
		select {
		case <-s.notify:
		case <-ctx.Done():
			return inEvent{}, false
		}
	}
}

func (s *session) step(ctx context.Context, st *Step) {
	switch st.Kind {
	case StepSend:
		s.send(ctx, st)
	case StepWait:
		d := s.opts.settle()
		if s.pump(ctx, time.Now().Add(d), s.gone) || s.gone() {
			return
		}
		if st.Tag != "" && ctx.Err() == nil {
			s.received = append(s.received, Event{Kind: EventTimeout, Tag: st.Tag})
			s.log.printf("waited %v: connection still open (timeout %q)", d, st.Tag)
		}
	case StepRoundTrip:
		s.roundTrip(ctx, st)
	}
}

func (s *session) send(ctx context.Context, st *Step) {
	var b []byte
	var pieces [][]byte
	what := ""
	switch {
	case len(st.Frames) == 0:
		n := len(s.pending)
		if st.Part > 0 {
			n = min(st.Part, n)
		}
		b, s.pending = s.pending[:n], s.pending[n:]
		pieces = [][]byte{b}
		what = fmt.Sprintf("%d more bytes of the frame", n)
	case st.Part > 0:
		f := st.Frames[0]
		enc := s.appendFrame(nil, f)
		hdr := len(enc) - len(f.Payload)
		b, s.pending = enc[:hdr+st.Part], enc[hdr+st.Part:]
		pieces = [][]byte{b}
		what = fmt.Sprintf("%s: header and first %d payload bytes", f, st.Part)
	default:
		var names []string
		for _, f := range st.Frames {
			start := len(b)
			b = s.appendFrame(b, f)
			if st.FrameWise && st.Chop <= 0 {
				pieces = append(pieces, b[start:len(b):len(b)])
			}
			names = append(names, f.String())
		}
		if pieces == nil {
			pieces = chop(b, st.Chop)
		}
		what = fmt.Sprint(len(st.Frames), " frame(s) [", joinShort(names), "]")
		if st.Closing {
			s.mu.Lock()
			if s.closer == "" {
				s.closer = byTester
			}
			s.closeSent = true
			if out := s.markClose(); len(out) > 0 {
				s.enqueue(writeJob{pieces: [][]byte{out}})
			}
			s.mu.Unlock()
		}
	}
	how := "in one write"
	if len(pieces) > 1 {
		how = fmt.Sprintf("in %d writes", len(pieces))
	}
	s.log.printf("sent %s, %d bytes %s", what, len(b), how)
	if len(b) == 0 {
		return
	}
	if err := s.write(ctx, pieces); err != nil {
		s.log.printf("write failed: %v", err)
	}
}

func joinShort(names []string) string {
	if len(names) > 6 {
		return fmt.Sprintf("%s, %s, ... %d more ..., %s", names[0], names[1], len(names)-3, names[len(names)-1])
	}
	var b bytes.Buffer
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(n)
	}
	return b.String()
}

// finish ends the connection as the case expects: as initiator, a close
// (1000) once the expected events are in (or after a settle period) and a
// wait for the answer; otherwise a settle period for the peer to fail the
// connection, after which the tester drops it.
func (s *session) finish(ctx context.Context) {
	settle := s.opts.settle()
	s.mu.Lock()
	closeSent := s.closeSent
	s.mu.Unlock()
	if s.c.Close.ByTester || s.unimpl {
		if !closeSent && !s.gone() {
			quiet := s.c.Expect.Quiet
			met := func() bool { return !quiet && s.matches(s.c.Expect.OK) }
			if s.unimpl {
				met = func() bool { return true }
			}
			s.pump(ctx, time.Now().Add(settle), func() bool { return met() || s.gone() })
			s.mu.Lock()
			send := !s.closeSent && !s.readerDone && !s.closeRecv
			var pieces [][]byte
			if send {
				s.closeSent = true
				if s.closer == "" {
					s.closer = byTester
				}
				if out := s.markClose(); len(out) > 0 {
					pieces = append(pieces, out)
				}
			}
			s.mu.Unlock()
			if send {
				s.log.printf("sent close 1000")
				wctx, cancel := context.WithTimeout(ctx, s.opts.closeWait())
				if err := s.write(wctx, append(pieces, s.closeFrame(wire.StatusNormalClosure))); err != nil {
					s.log.printf("write failed: %v", err)
				}
				cancel()
			}
		}
		if !s.awaitEnd(ctx) {
			if !s.ended() {
				s.log.printf("no end of the closing handshake within %v; the tester dropped TCP", s.opts.closeWait())
				s.mu.Lock()
				s.gaveUp = true
				s.mu.Unlock()
				s.drop()
				s.pump(ctx, time.Now().Add(settle), s.ended)
			}
		}
		return
	}
	if !s.pump(ctx, time.Now().Add(settle), s.gone) && !s.gone() {
		s.mu.Lock()
		if s.closer == "" {
			s.closer = byTester
		}
		s.mu.Unlock()
		s.log.printf("the peer did not fail the connection within %v; the tester dropped TCP", settle)
		s.drop()
	}
	if !s.awaitEnd(ctx) && !s.ended() {
		s.drop()
		s.pump(ctx, time.Now().Add(settle), s.ended)
	}
}

// awaitEnd waits for the reader to finish: closeWait for the closing
// handshake, and once the peer's close is in, closeWait more for the
// server's TCP close that afterClose waits for. It reports whether the
// reader finished.
func (s *session) awaitEnd(ctx context.Context) bool {
	if s.pump(ctx, time.Now().Add(s.opts.closeWait()), s.ended) {
		return true
	}
	s.mu.Lock()
	closing := s.closeRecv && !s.readerDone
	s.mu.Unlock()
	return closing && s.pump(ctx, time.Now().Add(s.opts.closeWait()), s.ended)
}

// ended reports whether the reader has finished.
func (s *session) ended() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.readerDone
}

// matches reports whether the events so far are exactly want.
func (s *session) matches(want []Event) bool {
	return eventsEqual(s.received, want)
}

func eventsEqual(got, want []Event) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !got[i].equal(want[i]) {
			return false
		}
	}
	return true
}

// coalesced reports whether got is an in-order subsequence of want that
// ends with want's last event.
func coalesced(got, want []Event) bool {
	if len(got) == 0 || len(want) == 0 || !got[len(got)-1].equal(want[len(want)-1]) {
		return false
	}
	j := 0
	for _, g := range got {
		for j < len(want) && !want[j].equal(g) {
			j++
		}
		if j == len(want) {
			return false
		}
		j++
	}
	return true
}

// verdict judges the case.
func (s *session) verdict() Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.c
	res := Result{ID: c.ID, Description: c.Description, Expectation: c.Expectation, ClosedBy: s.closer}
	res.CloseCode = int(wire.StatusAbnormalClosure)
	if s.closeRecv {
		res.CloseCode, res.CloseReason = int(s.peerCode), s.peerReason
	}

	// What came back.
	var behavior Verdict
	switch {
	case s.unimpl:
		behavior = Unimplemented
	case c.Expect.Informational:
		behavior = Informational
	case s.violation != nil:
		behavior = Failed
		s.log.printf("the peer broke the protocol: %v", s.violation)
	case s.timedOut:
		behavior = Failed
	case eventsEqual(s.received, c.Expect.OK):
		behavior = OK
	case c.Expect.NonStrict != nil && eventsEqual(s.received, c.Expect.NonStrict),
		c.Expect.CoalescedPongs && coalesced(s.received, c.Expect.NonStrict):
		behavior = NonStrict
	default:
		behavior = Failed
	}
	if behavior == Failed && s.violation == nil && !s.timedOut {
		s.log.printf("expected %s; got %s", eventList(c.Expect.OK), eventList(s.received))
	}

	// How it ended.
	cx := c.Close
	if s.unimpl {
		cx = closeNormal
	}
	clean := s.closeSent && s.closeRecv
	closeV := CloseOK
	lax := false
	switch {
	case cx.Informational:
		closeV = CloseInformational
	case cx.ByTester != (s.closer == byTester):
		closeV = CloseFailed
		if cx.ByTester {
			s.log.printf("close: the peer ended the connection; the tester should have")
		} else {
			s.log.printf("close: the peer never failed the connection")
		}
	case cx.Clean && !clean:
		closeV = CloseUnclean
		s.log.printf("close: no complete closing handshake")
	case s.gaveUp && !s.closeRecv:
		closeV = CloseFailed
		s.log.printf("close: the peer neither answered the close nor dropped TCP")
	case s.closeRecv && s.peerCode != wire.StatusNoStatusRcvd && !slices.Contains(cx.Codes, s.peerCode):
		closeV = CloseWrongCode
		lax = slices.Contains(cx.LaxCodes, s.peerCode)
		s.log.printf("close: code %d, want one of %v", int(s.peerCode), cx.Codes)
	case s.role == wire.RoleClient && s.lateDrop:
		closeV = CloseFailedByClient
	}
	if cx.WrongCloserFatal && closeV == CloseFailed {
		behavior = Failed
	}

	verdict := behavior
	if behavior == OK || behavior == NonStrict {
		switch {
		case closeV == CloseFailed, closeV == CloseUnclean, closeV == CloseWrongCode && !lax:
			verdict = Failed
		case closeV == CloseWrongCode, closeV == CloseFailedByClient:
			verdict = NonStrict
		}
	}
	res.Verdict, res.Behavior, res.CloseBehavior = verdict, behavior, closeV
	res.Duration = time.Since(s.start)
	res.Log = s.log.result()
	return res
}

func eventList(evs []Event) string {
	if len(evs) == 0 {
		return "nothing"
	}
	var b bytes.Buffer
	for i, e := range evs {
		if i > 0 {
			b.WriteString(", ")
		}
		if i == 8 {
			fmt.Fprintf(&b, "... %d more", len(evs)-i)
			break
		}
		b.WriteString(e.String())
	}
	return b.String()
}
