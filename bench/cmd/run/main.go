// Command run runs the benchmark: every echo server against the one load
// client, scenario by scenario, each scenario several times with the
// libraries interleaved (A B C … A B C …, starting one further along each
// time), and writes the results as JSON, a Markdown report and an SVG
// chart.
//
//	go run ./cmd/run [-quick] [-runs 3] [-d 2s] [-libs wskit,gorilla,…]
//	                 [-scenarios REGEXP] [-out results] [-profile DIR]
//	go run ./cmd/run -render results/results.json   # the report again, from saved results
//
// Each run starts a fresh server process, so that its CPU time and memory
// (read from /proc) are its own.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/wskit/websocket/bench/load"
	"github.com/wskit/websocket/bench/servers"
)

// Scenario is one cell of the matrix.
type Scenario struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"` // echo, broadcast, idle or churn
	Conns    int    `json:"conns"`
	Size     int    `json:"size"`
	Pipeline int    `json:"pipeline,omitempty"`
	Compress bool   `json:"compress,omitempty"`
}

func scenarios(idleConns int) []Scenario {
	var s []Scenario
	for _, c := range []int{1, 100, 1000} {
		for _, size := range []int{16, 1 << 10, 64 << 10} {
			s = append(s, Scenario{Name: fmt.Sprintf("echo c=%d %s", c, sizeName(size)), Kind: "echo", Conns: c, Size: size})
		}
	}
	return append(s,
		Scenario{Name: "pipelined×64 c=1 16 B", Kind: "echo", Conns: 1, Size: 16, Pipeline: 64},
		Scenario{Name: "pipelined×16 c=100 1 KiB", Kind: "echo", Conns: 100, Size: 1 << 10, Pipeline: 16},
		Scenario{Name: "deflate c=100 1 KiB JSON", Kind: "echo", Conns: 100, Size: 1 << 10, Compress: true},
		Scenario{Name: "broadcast c=1000 1 KiB", Kind: "broadcast", Conns: 1000, Size: 1 << 10},
		Scenario{Name: fmt.Sprintf("idle c=%d", idleConns), Kind: "idle", Conns: idleConns},
		Scenario{Name: "churn c=32 16 B", Kind: "churn", Conns: 32, Size: 16},
	)
}

// quickRun is set by -quick: churn then runs 2,000 cycles.
var quickRun bool

// quickScenarios is the short run's subset.
var quickScenarios = regexp.MustCompile(`^(echo c=1 16 B|echo c=100 1 KiB|echo c=1000 64 KiB|pipelined×64 c=1 16 B|deflate .*|broadcast .*|idle .*|churn .*)$`)

func sizeName(n int) string {
	switch {
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d B", n)
	}
}

// Run is one library in one scenario, once.
type Run struct {
	Scenario string            `json:"scenario"`
	Lib      string            `json:"lib"`
	Round    int               `json:"round"`
	Result   *load.Result      `json:"result,omitempty"`
	Idle     *load.IdleResult  `json:"idle,omitempty"`
	Churn    *load.ChurnResult `json:"churn,omitempty"`
	Err      string            `json:"error,omitempty"`
	NA       bool              `json:"na,omitempty"` // the library cannot serve this scenario
}

// Report is everything one invocation measured.
type Report struct {
	Date      string            `json:"date"`
	Machine   string            `json:"machine"`
	Go        string            `json:"go"`
	Versions  map[string]string `json:"versions"`
	Runs      int               `json:"runs"`
	Warmup    string            `json:"warmup"`
	Duration  string            `json:"duration"`
	Libs      []string          `json:"libs"`
	Scenarios []Scenario        `json:"scenarios"`
	Results   []Run             `json:"results"`
}

func main() {
	quick := flag.Bool("quick", false, "a short run: one round, 300 ms each, a subset of scenarios, 1,000 idle connections")
	runs := flag.Int("runs", 5, "rounds of each scenario")
	dur := flag.Duration("d", 1500*time.Millisecond, "measured time of each run")
	warmup := flag.Duration("warmup", 500*time.Millisecond, "load before measuring")
	idleConns := flag.Int("idle", 10000, "connections of the idle-memory scenario")
	libsFlag := flag.String("libs", strings.Join(servers.Libs, ","), "libraries, comma-separated")
	match := flag.String("scenarios", "", "run only the scenarios whose name matches this regular expression")
	out := flag.String("out", "results", "directory for results.json, results.md and results.svg")
	echoBin := flag.String("echo", "", "echo server binary (default: built from ./cmd/echo)")
	profile := flag.String("profile", "", "write a CPU profile of each wskit server run into this directory")
	date := flag.String("date", "", "date to print in the report (default: today)")
	render := flag.String("render", "", "run nothing: write the report and chart again from this results.json into -out")
	baselines := map[string]baseline{}
	flag.Func("baseline", "`NAME[@LIB]=BINARY`: also run, as library NAME, the server LIB (default wskit) of an echo binary built from another checkout (repeatable; add NAME to -libs)", func(v string) error {
		name, bin, ok := strings.Cut(v, "=")
		name, lib, _ := strings.Cut(name, "@")
		if lib == "" {
			lib = "wskit"
		}
		if !ok || name == "" || bin == "" {
			return errors.New("want NAME[@LIB]=BINARY")
		}
		baselines[name] = baseline{bin, lib}
		return nil
	})
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("run: ")
	if *render != "" {
		b, err := os.ReadFile(*render)
		if err != nil {
			log.Fatal(err)
		}
		var rep Report
		if err := json.Unmarshal(b, &rep); err != nil {
			log.Fatalf("%s: %v", *render, err)
		}
		if err := write(*out, &rep); err != nil {
			log.Fatal(err)
		}
		return
	}

	if *quick {
		quickRun = true
		*runs = 1
		*dur = 300 * time.Millisecond
		*warmup = 100 * time.Millisecond
		if *idleConns == 10000 {
			*idleConns = 1000
		}
	}
	libs := strings.Split(*libsFlag, ",")
	var list []Scenario
	var re *regexp.Regexp
	if *match != "" {
		re = regexp.MustCompile(*match)
	}
	for _, s := range scenarios(*idleConns) {
		if (re == nil || re.MatchString(s.Name)) && (!*quick || re != nil || quickScenarios.MatchString(s.Name)) {
			list = append(list, s)
		}
	}
	if len(list) == 0 {
		log.Fatal("no scenario matches")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	load.RaiseFileLimit(1 << 20) // 100,000s of idle connections

	tmp, err := os.MkdirTemp("", "wskit-bench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	for _, b := range baselines {
		if _, err := os.Stat(b.bin); err != nil {
			log.Fatalf("baseline: %v", err)
		}
	}
	if *echoBin == "" {
		*echoBin = filepath.Join(tmp, "echo")
		build := exec.Command("go", "build", "-o", *echoBin, "github.com/wskit/websocket/bench/cmd/echo")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			log.Fatalf("building the echo server: %v", err)
		}
	}
	if *profile != "" {
		if err := os.MkdirAll(*profile, 0o755); err != nil {
			log.Fatal(err)
		}
	}
	if *date == "" {
		*date = time.Now().Format("2006-01-02")
	}

	rep := Report{
		Date:      *date,
		Machine:   machine(),
		Go:        runtime.Version(),
		Versions:  versions(),
		Runs:      *runs,
		Warmup:    warmup.String(),
		Duration:  dur.String(),
		Libs:      libs,
		Scenarios: list,
	}
	started := time.Now()
	for _, sc := range list {
		for round := range *runs {
			for i := range libs {
				lib := libs[(i+round)%len(libs)]
				if ctx.Err() != nil {
					break
				}
				r := Run{Scenario: sc.Name, Lib: lib, Round: round}
				prof := ""
				if *profile != "" && lib == "wskit" {
					prof = filepath.Join(*profile, fmt.Sprintf("%s-%d.pprof", fileName(sc.Name), round))
				}
				bin, serverLib := *echoBin, lib
				if b, ok := baselines[lib]; ok {
					bin, serverLib = b.bin, b.lib // another checkout's server
				}
				once(ctx, bin, serverLib, sc, &r, *warmup, *dur, prof)
				rep.Results = append(rep.Results, r)
				log.Printf("%-26s %-8s round %d  %s", sc.Name, lib, round+1, r.summary())
			}
		}
	}
	log.Printf("done in %s", time.Since(started).Round(time.Second))
	if err := write(*out, &rep); err != nil {
		log.Fatal(err)
	}
	if ctx.Err() != nil {
		log.Fatal("interrupted; partial results written")
	}
	failed := 0
	for _, r := range rep.Results {
		if r.Err != "" {
			failed++
		}
	}
	if failed > 0 {
		log.Fatalf("%d run(s) failed; see the report", failed)
	}
}

func fileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, strings.ToLower(s))
}

// once starts a server, loads it and stops it.
func once(ctx context.Context, echoBin, serverLib string, sc Scenario, r *Run, warmup, dur time.Duration, prof string) {
	args := []string{"-lib", serverLib}
	if sc.Compress {
		args = append(args, "-compress")
	}
	if sc.Kind == "broadcast" {
		args = append(args, "-broadcast")
	}
	if prof != "" {
		args = append(args, "-cpuprofile", prof)
	}
	if sc.Kind == "churn" && r.Lib == "tcp" {
		r.NA = true // no handshake to churn
		return
	}
	srv, err := startServer(echoBin, args)
	if err != nil {
		if strings.Contains(err.Error(), servers.ErrUnsupported.Error()) {
			r.NA = true
		} else {
			r.Err = err.Error()
		}
		return
	}
	defer srv.stop()
	proto := "ws"
	if r.Lib == "tcp" {
		proto = "tcp"
	}
	cfg := load.Config{
		Addr:      srv.addr,
		Proto:     proto,
		Conns:     sc.Conns,
		Size:      sc.Size,
		Pipeline:  sc.Pipeline,
		Compress:  sc.Compress,
		Warmup:    warmup,
		Duration:  dur,
		ServerPID: srv.cmd.Process.Pid,
	}
	switch sc.Kind {
	case "idle":
		res, err := load.Idle(ctx, cfg)
		if err != nil {
			r.Err = err.Error()
			return
		}
		r.Idle = &res
	case "churn":
		if quickRun {
			cfg.MaxMessages = 2000
		}
		res, err := load.Churn(ctx, cfg)
		if err != nil {
			r.Err = err.Error()
			return
		}
		r.Churn = &res
	case "broadcast":
		res, err := load.Broadcast(ctx, cfg)
		if err != nil {
			r.Err = err.Error()
			return
		}
		r.Result = &res
	default:
		res, err := load.Echo(ctx, cfg)
		if err != nil {
			r.Err = err.Error()
			return
		}
		r.Result = &res
	}
	if errText := srv.stop(); errText != "" && r.Err == "" {
		r.Err = errText
	}
}

func (r *Run) summary() string {
	switch {
	case r.NA:
		return "n/a"
	case r.Err != "":
		return "error: " + r.Err
	case r.Idle != nil:
		return fmt.Sprintf("%.1f KiB/conn open, %.1f KiB/conn after a message",
			r.Idle.PerConnHandshake/1024, r.Idle.PerConnMessage/1024)
	case r.Churn != nil:
		return fmt.Sprintf("%6.0f cycles/s  cpu %6.1f µs/cycle", r.Churn.CyclesPerSec, r.Churn.ServerCPUPerUs)
	default:
		x := r.Result
		return fmt.Sprintf("%9.0f msg/s %8.1f MB/s  p50 %7.0f µs  p99 %7.0f µs  cpu %6.2f µs/msg  rss %5.1f MiB",
			x.MsgsPerSec, x.MBPerSec, x.P50us, x.P99us, x.CPUusPerMsg, float64(x.RSSBytes)/(1<<20))
	}
}

type server struct {
	cmd    *exec.Cmd
	addr   string
	stderr *bytes.Buffer
	done   chan error
	exited bool
}

// startServer starts the echo binary and waits for its address.
func startServer(bin string, args []string) (*server, error) {
	s := &server{stderr: new(bytes.Buffer), done: make(chan error, 1)}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stderr = s.stderr
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- strings.TrimSpace(l)
		io.Copy(io.Discard, stdout)
	}()
	go func() { s.done <- s.cmd.Wait() }()
	select {
	case s.addr = <-line:
		if s.addr != "" {
			return s, nil
		}
		err := <-s.done
		s.exited = true
		return nil, fmt.Errorf("echo %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(s.stderr.String()))
	case <-time.After(10 * time.Second):
		s.stop()
		return nil, errors.New("echo server did not start within 10s")
	}
}

// stop ends the server this program started, by its PID: SIGTERM, then
// SIGKILL if it has not exited after 5 s. It returns the server's error
// output when it did not exit cleanly.
func (s *server) stop() string {
	if s.exited {
		return ""
	}
	s.exited = true
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			return fmt.Sprintf("server exit: %v: %s", err, strings.TrimSpace(s.stderr.String()))
		}
		return ""
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
		return "server did not exit within 5s of SIGTERM"
	}
}

// machine describes this machine without naming it: CPU model and count.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d cores, %s/%s", model, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
}

// versions lists the library versions this module builds with.
func versions() map[string]string {
	v := map[string]string{}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	names := map[string]string{
		"github.com/gorilla/websocket": "gorilla",
		"github.com/coder/websocket":   "coder",
		"github.com/gobwas/ws":         "gobwas",
		"github.com/lxzan/gws":         "gws",
		"github.com/lesismal/nbio":     "nbio",
	}
	for _, d := range bi.Deps {
		if n, ok := names[d.Path]; ok {
			v[n] = d.Version
		}
		if d.Path == "github.com/wskit/websocket" {
			v["wskit"] = "this checkout"
		}
	}
	return v
}

func write(dir string, rep *Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.md"), []byte(markdown(rep)), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "results.svg"), []byte(chart(rep)), 0o644)
}

// baseline is a server of another checkout's echo binary, run beside this
// checkout's servers (-baseline).
type baseline struct{ bin, lib string }
