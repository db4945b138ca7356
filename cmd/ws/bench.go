package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wskit/websocket"
)

const benchHelp = `Usage: ws bench [flags] URL

Loads a WebSocket server that echoes every message (ws serve --echo, say):
--conns connections each send --messages messages of --size bytes (or for
--duration) and wait for each to come back. Closed loop by default: each
connection keeps --depth messages in flight. With --rate the messages go
out on a schedule (total per second over all connections) and latency
counts from the scheduled time, so a server that falls behind is not hidden.

At the end: messages per second, MB/s of payload each way, latency
percentiles from a histogram (p50 p90 p99 p99.9 max, ±1.6%), and errors by
kind; --json prints the same as one JSON object. A progress line goes to
stderr on a terminal (--progress forces it).

Only loopback servers are loaded unless --allow-remote is given: a load
generator pointed at someone else's server is an attack.

Examples:
  ws bench ws://127.0.0.1:8080/
  ws bench --conns 100 --duration 10s --size 1024 --binary ws://127.0.0.1:9001/
  ws bench --conns 10 --rate 5000 --compress --json ws://localhost:9001/
`

type benchConfig struct {
	url         string
	conns       int
	messages    int
	duration    time.Duration
	size        int
	binary      bool
	rate        float64
	depth       int
	compress    bool
	protocols   listFlag
	headers     listFlag
	insecure    bool
	allowRemote bool
	jsonOut     bool
	progress    bool
	timeout     time.Duration
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var c benchConfig
	fs := newFlagSet("ws bench", benchHelp)
	fs.IntVar(&c.conns, "conns", 10, "`n` connections at once")
	fs.IntVar(&c.messages, "messages", 1000, "`n` messages per connection (unless --duration)")
	fs.DurationVar(&c.duration, "duration", 0, "send for this `long` instead of a number of messages")
	fs.IntVar(&c.size, "size", 32, "message payload `bytes`")
	fs.BoolVar(&c.binary, "binary", false, "send binary messages (random bytes) instead of text")
	fs.Float64Var(&c.rate, "rate", 0, "messages per `second` over all connections (0: closed loop, as fast as replies come)")
	fs.IntVar(&c.depth, "depth", 1, "messages in flight per connection (pipelining)")
	fs.BoolVar(&c.compress, "compress", false, "offer permessage-deflate")
	fs.Var(&c.protocols, "subprotocol", "offer a `subprotocol` (repeatable)")
	fs.Var(&c.headers, "H", "add a request `header` 'Name: value' (repeatable)")
	fs.BoolVar(&c.insecure, "insecure", false, "skip TLS certificate verification (wss://)")
	fs.BoolVar(&c.allowRemote, "allow-remote", false, "allow a server that is not on a loopback address")
	fs.BoolVar(&c.jsonOut, "json", false, "print the results as one JSON object")
	fs.BoolVar(&c.progress, "progress", false, "print a progress line every second (default: when stderr is a terminal)")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Second, "give up when no reply comes for this `long`")
	pos, code, done := parseArgs(fs, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "ws bench: need exactly one URL (try: ws bench -h)")
		return exitUsage
	}
	c.url = pos[0]
	if err := c.check(ctx); err != nil {
		fmt.Fprintf(stderr, "ws bench: %s\n", errText(err))
		return exitUsage
	}
	if f, ok := stderr.(*os.File); ok && isTerminal(f) {
		c.progress = true
	}
	res := c.run(ctx, stderr)
	if c.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(res)
	} else {
		res.writeText(stdout)
	}
	if res.Connected == 0 || res.Received == 0 {
		return exitError
	}
	return exitOK
}

// check validates the flags and the target.
func (c *benchConfig) check(ctx context.Context) error {
	switch {
	case c.conns < 1:
		return errors.New("--conns must be 1 or more")
	case c.messages < 1 && c.duration == 0:
		return errors.New("--messages must be 1 or more")
	case c.duration < 0:
		return errors.New("--duration must be positive")
	case c.size < 0 || c.size > maxMessage:
		return fmt.Errorf("--size must be 0 to %d", maxMessage)
	case c.depth < 1:
		return errors.New("--depth must be 1 or more")
	case c.rate < 0:
		return errors.New("--rate must be 0 (closed loop) or more")
	case c.timeout <= 0:
		return errors.New("--timeout must be positive")
	}
	if !strings.Contains(c.url, "://") {
		return fmt.Errorf("%q has no scheme; did you mean ws://%s ?", c.url, c.url)
	}
	u, err := url.Parse(c.url)
	if err != nil || u.Host == "" {
		return fmt.Errorf("bad URL %q", c.url)
	}
	switch u.Scheme {
	case "ws", "wss", "http", "https":
	default:
		return fmt.Errorf("URL scheme %q is not ws or wss", u.Scheme)
	}
	if c.allowRemote {
		return nil
	}
	host := u.Hostname()
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return fmt.Errorf("cannot resolve %s: %v", host, err)
	}
	for _, a := range addrs {
		if !a.IP.IsLoopback() {
			return fmt.Errorf("%s is not a loopback address (%s); give --allow-remote to load a server you run", host, a.IP)
		}
	}
	return nil
}

// benchResult is what ws bench prints.
type benchResult struct {
	URL         string         `json:"url"`
	Conns       int            `json:"connections"`
	Connected   int            `json:"connected"`
	ConnectTime float64        `json:"connect_ms"`
	Size        int            `json:"size"`
	Type        string         `json:"type"`
	Mode        string         `json:"mode"`
	Depth       int            `json:"depth"`
	Compressed  bool           `json:"compressed"`
	Subprotocol string         `json:"subprotocol,omitempty"`
	Sent        int64          `json:"messages_sent"`
	Received    int64          `json:"messages_received"`
	Seconds     float64        `json:"seconds"`
	MsgsPerSec  float64        `json:"msgs_per_s"`
	MBPerSec    float64        `json:"mb_per_s"`
	Latency     latencySummary `json:"latency_ms"`
	Errors      map[string]int `json:"errors"`
}

type latencySummary struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99.9"`
	Max  float64 `json:"max"`
}

// benchRun is the shared state of one run.
type benchRun struct {
	cfg     *benchConfig
	payload []byte
	typ     websocket.MessageType
	sent    atomic.Int64
	recv    atomic.Int64

	mu     sync.Mutex
	errs   map[string]int
	hist   histogram
	proto  string
	comp   bool
	joined int
}

func (b *benchRun) fail(kind string) {
	b.mu.Lock()
	b.errs[kind]++
	b.mu.Unlock()
}

func (c *benchConfig) run(ctx context.Context, stderr io.Writer) *benchResult {
	b := &benchRun{cfg: c, errs: map[string]int{}, typ: websocket.MessageText}
	b.payload = make([]byte, c.size)
	if c.binary {
		b.typ = websocket.MessageBinary
		rand.Read(b.payload)
	} else {
		for i := range b.payload {
			b.payload[i] = 'a' + byte(i*7%26)
		}
	}
	opts := &websocket.DialOptions{Subprotocols: c.protocols}
	opts.MaxMessageSize = int64(max(c.size, 1) + 1024)
	if c.compress {
		opts.Compression = &websocket.CompressionOptions{}
	}
	if c.insecure {
		opts.TLSConfig = &tls.Config{InsecureSkipVerify: true}
	}
	for _, h := range c.headers {
		name, value, _ := strings.Cut(h, ":")
		if opts.Header == nil {
			opts.Header = http.Header{}
		}
		opts.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Connect every connection first (64 handshakes at a time), then start
	// them together.
	conns := make([]*websocket.Conn, c.conns)
	connStart := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			dctx, dcancel := context.WithTimeout(ctx, c.timeout)
			defer dcancel()
			conn, resp, err := websocket.Dial(dctx, c.url, opts)
			if err != nil {
				var he *websocket.HandshakeError
				switch {
				case errors.As(err, &he) && resp != nil:
					b.fail(fmt.Sprintf("handshake refused: HTTP %d", resp.StatusCode))
				default:
					b.fail("connect: " + errKind(err))
				}
				return
			}
			conns[i] = conn
			b.mu.Lock()
			b.joined++
			b.proto, b.comp = conn.Subprotocol(), conn.Compressed()
			b.mu.Unlock()
		}()
	}
	wg.Wait()
	connTime := time.Since(connStart)

	start := time.Now()
	var deadline time.Time
	if c.duration > 0 {
		deadline = start.Add(c.duration)
	}
	stopProgress := b.watch(ctx, cancel, start, stderr)
	for i, conn := range conns {
		if conn == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.drive(ctx, conn, i, start, deadline)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	stopProgress()

	res := &benchResult{
		URL: c.url, Conns: c.conns, Connected: b.joined, Size: c.size, Type: b.typ.String(), Depth: c.depth,
		ConnectTime: ms(connTime), Compressed: b.comp, Subprotocol: b.proto,
		Sent: b.sent.Load(), Received: b.recv.Load(), Seconds: elapsed.Seconds(), Errors: b.errs,
	}
	res.Mode = "closed loop"
	if c.rate > 0 {
		res.Mode = fmt.Sprintf("%g msg/s", c.rate)
	}
	if s := elapsed.Seconds(); s > 0 {
		res.MsgsPerSec = float64(res.Received) / s
		res.MBPerSec = float64(res.Received) * float64(c.size) / s / 1e6
	}
	h := &b.hist
	res.Latency = latencySummary{
		Mean: ms(h.mean()), P50: ms(h.quantile(0.50)), P90: ms(h.quantile(0.90)),
		P99: ms(h.quantile(0.99)), P999: ms(h.quantile(0.999)), Max: ms(time.Duration(h.max)),
	}
	return res
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

// drive runs one connection: a writer that sends on schedule (or as the
// depth allows) and this goroutine reading the echoes in order.
func (b *benchRun) drive(ctx context.Context, conn *websocket.Conn, i int, start, deadline time.Time) {
	c := b.cfg
	defer conn.CloseNow()
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var local histogram
	defer func() {
		b.mu.Lock()
		b.hist.merge(&local)
		b.mu.Unlock()
	}()
	// times holds the send (or scheduled) time of each message in flight;
	// its capacity is the pipelining depth.
	times := make(chan time.Time, c.depth)
	go func() {
		defer close(times)
		var interval time.Duration
		next := start
		if c.rate > 0 {
			interval = time.Duration(float64(c.conns) / c.rate * float64(time.Second))
			// Spread the connections' schedules over one interval.
			next = start.Add(interval * time.Duration(i) / time.Duration(c.conns))
		}
		for n := 0; ; n++ {
			if deadline.IsZero() && n >= c.messages || !deadline.IsZero() && !time.Now().Before(deadline) {
				return
			}
			at := time.Now()
			if interval > 0 {
				if d := time.Until(next); d > 0 {
					t := time.NewTimer(d)
					select {
					case <-t.C:
					case <-cctx.Done():
						t.Stop()
						return
					}
				}
				at = next
				next = next.Add(interval)
			}
			select {
			case times <- at:
			case <-cctx.Done():
				return
			}
			if err := conn.Write(cctx, b.typ, b.payload); err != nil {
				if cctx.Err() == nil {
					b.fail("write: " + errKind(err))
					cancel()
				}
				return
			}
			b.sent.Add(1)
		}
	}()
	for at := range times {
		typ, msg, err := conn.Read(cctx)
		if err != nil {
			if cctx.Err() == nil { // not after a write error or the end of the run
				b.fail("read: " + errKind(err))
			}
			cancel()
			for range times {
			}
			return
		}
		local.record(time.Since(at))
		b.recv.Add(1)
		if typ != b.typ || len(msg) != len(b.payload) {
			b.fail("echo differs (type or length)")
		}
	}
	conn.Close(websocket.StatusNormalClosure, "")
}

// watch prints the progress line every second and ends the run when no
// reply came for --timeout. The returned function stops it.
func (b *benchRun) watch(ctx context.Context, cancel context.CancelFunc, start time.Time, stderr io.Writer) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		last, lastAt := int64(0), time.Now()
		prev := int64(0)
		for {
			select {
			case <-done:
				if b.cfg.progress {
					fmt.Fprint(stderr, "\r\x1b[K")
				}
				return
			case <-ctx.Done():
				return
			case now := <-tick.C:
				r := b.recv.Load()
				if r != last {
					last, lastAt = r, now
				} else if now.Sub(lastAt) > b.cfg.timeout && b.sent.Load() > r {
					b.fail(fmt.Sprintf("timeout: no reply for %s", b.cfg.timeout))
					cancel()
				}
				if b.cfg.progress {
					b.mu.Lock()
					nerr := 0
					for _, n := range b.errs {
						nerr += n
					}
					b.mu.Unlock()
					fmt.Fprintf(stderr, "\r\x1b[K%5.1fs  %d msgs  %.0f msg/s now  %d errors", now.Sub(start).Seconds(), r, float64(r-prev), nerr)
				}
				prev = r
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// errKind names an error for the count of errors by kind.
func errKind(err error) string {
	var ce *websocket.CloseError
	var ne net.Error
	var oe *net.OpError
	switch {
	case errors.As(err, &ce) && ce.Remote:
		return fmt.Sprintf("closed by the server with %s", codeName(ce.Code))
	case errors.As(err, &ce) && ce.Code == websocket.StatusAbnormalClosure:
		return "connection lost"
	case errors.As(err, &ce):
		return fmt.Sprintf("closed with %s", codeName(ce.Code))
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.As(err, &oe) && oe.Op == "dial":
		return "cannot connect"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return errText(err)
}

func (r *benchResult) writeText(w io.Writer) {
	what := fmt.Sprintf("%d messages each", r.Sent/int64(max(r.Connected, 1)))
	fmt.Fprintf(w, "ws bench %s\n", r.URL)
	fmt.Fprintf(w, "  connections  %d of %d in %.1f ms; %d B %s, %s, depth %d", r.Connected, r.Conns, r.ConnectTime, r.Size, r.Type, r.Mode, r.Depth)
	if r.Compressed {
		fmt.Fprint(w, ", permessage-deflate")
	}
	if r.Subprotocol != "" {
		fmt.Fprintf(w, ", subprotocol %s", r.Subprotocol)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  messages     %d sent, %d received in %.2f s (%s)\n", r.Sent, r.Received, r.Seconds, what)
	fmt.Fprintf(w, "  throughput   %.0f msg/s, %.2f MB/s of payload each way\n", r.MsgsPerSec, r.MBPerSec)
	l := r.Latency
	fmt.Fprintf(w, "  latency ms   p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  (mean %.3f)\n", l.P50, l.P90, l.P99, l.P999, l.Max, l.Mean)
	if len(r.Errors) == 0 {
		fmt.Fprintln(w, "  errors       none")
		return
	}
	kinds := make([]string, 0, len(r.Errors))
	for k := range r.Errors {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for i, k := range kinds {
		label := "  errors     "
		if i > 0 {
			label = "             "
		}
		fmt.Fprintf(w, "%s  %d × %s\n", label, r.Errors[k], k)
	}
}

// histogram counts durations in buckets that are 1/64 of a power of two
// wide (values within 1.6% share one), from 1 ns to 2^40 ns (18 min).
type histogram struct {
	counts [41 * 64]uint64
	n      uint64
	sum    float64
	max    int64
}

func histBucket(v int64) int {
	if v < 64 {
		return int(max(v, 0))
	}
	exp := bits.Len64(uint64(v)) - 7 // v >> exp is in [64, 128)
	i := (exp+1)*64 + int(uint64(v)>>exp) - 64
	return min(i, len(histogram{}.counts)-1)
}

// histValue is the upper end of bucket i.
func histValue(i int) int64 {
	if i < 64 {
		return int64(i)
	}
	exp := i/64 - 1
	return (int64(i%64+64)+1)<<exp - 1
}

func (h *histogram) record(d time.Duration) {
	v := int64(d)
	h.counts[histBucket(v)]++
	h.n++
	h.sum += float64(v)
	h.max = max(h.max, v)
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

func (h *histogram) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.n))
}

// quantile is the smallest bucket bound at or above a share q of the
// values, never more than the largest value.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank && c > 0 {
			return time.Duration(min(histValue(i), h.max))
		}
	}
	return time.Duration(h.max)
}
