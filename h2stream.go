package websocket

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// h2Stream is the transport of a WebSocket carried by an HTTP/2 stream
// (RFC 8441 §5): the peer's DATA frames are read from body, ours go to
// send, each write flushed so that a frame never waits in a buffer.
//
// A read interrupted by a deadline must leave the stream usable (the Conn
// cancels reads with deadlines), and neither net/http's request body nor
// x/net's response body can be read again after their own read deadline.
// So one goroutine reads body into buf and Read hands the bytes over,
// waiting on a deadline of its own. Writes cannot be interrupted without
// resetting the stream: a write deadline that passes ends the stream.
type h2Stream struct {
	body          io.ReadCloser   // the peer's DATA
	send          io.Writer       // our DATA; each Write is flushed
	end           func(busy bool) // ends the stream; busy: a Write is blocked in it
	local, remote net.Addr

	mu       sync.Mutex
	buf      []byte // read by the pump, not yet handed over
	off      int    // buf[off:] is what Read has not taken
	err      error  // the body's read error, once the pump stopped
	filled   chan struct{}
	drained  chan struct{}
	rtimer   *time.Timer
	rexpired bool
	rwake    chan struct{} // closed when the read deadline passes or is changed

	wmu      sync.Mutex
	wtimer   *time.Timer
	writing  sync.WaitGroup // Writes in progress
	nwriting int            // how many, under mu

	closeOnce sync.Once
	closed    chan struct{}
}

// h2ReadBuffer is how much of the peer's data the pump holds at a time.
const h2ReadBuffer = 16 << 10

func newH2Stream(body io.ReadCloser, send io.Writer, end func(busy bool), local, remote net.Addr) *h2Stream {
	s := &h2Stream{body: body, send: send, end: end, local: local, remote: remote,
		filled: make(chan struct{}, 1), drained: make(chan struct{}, 1),
		rwake: make(chan struct{}), closed: make(chan struct{})}
	go s.pump()
	return s
}

// pump reads body until it fails, one chunk at a time, waiting for Read to
// take each before reading the next, so that memory is bounded by
// h2ReadBuffer and flow control holds the peer back.
func (s *h2Stream) pump() {
	buf := make([]byte, h2ReadBuffer)
	for {
		n, err := s.body.Read(buf)
		s.mu.Lock()
		s.buf, s.off = buf[:n], 0
		if err != nil {
			s.err = err
		}
		s.mu.Unlock()
		select {
		case s.filled <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
		if n == 0 {
			continue
		}
		select {
		case <-s.drained:
		case <-s.closed:
			return
		}
	}
}

func (s *h2Stream) Read(p []byte) (int, error) {
	for {
		s.mu.Lock()
		if s.off < len(s.buf) {
			n := copy(p, s.buf[s.off:])
			s.off += n
			if s.off == len(s.buf) && s.err == nil {
				s.buf, s.off = nil, 0
				select {
				case s.drained <- struct{}{}:
				default:
				}
			}
			s.mu.Unlock()
			return n, nil
		}
		if s.err != nil {
			err := s.err
			s.mu.Unlock()
			return 0, err
		}
		if s.rexpired {
			s.mu.Unlock()
			return 0, os.ErrDeadlineExceeded
		}
		wake := s.rwake
		s.mu.Unlock()
		select {
		case <-s.filled:
		case <-wake:
		case <-s.closed:
			return 0, net.ErrClosed
		}
	}
}

// SetReadDeadline interrupts a waiting Read at t and leaves the stream
// usable, as on a TCP connection.
func (s *h2Stream) SetReadDeadline(t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rtimer != nil {
		s.rtimer.Stop()
		s.rtimer = nil
	}
	s.rexpired = false
	close(s.rwake)
	s.rwake = make(chan struct{})
	if t.IsZero() {
		return nil
	}
	if d := time.Until(t); d > 0 {
		var tm *time.Timer
		tm = time.AfterFunc(d, func() {
			s.mu.Lock()
			if s.rtimer == tm {
				s.rtimer = nil
				s.expireLocked()
			}
			s.mu.Unlock()
		})
		s.rtimer = tm
		return nil
	}
	s.expireLocked()
	return nil
}

// expireLocked wakes a waiting Read with a timeout.
func (s *h2Stream) expireLocked() {
	s.rexpired = true
	close(s.rwake)
	s.rwake = make(chan struct{})
}

// Write sends p and flushes it. Close waits for a Write in progress, so
// that once Close returns nothing touches the stream (a server handler
// may then return).
func (s *h2Stream) Write(p []byte) (int, error) {
	s.mu.Lock()
	select {
	case <-s.closed:
		s.mu.Unlock()
		return 0, net.ErrClosed
	default:
	}
	s.writing.Add(1)
	s.nwriting++
	s.mu.Unlock()
	n, err := s.send.Write(p)
	s.mu.Lock()
	s.nwriting--
	s.mu.Unlock()
	s.writing.Done()
	return n, err
}

// SetWriteDeadline ends the stream when t passes: HTTP/2 cannot take back
// part of a DATA frame, so a write cut short leaves no usable stream.
func (s *h2Stream) SetWriteDeadline(t time.Time) error {
	s.wmu.Lock()
	if s.wtimer != nil {
		s.wtimer.Stop()
		s.wtimer = nil
	}
	if t.IsZero() {
		s.wmu.Unlock()
		return nil
	}
	d := time.Until(t)
	if d <= 0 {
		s.wmu.Unlock() // Close takes wmu itself
		s.Close()
		return nil
	}
	s.wtimer = time.AfterFunc(d, func() { s.Close() })
	s.wmu.Unlock()
	return nil
}

func (s *h2Stream) SetDeadline(t time.Time) error {
	return errors.Join(s.SetReadDeadline(t), s.SetWriteDeadline(t))
}

// Close ends the stream both ways at once: it resets a stream that a
// Write is blocked in, and waits for that Write to return.
func (s *h2Stream) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		close(s.closed)
		busy := s.nwriting > 0
		if s.rtimer != nil {
			s.rtimer.Stop()
			s.rtimer = nil
		}
		s.mu.Unlock()
		s.wmu.Lock()
		if s.wtimer != nil {
			s.wtimer.Stop()
			s.wtimer = nil
		}
		s.wmu.Unlock()
		s.end(busy)
		s.body.Close()
		s.writing.Wait()
	})
	return nil
}

func (s *h2Stream) LocalAddr() net.Addr  { return s.local }
func (s *h2Stream) RemoteAddr() net.Addr { return s.remote }
