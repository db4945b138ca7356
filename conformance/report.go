package conformance

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Mode names which side the implementation under test plays.
const (
	ModeServer = "server" // RunServer: a server under test
	ModeClient = "client" // ClientTester: a client under test
)

// Result is the outcome of one case.
type Result struct {
	ID          string `json:"id"`
	Description string `json:"description"`
	Expectation string `json:"expectation"`

	// Verdict is the case's outcome: Behavior combined with CloseBehavior
	// (a close that fails the case makes it FAILED; a close with an
	// acceptable but imprecise code, or a client-side TCP close, makes an
	// OK case NON-STRICT).
	Verdict Verdict `json:"verdict"`

	// Behavior judges what the peer sent back; CloseBehavior how the
	// connection ended (the original suite's behavior and behaviorClose).
	Behavior      Verdict      `json:"behavior"`
	CloseBehavior CloseVerdict `json:"behaviorClose"`

	// Duration is how long the case took, from the TCP connection (server
	// mode) or the handshake request (client mode) to the end.
	Duration time.Duration `json:"duration_ns"`

	// CloseCode is the code of the peer's close frame: 1005 for a close
	// frame without a code, 1006 when none came (TCP was dropped).
	// CloseReason is its reason.
	CloseCode   int    `json:"closeCode"`
	CloseReason string `json:"closeReason,omitempty"`

	// ClosedBy says who ended the connection first, with a close frame or
	// by dropping TCP: "tester" or "peer".
	ClosedBy string `json:"closedBy"`

	// Log is a short account of what happened, one line per step or
	// event, each starting with the time since the case began.
	Log []string `json:"log"`
}

// Passed reports whether the verdict counts as passed (OK or NON-STRICT).
func (r *Result) Passed() bool { return r.Verdict == OK || r.Verdict == NonStrict }

// Report is the outcome of a run.
type Report struct {
	// Agent names the implementation under test.
	Agent string `json:"agent"`
	// Mode is ModeServer or ModeClient.
	Mode string `json:"mode"`
	// Target is the URL tested (server mode) or the address served
	// (client mode).
	Target string `json:"target"`

	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`

	// Selected is the number of cases selected for the run; Results may be
	// shorter when the run was cancelled or a client skipped cases.
	Selected int `json:"selected"`

	// Results are in case order.
	Results []Result `json:"results"`
}

// Summary counts a report's verdicts.
type Summary struct {
	Passed        int `json:"passed"`    // OK and NON-STRICT
	NonStrict     int `json:"nonStrict"` // of the passed, NON-STRICT
	Failed        int `json:"failed"`
	Informational int `json:"informational"`
	Unimplemented int `json:"unimplemented"`
	NotRun        int `json:"notRun"` // selected but without a result
}

// Summary counts the report's verdicts.
func (r *Report) Summary() Summary {
	var s Summary
	for i := range r.Results {
		switch r.Results[i].Verdict {
		case OK:
			s.Passed++
		case NonStrict:
			s.Passed++
			s.NonStrict++
		case Informational:
			s.Informational++
		case Unimplemented:
			s.Unimplemented++
		default:
			s.Failed++
		}
	}
	s.NotRun = max(r.Selected-len(r.Results), 0)
	return s
}

// String returns the summary line, "N passed, N failed" followed by the
// informational, unimplemented and not-run counts and, when there are any,
// how many of the passed were NON-STRICT.
func (s Summary) String() string {
	line := fmt.Sprintf("%d passed, %d failed, %d informational, %d unimplemented", s.Passed, s.Failed, s.Informational, s.Unimplemented)
	if s.NotRun > 0 {
		line += fmt.Sprintf(", %d not run", s.NotRun)
	}
	if s.NonStrict > 0 {
		line += fmt.Sprintf(" (%d of the passed NON-STRICT)", s.NonStrict)
	}
	return line
}

// Failed returns the results whose verdict is FAILED.
func (r *Report) Failed() []Result {
	var out []Result
	for _, res := range r.Results {
		if res.Verdict == Failed {
			out = append(out, res)
		}
	}
	return out
}

// Result returns the result of the case with the given id, or nil.
func (r *Report) Result(id string) *Result {
	for i := range r.Results {
		if r.Results[i].ID == id {
			return &r.Results[i]
		}
	}
	return nil
}

// WriteText writes the report as plain text: a header, one line per case
// (id, verdict, behaviour, close verdict, close code, duration), the log of
// every case not OK, and the summary line last.
func (r *Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "WebSocket conformance: %s under test", r.Mode)
	if r.Agent != "" {
		fmt.Fprintf(bw, " (%s)", r.Agent)
	}
	fmt.Fprintf(bw, ", %s\nstarted %s, took %s\n\n", r.Target, r.Started.Format(time.RFC3339), r.Duration.Round(time.Millisecond))
	fmt.Fprintf(bw, "%-9s %-13s %-13s %-16s %5s %10s\n", "case", "verdict", "behavior", "close", "code", "time")
	for i := range r.Results {
		res := &r.Results[i]
		fmt.Fprintf(bw, "%-9s %-13s %-13s %-16s %5d %10s\n", res.ID, res.Verdict, res.Behavior, res.CloseBehavior, res.CloseCode, res.Duration.Round(time.Millisecond))
	}
	for i := range r.Results {
		res := &r.Results[i]
		if res.Verdict == OK {
			continue
		}
		fmt.Fprintf(bw, "\n== %s %s: %s\n   expected: %s\n", res.ID, res.Verdict, res.Description, res.Expectation)
		for _, l := range res.Log {
			fmt.Fprintf(bw, "   %s\n", l)
		}
	}
	fmt.Fprintf(bw, "\n%s\n", r.Summary())
	return bw.Flush()
}

// WriteJSON writes the report as one indented JSON object: the report's
// fields and a "summary" object. Durations are in nanoseconds.
func (r *Report) WriteJSON(w io.Writer) error {
	out := struct {
		*Report
		Summary Summary `json:"summary"`
	}{r, r.Summary()}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// logLines bounds a result's log.
const logLines = 60

// logger collects a case's log lines.
type logger struct {
	start time.Time
	mu    sync.Mutex
	lines []string
	extra int
}

func (l *logger) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) >= logLines {
		l.extra++
		return
	}
	l.lines = append(l.lines, fmt.Sprintf("%8.3fs ", time.Since(l.start).Seconds())+fmt.Sprintf(format, args...))
}

func (l *logger) result() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.extra > 0 {
		return append(l.lines, fmt.Sprintf("... %d more lines", l.extra))
	}
	return l.lines
}

// shorten cuts s for a log line.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}
