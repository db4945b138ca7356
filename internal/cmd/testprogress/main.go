// Command testprogress turns the event stream of `go test -json` into a
// short log for long runs: a line per package as it ends, a progress line at
// a fixed interval naming what is still running (with the last line each
// logged that starts "progress: "), the whole output of every test that
// failed, the lines starting "summary: " of those that passed, and a summary
// with the skipped tests named. It exits 1
// when any test or package failed, or when the stream held no result at all.
//
//	go test -race -json ./... | go run ./internal/cmd/testprogress -every 30s
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

func main() {
	every := flag.Duration("every", 30*time.Second, "interval between progress lines")
	label := flag.String("label", "test", "name of the phase in progress lines")
	failures := flag.String("failures", "", "file to write a short account of each failure to, for a summary at the end of a long log")
	flag.Parse()
	p := newProgress(os.Stdout, *label, time.Now())
	stop := make(chan struct{})
	ticks := time.NewTicker(*every)
	go func() {
		for {
			select {
			case <-stop:
				return
			case now := <-ticks.C:
				p.tick(now)
			}
		}
	}()
	err := p.read(os.Stdin)
	ticks.Stop()
	close(stop)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testprogress:", err)
		os.Exit(2)
	}
	ok := p.finish(time.Now())
	if *failures != "" {
		if err := os.WriteFile(*failures, []byte(strings.Join(p.brief, "")), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "testprogress:", err)
			os.Exit(2)
		}
	}
	if !ok {
		os.Exit(1)
	}
}

type key struct{ pkg, test string }

// progress holds what is running and the output of tests not yet ended.
type progress struct {
	mu      sync.Mutex
	out     io.Writer
	label   string
	start   time.Time
	running map[key]time.Time // tests started and not ended
	pkgs    map[string]bool   // packages started and not ended
	output  map[key][]string  // output of tests (and packages) not yet ended
	note    map[key]string    // the last "progress: " line a running test logged
	done    int               // packages ended
	passed  int
	failed  []string
	skipped []string
	brief   []string // each failure's name and its last lines of output
	results int
}

func newProgress(out io.Writer, label string, start time.Time) *progress {
	return &progress{
		out: out, label: label, start: start,
		running: map[key]time.Time{}, pkgs: map[string]bool{}, output: map[key][]string{}, note: map[key]string{},
	}
}

func (p *progress) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			// go test prints build errors and the like as plain text.
			p.mu.Lock()
			fmt.Fprintf(p.out, "%s\n", line)
			p.mu.Unlock()
			continue
		}
		p.event(e, time.Now())
	}
	return sc.Err()
}

func (p *progress) event(e event, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := key{e.Package, e.Test}
	switch e.Action {
	case "start":
		p.pkgs[e.Package] = true
	case "run":
		p.running[k] = now
	case "output":
		p.output[k] = append(p.output[k], e.Output)
		if _, after, ok := strings.Cut(e.Output, "progress: "); ok {
			p.note[key{k.pkg, topLevel(k.test)}] = strings.TrimSpace(after)
		}
	case "pass", "fail", "skip":
		p.end(k, e)
	}
}

// end records a test's or a package's result; p.mu is held.
func (p *progress) end(k key, e event) {
	p.results++
	delete(p.running, k)
	delete(p.note, k)
	out := p.output[k]
	delete(p.output, k)
	if k.test != "" {
		switch e.Action {
		case "pass":
			p.passed++
			for _, l := range out { // what a test reports even when it passes
				if _, after, ok := strings.Cut(l, "summary: "); ok {
					fmt.Fprintf(p.out, "    %s %s: %s", short(k.pkg), k.test, after)
				}
			}
		case "skip":
			if !strings.Contains(k.test, "/") {
				p.skipped = append(p.skipped, k.pkg+" "+k.test+": "+skipReason(out))
			}
		case "fail":
			p.failed = append(p.failed, k.pkg+" "+k.test)
			p.addBrief("--- FAIL "+short(k.pkg)+" "+k.test, out)
			fmt.Fprintf(p.out, "--- FAIL %s %s (%.1fs)\n", k.pkg, k.test, e.Elapsed)
			for _, l := range out {
				fmt.Fprint(p.out, "    ", l)
			}
		}
		return
	}
	delete(p.pkgs, k.pkg)
	p.done++
	switch e.Action {
	case "fail":
		p.failed = append(p.failed, k.pkg)
		p.addBrief("FAIL "+short(k.pkg), out)
		fmt.Fprintf(p.out, "FAIL %s (%.1fs)\n", k.pkg, e.Elapsed)
		for _, l := range out { // build failures, panics outside a test
			fmt.Fprint(p.out, "    ", l)
		}
		// A panic (a timeout's among them) ends the package's tests
		// unreported, its dump in the output of the test that was running.
		var unfinished []key
		for tk := range p.running {
			if tk.pkg == k.pkg {
				unfinished = append(unfinished, tk)
				delete(p.running, tk)
			}
		}
		for tk := range p.output {
			if tk.pkg == k.pkg && tk.test != "" && !slices.Contains(unfinished, tk) {
				unfinished = append(unfinished, tk)
			}
		}
		slices.SortFunc(unfinished, func(a, b key) int { return strings.Compare(a.test, b.test) })
		for _, tk := range unfinished {
			out := p.output[tk]
			delete(p.output, tk)
			if len(out) == 0 {
				continue
			}
			p.failed = append(p.failed, k.pkg+" "+tk.test+" (did not finish)")
			d := digest(out)
			p.addBrief("--- UNFINISHED "+short(k.pkg)+" "+tk.test, d)
			fmt.Fprintf(p.out, "--- UNFINISHED %s %s\n", short(k.pkg), tk.test)
			for _, l := range d {
				fmt.Fprint(p.out, "    ", l)
			}
		}
	case "pass":
		fmt.Fprintf(p.out, "ok   %s (%.1fs)\n", k.pkg, e.Elapsed)
	case "skip": // no test files
	}
}

// addBrief keeps a failure's heading and the last maxBrief lines of its
// output that say something (not go test's own "=== RUN" and "--- FAIL"
// lines); p.mu is held.
func (p *progress) addBrief(heading string, out []string) {
	var said []string
	for _, l := range out {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- FAIL") || t == "FAIL" {
			continue
		}
		said = append(said, "    "+strings.TrimRight(l, "\n")+"\n")
	}
	if len(said) > maxBrief {
		said = append([]string{fmt.Sprintf("    ... %d lines before\n", len(said)-maxBrief)}, said[len(said)-maxBrief:]...)
	}
	p.brief = append(p.brief, heading+"\n")
	p.brief = append(p.brief, said...)
}

// skipReason finds the t.Skip message in a skipped test's output.
func skipReason(out []string) string {
	for _, l := range out {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "=== ") && !strings.HasPrefix(l, "--- SKIP") {
			return l
		}
	}
	return "no reason given"
}

// tick prints one progress line: elapsed time, packages ended, and the
// longest-running tests, each with the last line it logged that starts with
// "progress: " (in any of its subtests).
func (p *progress) tick(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	type run struct {
		k     key
		since time.Time
	}
	var top []run
	for k, since := range p.running {
		if !strings.Contains(k.test, "/") {
			top = append(top, run{k, since})
		}
	}
	slices.SortFunc(top, func(a, b run) int { return a.since.Compare(b.since) })
	var names []string
	for _, r := range top[:min(3, len(top))] {
		name := fmt.Sprintf("%s %s (%s", short(r.k.pkg), r.k.test, now.Sub(r.since).Round(time.Second))
		if n := p.note[r.k]; n != "" {
			name += ": " + n
		}
		names = append(names, name+")")
	}
	running := strings.Join(names, ", ")
	if running == "" {
		running = fmt.Sprintf("%d packages building or starting", len(p.pkgs))
	}
	fmt.Fprintf(p.out, "... %s: %s, %d packages done, %d tests passed; running %s\n",
		p.label, now.Sub(p.start).Round(time.Second), p.done, p.passed, running)
}

// finish prints the summary and reports whether everything passed.
func (p *progress) finish(now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, "%s: %d packages, %d tests passed, %d failed, %d skipped in %s\n",
		p.label, p.done, p.passed, len(p.failed), len(p.skipped), now.Sub(p.start).Round(time.Second))
	for _, s := range p.skipped {
		fmt.Fprintln(p.out, "  skipped:", s)
	}
	for _, f := range p.failed {
		fmt.Fprintln(p.out, "  FAILED:", f)
	}
	return len(p.failed) == 0 && p.results > 0
}

// topLevel is the name of the top-level test a (sub)test belongs to.
func topLevel(test string) string {
	top, _, _ := strings.Cut(test, "/")
	return top
}

func short(pkg string) string {
	return strings.TrimPrefix(pkg, "github.com/wskit/websocket/")
}

// digest shortens the output of a test a panic ended: the last lines it
// logged, the panic with its list of running tests, and the goroutines of
// the dump grouped by where they wait, most numerous first, each shown by
// its first frames outside the runtime, sync and testing.
func digest(out []string) []string {
	panicAt := slices.IndexFunc(out, func(l string) bool {
		return strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") || strings.HasPrefix(l, "SIGQUIT: ")
	})
	if panicAt < 0 {
		return out[max(0, len(out)-maxLogged):]
	}
	res := slices.Clone(out[max(0, panicAt-maxLogged):panicAt])
	i := panicAt
	for ; i < len(out) && strings.TrimSpace(out[i]) != ""; i++ {
		if i == panicAt || !strings.HasPrefix(out[panicAt], "SIGQUIT: ") {
			res = append(res, out[i]) // not a SIGQUIT's registers
		}
	}
	type group struct {
		where string
		n     int
	}
	var groups []*group
	byWhere := map[string]*group{}
	for i < len(out) {
		for i < len(out) && !strings.HasPrefix(out[i], "goroutine ") {
			i++
		}
		if i == len(out) {
			break
		}
		_, state, _ := strings.Cut(out[i], "[")
		state, _, _ = strings.Cut(state, "]")
		state, _, _ = strings.Cut(state, ",") // drop how long it has waited
		var frames []string
		for i++; i < len(out) && strings.TrimSpace(out[i]) != ""; i++ {
			l := out[i]
			if strings.HasPrefix(l, "\t") || len(frames) == maxFrames || strings.HasPrefix(l, "created by ") {
				continue
			}
			fn, _, _ := strings.Cut(strings.TrimSpace(l), "(0x")
			fn = strings.TrimSuffix(fn, "(...)")
			if !boring(fn) {
				frames = append(frames, fn)
			}
		}
		where := "[" + state + "] " + strings.Join(frames, " <- ")
		g := byWhere[where]
		if g == nil {
			g = &group{where: where}
			byWhere[where] = g
			groups = append(groups, g)
		}
		g.n++
	}
	slices.SortStableFunc(groups, func(a, b *group) int { return b.n - a.n })
	for j, g := range groups {
		if j == maxGroups {
			res = append(res, fmt.Sprintf("... and %d more kinds of goroutine\n", len(groups)-j))
			break
		}
		res = append(res, fmt.Sprintf("%4d × %s\n", g.n, g.where))
	}
	return res
}

const (
	maxLogged = 20 // lines kept of what a test logged before it panicked
	maxFrames = 4  // frames shown for a group of goroutines
	maxGroups = 15 // groups of goroutines shown
	maxBrief  = 12 // lines kept of a failure's output for the closing summary
)

// boring reports whether a frame is the machinery every goroutine shows.
func boring(fn string) bool {
	for _, p := range []string{"runtime.", "internal/", "sync.", "testing.", "time.Sleep", "created by"} {
		if strings.HasPrefix(fn, p) {
			return true
		}
	}
	return false
}
