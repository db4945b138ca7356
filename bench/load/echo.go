package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Config describes one load run.
type Config struct {
	Addr  string // server address, host:port
	Proto string // "ws" (the default) or "tcp" for the plain TCP echo
	Conns int    // connections
	Size  int    // payload bytes per message

	// Pipeline is how many messages each connection keeps in flight; 0 or
	// 1 is strict request/response.
	Pipeline int

	// Compress offers permessage-deflate and sends JSON-like messages
	// compressed (without context, so the frame is compressed once).
	Compress bool

	Warmup   time.Duration // load before measuring starts
	Duration time.Duration // measured time

	// MaxMessages bounds the messages each connection sends; 0 means 10^8.
	MaxMessages int64

	// ServerPID, when not 0, is the server process whose CPU time and
	// memory are read from /proc.
	ServerPID int
}

// Result is what one run measured.
type Result struct {
	Messages    int64   `json:"messages"`       // echoes completed while measuring
	Seconds     float64 `json:"seconds"`        // measured time
	MsgsPerSec  float64 `json:"msgs_per_sec"`   // echoes (or broadcast deliveries) per second
	MBPerSec    float64 `json:"mb_per_sec"`     // application payload, one direction, 10^6 bytes per second
	P50us       float64 `json:"p50_us"`         // latency percentiles, microseconds
	P99us       float64 `json:"p99_us"`         //
	CPUusPerMsg float64 `json:"cpu_us_per_msg"` // server CPU time (user+system) per message
	RSSBytes    int64   `json:"rss_bytes"`      // server resident memory at the end
}

func (c *Config) defaults() {
	if c.Proto == "" {
		c.Proto = "ws"
	}
	if c.Conns <= 0 {
		c.Conns = 1
	}
	if c.MaxMessages <= 0 {
		c.MaxMessages = 1e8
	}
	if c.Duration <= 0 {
		c.Duration = time.Second
	}
}

// DialAll opens n connections, a few at a time.
func DialAll(ctx context.Context, addr, proto string, n int, compress bool) ([]*Conn, error) {
	return dialAll(ctx, addr, proto, n, compress, 64<<10)
}

// spreadAbove is the connection count past which dialAll spreads its
// connections over loopback source addresses: one source address has
// about 28,000 ephemeral ports to a given server address.
const spreadAbove = 10000

// sourceAddr is the source address of connection i of n to addr: nil (the
// system's choice) up to spreadAbove connections or for a server off
// 127.0.0.0/8, and above that 127.0.0.2 and on, 10,000 connections each.
func sourceAddr(addr string, i, n int) net.Addr {
	host, _, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host).To4(); n <= spreadAbove || ip == nil || ip[0] != 127 {
		return nil
	}
	k := 2 + i/10000
	return &net.TCPAddr{IP: net.IPv4(127, byte(k>>16), byte(k>>8), byte(k))}
}

// dialAll is DialAll with a read buffer of bufSize bytes per connection.
func dialAll(ctx context.Context, addr, proto string, n int, compress bool, bufSize int) ([]*Conn, error) {
	RaiseFileLimit(uint64(2*n + 1024))
	conns := make([]*Conn, n)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		sem      = make(chan struct{}, 32)
	)
	for i := range conns {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			c, err := dial(ctx, addr, proto, compress, sourceAddr(addr, i, n), bufSize)
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("connection %d: %w", i, err)
				}
				mu.Unlock()
				return
			}
			conns[i] = c
		})
	}
	wg.Wait()
	if firstErr != nil {
		CloseAll(conns)
		return nil, firstErr
	}
	return conns, nil
}

// CloseAll closes every connection.
func CloseAll(conns []*Conn) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, c := range conns {
		if c != nil {
			sem <- struct{}{}
			wg.Go(func() {
				c.Close()
				<-sem
			})
		}
	}
	wg.Wait()
}

// worker is one connection's share of a run.
type worker struct {
	c     *Conn
	hist  Hist
	count int64
	err   error
}

// Echo runs the echo load: every connection sends a message and reads its
// echo, strictly one at a time or pipelined.
func Echo(ctx context.Context, cfg Config) (Result, error) {
	cfg.defaults()
	payload := Payload(cfg.Size, cfg.Compress)
	var frame []byte
	switch {
	case cfg.Proto == "tcp":
		frame = payload
	case cfg.Compress:
		frame = ClientFrame(opBinary, true, Deflate(payload))
	default:
		frame = ClientFrame(opBinary, false, payload)
	}
	dctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	conns, err := DialAll(dctx, cfg.Addr, cfg.Proto, cfg.Conns, cfg.Compress)
	cancel()
	if err != nil {
		return Result{}, err
	}
	defer CloseAll(conns)

	// Every connection first checks one echo byte for byte.
	limit := time.Now().Add(cfg.Warmup + cfg.Duration + 30*time.Second)
	for _, c := range conns {
		c.nc.SetDeadline(limit)
	}
	if err := each(conns, func(c *Conn) error { return c.check(cfg.Proto, frame, payload, cfg.Compress) }); err != nil {
		return Result{}, err
	}

	var measuring, stop atomic.Bool
	workers := make([]*worker, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		w := &worker{c: c}
		workers[i] = w
		wg.Go(func() {
			if cfg.Pipeline > 1 {
				w.err = w.pipelined(&cfg, frame, &measuring, &stop)
			} else {
				w.err = w.strict(&cfg, frame, &measuring, &stop)
			}
		})
	}
	res, err := measure(ctx, &cfg, &measuring, &stop)
	wg.Wait()
	if err != nil {
		return res, err
	}
	var h Hist
	for _, w := range workers {
		if w.err != nil {
			return res, w.err
		}
		h.Merge(&w.hist)
		res.Messages += w.count
	}
	res.finish(&h, cfg.Size)
	return res, nil
}

// measure lets the load warm up, then measures for cfg.Duration, reading
// the server's CPU time at both ends, and stops the load.
func measure(ctx context.Context, cfg *Config, measuring, stop *atomic.Bool) (Result, error) {
	var res Result
	defer stop.Store(true)
	if err := sleep(ctx, cfg.Warmup); err != nil {
		return res, err
	}
	var p0, p1 ProcStat
	if cfg.ServerPID != 0 {
		p0, _ = ReadProc(cfg.ServerPID)
	}
	start := time.Now()
	measuring.Store(true)
	err := sleep(ctx, cfg.Duration)
	measuring.Store(false)
	res.Seconds = time.Since(start).Seconds()
	if cfg.ServerPID != 0 {
		p1, _ = ReadProc(cfg.ServerPID)
		res.CPUusPerMsg = float64(p1.CPU - p0.CPU) // divided by the count in finish
		res.RSSBytes = p1.RSS
	}
	return res, err
}

func (r *Result) finish(h *Hist, size int) {
	if r.Messages > 0 {
		r.CPUusPerMsg = r.CPUusPerMsg / 1e3 / float64(r.Messages)
	}
	r.MsgsPerSec = float64(r.Messages) / r.Seconds
	r.MBPerSec = r.MsgsPerSec * float64(size) / 1e6
	r.P50us = float64(h.Quantile(0.50)) / 1e3
	r.P99us = float64(h.Quantile(0.99)) / 1e3
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// each runs f on every connection, a few at a time, and returns the first
// error.
func each(conns []*Conn, f func(*Conn) error) error {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		sem      = make(chan struct{}, 32)
	)
	for _, c := range conns {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := f(c); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return firstErr
}

// check sends frame and compares the echo with payload; wantCompressed
// requires the echo to come compressed, so that every server compared
// does the compression work.
func (c *Conn) check(proto string, frame, payload []byte, wantCompressed bool) error {
	if _, err := c.nc.Write(frame); err != nil {
		return err
	}
	var got []byte
	if proto == "tcp" {
		got = make([]byte, len(payload))
		if _, err := readFull(c, got); err != nil {
			return err
		}
	} else {
		_, rsv1, p, err := c.ReadMessage([]byte{})
		if err != nil {
			return err
		}
		if wantCompressed && !rsv1 {
			return errors.New("the server did not compress its echo")
		}
		if rsv1 {
			if p, err = Inflate(p); err != nil {
				return fmt.Errorf("inflating the echo: %w", err)
			}
		}
		got = p
	}
	if !bytes.Equal(got, payload) {
		return fmt.Errorf("echo differs: sent %d bytes, got %d", len(payload), len(got))
	}
	return nil
}

func readFull(c *Conn, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := c.br.Read(p[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// readEcho reads one echo of a message of size bytes.
func (c *Conn) readEcho(proto string, size int, compressed bool) error {
	if proto == "tcp" {
		_, err := c.br.Discard(size)
		return err
	}
	n, _, _, err := c.ReadMessage(nil)
	if err != nil {
		return err
	}
	if !compressed && n != size {
		return fmt.Errorf("echo of %d bytes, want %d", n, size)
	}
	return nil
}

var errStopped = errors.New("stopped")

func (w *worker) strict(cfg *Config, frame []byte, measuring, stop *atomic.Bool) error {
	for sent := int64(0); sent < cfg.MaxMessages && !stop.Load(); sent++ {
		t0 := time.Now()
		if _, err := w.c.nc.Write(frame); err != nil {
			return err
		}
		if err := w.c.readEcho(cfg.Proto, cfg.Size, cfg.Compress); err != nil {
			return err
		}
		if measuring.Load() {
			w.hist.Record(time.Since(t0))
			w.count++
		}
	}
	return nil
}

// pipelined keeps up to cfg.Pipeline messages in flight: a writer sends
// as many frames as the window allows in one write, and this goroutine
// reads the echoes in order.
func (w *worker) pipelined(cfg *Config, frame []byte, measuring, stop *atomic.Bool) error {
	depth := cfg.Pipeline
	batch := bytes.Repeat(frame, depth)
	sent := make(chan time.Time, depth)
	werr := make(chan error, 1)
	go func() {
		defer close(sent)
		for n := int64(0); n < cfg.MaxMessages && !stop.Load(); {
			t := time.Now()
			sent <- t
			k := 1
		fill:
			for k < depth {
				select {
				case sent <- t:
					k++
				default:
					break fill
				}
			}
			if _, err := w.c.nc.Write(batch[:k*len(frame)]); err != nil {
				werr <- err
				return
			}
			n += int64(k)
		}
	}()
	for t := range sent {
		if err := w.c.readEcho(cfg.Proto, cfg.Size, cfg.Compress); err != nil {
			w.c.nc.Close() // unblocks the writer
			for range sent {
			}
			return err
		}
		if measuring.Load() {
			w.hist.Record(time.Since(t))
			w.count++
		}
	}
	select {
	case err := <-werr:
		return err
	default:
		return nil
	}
}
