// Command h2 compares 100 WebSockets over one HTTP/2 connection (RFC 8441)
// with 100 WebSockets over their own TCP connections, to the same wskit
// echo server over TLS, for the server's CPU time per message and both
// sides' memory per WebSocket.
//
//	go run ./cmd/h2 [-runs 5] [-d 1500ms] [-warmup 500ms] [-c 100] [-sizes 16,1024] [-json FILE]
//
// Each run starts a fresh server process (this program with -serve), so
// that its CPU time and memory, read from /proc, are its own. A round runs
// every mode once, in an order rotated by one each round; the report is
// the median over rounds and, in parentheses, the median of the per-round
// ratios to the TCP mode. The client is wskit's own Dial, in this process.
package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"crypto/x509"

	"github.com/wskit/websocket/bench/load"
	"github.com/wskit/websocket/bench/servers"
)

// mode is one way of carrying the WebSockets.
type mode struct {
	Name  string `json:"name"`
	HTTP2 bool   `json:"http2"`
	Frame int    `json:"frame,omitempty"` // the server's SETTINGS_MAX_FRAME_SIZE; 0: net/http's 1 MiB
}

var modes = []mode{
	{Name: "own TCP connections (HTTP/1.1)"},
	{Name: "one HTTP/2 connection", HTTP2: true},
	{Name: "one HTTP/2 connection, 16 KiB frames", HTTP2: true, Frame: 16 << 10},
}

// run is one mode and size, once.
type run struct {
	Mode   string         `json:"mode"`
	Size   int            `json:"size"`
	Round  int            `json:"round"`
	Result *load.H2Result `json:"result,omitempty"`
	Err    string         `json:"error,omitempty"`
}

func main() {
	serve := flag.Bool("serve", false, "be the echo server: print the address and certificate, answer \"mem\" lines on stdin")
	frame := flag.Int("frame", 0, "with -serve: the HTTP/2 frame size to advertise")
	runs := flag.Int("runs", 5, "rounds")
	dur := flag.Duration("d", 1500*time.Millisecond, "measured time of each run")
	warmup := flag.Duration("warmup", 500*time.Millisecond, "load before measuring")
	conns := flag.Int("c", 100, "WebSockets")
	sizesFlag := flag.String("sizes", "16,1024", "message sizes, comma-separated")
	jsonOut := flag.String("json", "", "write every run to this file")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("h2: ")
	if *serve {
		serveEcho(*frame)
		return
	}
	var sizes []int
	for f := range strings.SplitSeq(*sizesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			log.Fatalf("bad size %q", f)
		}
		sizes = append(sizes, n)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	self, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	server := func(frame int) *exec.Cmd { return exec.Command(self, "-serve", "-frame", strconv.Itoa(frame)) }
	var all []run
	failed := 0
	for _, size := range sizes {
		for round := range *runs {
			for i := range modes {
				if ctx.Err() != nil {
					log.Fatal("interrupted")
				}
				m := modes[(i+round)%len(modes)]
				r := run{Mode: m.Name, Size: size, Round: round}
				res, err := once(ctx, server, m, load.H2Config{HTTP2: m.HTTP2, Conns: *conns, Size: size,
					Warmup: *warmup, Duration: *dur})
				if err != nil {
					r.Err = err.Error()
					failed++
					log.Printf("%5d B  %-38s round %d  error: %v", size, m.Name, round+1, err)
				} else {
					r.Result = &res
					log.Printf("%5d B  %-38s round %d  %8.0f msg/s  cpu %5.2f µs/msg  server heap %6.1f KiB/ws  client heap %6.1f KiB/ws",
						size, m.Name, round+1, res.MsgsPerSec, res.CPUusPerMsg, res.ServerHeapPerWS/1024, res.ClientHeapPerWS/1024)
				}
				all = append(all, r)
			}
		}
	}
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(all, "", "  ")
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Print(report(all, sizes, *conns, *runs))
	if failed > 0 {
		log.Fatalf("%d run(s) failed", failed)
	}
}

// serveEcho is the server process.
func serveEcho(frame int) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	s := servers.StartWskitH2(ln, frame)
	fmt.Println(ln.Addr())
	fmt.Println(base64.StdEncoding.EncodeToString(s.Certificate().Raw))
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if sc.Text() != "mem" {
			continue
		}
		runtime.GC()
		debug.FreeOSMemory()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		fmt.Println(m.HeapInuse, m.StackInuse, runtime.NumGoroutine(), s.TCP.Load(), s.H1.Load(), s.H2.Load())
	}
	s.Close() // stdin closed: the driver is done with this server
}

// child is a server process and the probe that reads it.
type child struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *bufio.Reader
	done  chan error
	addr  string
	roots *x509.CertPool
}

func (c *child) CPU() (time.Duration, error) {
	st, err := load.ReadProc(c.cmd.Process.Pid)
	return st.CPU, err
}

func (c *child) Memory() (load.MemoryStat, error) {
	var m load.MemoryStat
	if _, err := io.WriteString(c.in, "mem\n"); err != nil {
		return m, err
	}
	line, err := c.out.ReadString('\n')
	if err != nil {
		return m, fmt.Errorf("server: %w", err)
	}
	if _, err := fmt.Sscan(line, &m.Heap, &m.Stacks, &m.Goroutines, &m.TCP, &m.H1, &m.H2); err != nil {
		return m, fmt.Errorf("server said %q: %w", line, err)
	}
	st, err := load.ReadProc(c.cmd.Process.Pid)
	m.RSS = st.RSS
	return m, err
}

// once starts a server for m, runs the load on it and stops it.
func once(ctx context.Context, server func(frame int) *exec.Cmd, m mode, cfg load.H2Config) (load.H2Result, error) {
	c := &child{done: make(chan error, 1)}
	c.cmd = server(m.Frame)
	c.cmd.Stderr = os.Stderr
	var err error
	if c.in, err = c.cmd.StdinPipe(); err != nil {
		return load.H2Result{}, err
	}
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		return load.H2Result{}, err
	}
	if err := c.cmd.Start(); err != nil {
		return load.H2Result{}, err
	}
	go func() { c.done <- c.cmd.Wait() }()
	defer c.stop()
	c.out = bufio.NewReader(stdout)
	addr, err1 := c.out.ReadString('\n')
	cert, err2 := c.out.ReadString('\n')
	if err := errors.Join(err1, err2); err != nil {
		return load.H2Result{}, fmt.Errorf("server did not start: %w", err)
	}
	der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cert))
	if err != nil {
		return load.H2Result{}, err
	}
	crt, err := x509.ParseCertificate(der)
	if err != nil {
		return load.H2Result{}, err
	}
	cfg.Roots = x509.NewCertPool()
	cfg.Roots.AddCert(crt)
	cfg.Addr = strings.TrimSpace(addr)
	cfg.Server = c
	return load.H2Echo(ctx, cfg)
}

// stop closes the server's stdin, which ends it, and kills it by its PID
// if it has not exited 5 s later.
func (c *child) stop() {
	c.in.Close()
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		c.cmd.Process.Kill()
		<-c.done
	}
}

// report is the Markdown table of the medians.
func report(all []run, sizes []int, conns, runs int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%d WebSockets, TLS, wskit client and server; medians of %d rounds (in parentheses, the median of per-round ratios to own TCP connections)\n\n", conns, runs)
	b.WriteString("| size | WebSockets over | msg/s | server CPU µs/msg | client CPU µs/msg | server heap KiB/ws | server stacks KiB/ws | server RSS KiB/ws | server goroutines/ws | client heap KiB/ws | client goroutines/ws |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	metrics := []func(*load.H2Result) float64{
		func(x *load.H2Result) float64 { return x.MsgsPerSec },
		func(x *load.H2Result) float64 { return x.CPUusPerMsg },
		func(x *load.H2Result) float64 { return x.ClientCPUus },
		func(x *load.H2Result) float64 { return x.ServerHeapPerWS / 1024 },
		func(x *load.H2Result) float64 { return x.ServerStacksPerWS / 1024 },
		func(x *load.H2Result) float64 { return x.ServerRSSPerWS / 1024 },
		func(x *load.H2Result) float64 { return x.ServerGoroutinesPerWS },
		func(x *load.H2Result) float64 { return x.ClientHeapPerWS / 1024 },
		func(x *load.H2Result) float64 { return x.ClientGoroutinesPerWS },
	}
	find := func(m string, size, round int) *load.H2Result {
		for _, r := range all {
			if r.Mode == m && r.Size == size && r.Round == round {
				return r.Result
			}
		}
		return nil
	}
	for _, size := range sizes {
		for mi, m := range modes {
			fmt.Fprintf(&b, "| %d B | %s |", size, m.Name)
			for _, f := range metrics {
				var vals, ratios []float64
				for round := range runs {
					x, base := find(m.Name, size, round), find(modes[0].Name, size, round)
					if x == nil {
						continue
					}
					vals = append(vals, f(x))
					if base != nil && f(base) != 0 {
						ratios = append(ratios, f(x)/f(base))
					}
				}
				switch {
				case len(vals) == 0:
					b.WriteString(" failed |")
				case mi == 0 || len(ratios) == 0:
					fmt.Fprintf(&b, " %s |", num(median(vals)))
				default:
					fmt.Fprintf(&b, " %s (%.2f×) |", num(median(vals)), median(ratios))
				}
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// num prints three significant figures, or a whole number from 1,000.
func num(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1000:
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}
