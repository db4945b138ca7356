package conformance_test

import (
	"context"
	"flag"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wskit/websocket/conformance"
	"github.com/wskit/websocket/internal/testutil"
	"github.com/wskit/websocket/wire"
)

// payloadDir holds the payload files of groups 12 and 13.
var payloadDir = filepath.Join(specDir, "payloads")

// testOptions are fast timings for peers on this machine.
func testOptions() *conformance.Options {
	return &conformance.Options{
		Agent:    "test peer",
		Payloads: payloadDir,
		Parallel: 8,
		Settle:   testSettle,
		Timeout:  caseLimit(),
	}
}

// testSettle is how long the tester gives a peer to fail the connection in
// these tests: twice the original suite's second, because on a loaded 2-core
// machine under -race a correct peer's answer was seen to take over 600 ms.
// A correct peer's answer ends the wait, so it costs time only in the cases
// that wait for silence and against broken peers.
const testSettle = 2 * time.Second

// caseLimit bounds a case by half of go test's -timeout rather than by a
// fixed time: under -race on a loaded machine the large cases of groups 9
// and 12 take minutes, and a correct peer must not fail for it. A case that
// hangs still ends, with its log, before the binary is stopped.
func caseLimit() time.Duration {
	if f := flag.Lookup("test.timeout"); f != nil {
		if d, ok := f.Value.(flag.Getter).Get().(time.Duration); ok && d > 0 {
			return d / 2
		}
	}
	return time.Hour
}

func selectCases(t testing.TB, include, exclude string) []conformance.Case {
	t.Helper()
	cs, err := conformance.Select(conformance.Cases(), include, exclude)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func runServer(t testing.TB, url, include, exclude string) *conformance.Report {
	t.Helper()
	cases := selectCases(t, include, exclude)
	rep, err := conformance.RunServer(context.Background(), url, cases, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != len(cases) {
		t.Fatalf("%d results for %d cases", len(rep.Results), len(cases))
	}
	return rep
}

// checkVerdicts fails t for every result whose verdict is not want(id).
func checkVerdicts(t *testing.T, rep *conformance.Report, want func(c *conformance.Case) conformance.Verdict) {
	t.Helper()
	byID := map[string]*conformance.Case{}
	all := conformance.Cases()
	for i := range all {
		byID[all[i].ID] = &all[i]
	}
	for _, r := range rep.Results {
		if w := want(byID[r.ID]); r.Verdict != w {
			t.Errorf("case %s: verdict %s (behavior %s, close %s, code %d), want %s\n  %s",
				r.ID, r.Verdict, r.Behavior, r.CloseBehavior, r.CloseCode, w, strings.Join(r.Log, "\n  "))
		}
	}
}

// anyMatch reports whether the case id matches one of the comma-separated
// patterns, in the syntax of conformance.Select.
func anyMatch(patterns, id string) bool {
	for p := range strings.SplitSeq(patterns, ",") {
		if p == "" {
			continue
		}
		if cs, err := conformance.Select([]conformance.Case{{ID: id}}, p, ""); err == nil && len(cs) == 1 {
			return true
		}
	}
	return false
}

// newHTTPServer serves h on ln until closed.
func newHTTPServer(ln net.Listener, h http.Handler) *http.Server {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return srv
}

// normal is the verdict of a correct peer.
func normal(c *conformance.Case) conformance.Verdict {
	if c.Expect.Informational {
		return conformance.Informational
	}
	return conformance.OK
}

// A correct raw echo server passes every group, the large-message and
// compression groups in part: one or two sizes of each kind, as the rest
// take minutes under -race (ws's conformance step runs them all against
// wskit, the reference step against gorilla and coder, and the python
// interop run against Autobahn's client).
func TestServerModeCorrectPeer(t *testing.T) {
	url := startEchoServer(t, bugs{})
	rep := runServer(t, url, "1,2,3,4,5,6,7,10,"+
		"9.1.1,9.1.3,9.2.1,9.2.3,9.3.4,9.4.4,9.5.1,9.5.6,9.6.1,9.6.6,9.7.1,9.7.2,9.8.1,9.8.2,"+
		"12.1.4,12.2.4,12.3.2,12.4.1,12.5.3,12.1.11,13.1.2,13.2.1,13.3.4,13.4.1,13.5.4,13.6.2,13.7.11", "")
	checkVerdicts(t, rep, normal)
	if s := rep.Summary(); s.Failed != 0 || s.Passed < 250 {
		t.Errorf("summary %s", s)
	}
	logSlowest(t, rep)
}

// logSlowest logs the slowest cases, to keep the suite's time in view.
func logSlowest(t *testing.T, rep *conformance.Report) {
	rs := slices.Clone(rep.Results)
	slices.SortFunc(rs, func(a, b conformance.Result) int { return int(b.Duration - a.Duration) })
	for _, r := range rs[:min(8, len(rs))] {
		t.Logf("%-8s %v", r.ID, r.Duration.Round(time.Millisecond))
	}
	t.Logf("all %d cases: %v", len(rep.Results), rep.Duration.Round(time.Millisecond))
}

// Each broken peer fails exactly the cases that check what it breaks, and
// passes the rest: every group can fail.
func TestServerModeBrokenPeers(t *testing.T) {
	all := conformance.Cases()
	failing := func(pred func(*conformance.Case) bool) string {
		var ids []string
		for i := range all {
			if pred(&all[i]) {
				ids = append(ids, all[i].ID)
			}
		}
		return strings.Join(ids, ",")
	}
	tests := []struct {
		name      string
		b         bugs
		run       string
		fail      string // these must be FAILED
		nonStrict string // these NON-STRICT
		unimpl    string // these UNIMPLEMENTED
	}{
		{
			name: "no UTF-8 validation", b: bugs{noUTF8: true}, run: "6,7.5.1",
			fail: failing(func(c *conformance.Case) bool { return c.Close.WrongCloserFatal }) + ",7.5.1",
		},
		{
			name: "UTF-8 validated at message end", b: bugs{lateUTF8: true}, run: "6.3,6.4",
			nonStrict: "6.4.1,6.4.2,6.4.3",
		},
		{
			name: "no frame header checks", b: bugs{noChecks: true}, run: "1.1.1,2,3,4,5",
			fail: "2.5,3,4,5.1,5.2,5.9,5.10,5.11,5.12,5.13,5.14,5.15,5.16,5.17,5.18",
		},
		{
			name: "answers close with 1003", b: bugs{closeCode: wire.StatusUnsupportedData}, run: "1,2,5.3,6.1,7",
			fail: failing(func(c *conformance.Case) bool {
				// 7.3.6 is a framing error, answered as one.
				return c.Close.ByTester && !c.Close.Informational && c.ID != "7.3.6" &&
					!slices.Contains(c.Close.Codes, wire.StatusUnsupportedData)
			}),
		},
		{
			name: "accepts any close code", b: bugs{noCloseCheck: true}, run: "7",
			fail: "7.5.1,7.9",
		},
		{
			name: "never closes", b: bugs{neverClose: true},
			run:  "1.1.1,1.2.8,2.1,2.5,3.1,4.1.1,4.2.1,5.3,5.18,6.1.1,6.3.1,6.4.1,7.1.1,7.3.2,7.7.1,7.9.1,9.1.1,9.7.1,10.1.1,12.1.1,13.1.1",
			fail: "1,2,3,4,5,6,7,9,10,12,13",
		},
		{
			name: "leaves closing TCP to the client", b: bugs{linger: true}, run: "1.1.1,2.1,5.3,7.1.1,7.3.3,7.7.2",
			nonStrict: "1,2,5,7",
		},
		{
			name: "no pongs", b: bugs{noPong: true}, run: "2,5",
			fail: "2.1,2.2,2.3,2.4,2.6,2.9,2.10,2.11,5.6,5.7,5.8,5.19,5.20",
		},
		{
			name: "64 KiB message limit", b: bugs{maxMessage: 65535}, run: "1,9.1,9.2,9.5.1,9.6.1,9.7,10",
			fail: "1.1.7,1.1.8,1.2.7,1.2.8,9.1,9.2,9.5.1,9.6.1,10.1.1",
		},
		{
			name: "no permessage-deflate", b: bugs{noDeflate: true}, run: "12.1.1,12.5.3,13.1.1,13.7.2",
			unimpl: "12,13",
		},
		{
			name: "keeps context after granting no context takeover", b: bugs{lieNoContext: true}, run: "12.1.2,12.4.3,13.2.2,13.6.3",
			fail: "12,13",
		},
		{
			name: "compresses with 32 KiB after granting 512 bytes", b: bugs{lieWindow: true}, run: "12.1.4,12.4.5",
			fail: "12",
		},
		{
			// The response holds: like the original suite, the tester
			// inflates with the window the response states.
			name: "ignores server_max_window_bits", b: bugs{ignoreWindow: true}, run: "13.3.2,13.5.4,13.7.3",
		},
		{
			// The tester keeps its context, as the response lets it.
			name: "takes the offer's client_no_context_takeover as binding", b: bugs{hintBinding: true}, run: "12.1.2,12.2.3,13.1.2,13.4.3",
			fail: "12,13",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url := startEchoServer(t, tt.b)
			rep := runServer(t, url, tt.run, "")
			checkVerdicts(t, rep, func(c *conformance.Case) conformance.Verdict {
				switch {
				case c.Expect.Informational:
					return conformance.Informational
				case anyMatch(tt.fail, c.ID):
					return conformance.Failed
				case anyMatch(tt.nonStrict, c.ID):
					return conformance.NonStrict
				case anyMatch(tt.unimpl, c.ID):
					return conformance.Unimplemented
				}
				return conformance.OK
			})
		})
	}
}

// A client under test: the correct raw client passes, through the same
// protocol the original suite's clients speak.
func TestClientModeCorrectClient(t *testing.T) {
	cases := selectCases(t, "1,2,3,4,5,6,7,9.1.1,9.3.4,9.5.6,9.7.2,10,12.1.1,12.3.4,12.1.11,13.2.3,13.3.1,13.5.2,13.7.4", "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts := testOptions()
	var seen int
	opts.Progress = func(conformance.Result) { seen++ }
	ctx := testutil.Ctx(t)
	clientErr := make(chan error, 1)
	go func() { clientErr <- runEchoClient(ctx, "ws://"+ln.Addr().String(), "raw-go", bugs{}) }()
	rep, err := conformance.RunClient(ctx, ln, cases, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-clientErr; err != nil {
		t.Fatal(err)
	}
	if rep.Agent != "raw-go" || rep.Mode != conformance.ModeClient || len(rep.Results) != len(cases) || seen != len(cases) {
		t.Fatalf("report for %q (%s): %d results, %d progress calls, for %d cases", rep.Agent, rep.Mode, len(rep.Results), seen, len(cases))
	}
	checkVerdicts(t, rep, normal)
	logSlowest(t, rep)
}

// A broken client fails the cases that check what it breaks.
func TestClientModeBrokenClients(t *testing.T) {
	tests := []struct {
		name string
		b    bugs
		run  string
		fail string
	}{
		{"no UTF-8 validation", bugs{noUTF8: true}, "6.3,6.5,6.6", "6.3,6.6.1,6.6.3,6.6.4,6.6.6,6.6.8,6.6.10"},
		{"no frame header checks", bugs{noChecks: true}, "3.1,4.1.1,5.1,5.3", "3.1,4.1.1,5.1"},
		{"never closes", bugs{neverClose: true}, "1.1.1,3.1,7.1.1", "1.1.1,3.1,7.1.1"},
		{"no pongs", bugs{noPong: true}, "2.1,2.7", "2.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ct, err := conformance.NewClientTester(selectCases(t, tt.run, ""), testOptions())
			if err != nil {
				t.Fatal(err)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv := newHTTPServer(ln, ct)
			defer srv.Close()
			ctx := testutil.Ctx(t)
			if err := runEchoClient(ctx, "ws://"+ln.Addr().String(), "broken", tt.b); err != nil {
				t.Fatal(err)
			}
			var rep *conformance.Report
			select {
			case rep = <-ct.Done():
			case <-ctx.Done():
				t.Fatal("no report")
			}
			if got := ct.Agents(); len(got) != 1 || got[0] != "broken" {
				t.Errorf("agents %v", got)
			}
			checkVerdicts(t, rep, func(c *conformance.Case) conformance.Verdict {
				if anyMatch(tt.fail, c.ID) {
					return conformance.Failed
				}
				return normal(c)
			})
		})
	}
}

// The rest of the original suite's protocol: case info and status as JSON
// text messages, and errors for what does not exist.
func TestClientTesterEndpoints(t *testing.T) {
	ct, err := conformance.NewClientTester(selectCases(t, "1.1.1,2.1", ""), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newHTTPServer(ln, ct)
	defer srv.Close()
	base := "ws://" + ln.Addr().String()
	ctx := testutil.Ctx(t)
	if err := runEchoClient(ctx, base, "agent-x", bugs{}); err != nil {
		t.Fatal(err)
	}
	<-ct.Done()
	fetch := func(path string) string {
		t.Helper()
		p, err := dialPeer(ctx, base+path, bugs{noDeflate: true})
		if err != nil {
			return "error: " + err.Error()
		}
		var got string
		p.quiet = true
		p.got = func(_ wire.Opcode, m []byte) { got = string(m) }
		p.run()
		return got
	}
	for path, want := range map[string]string{
		"/getCaseCount":                       "2",
		"/getCaseInfo?case=2":                 `{"description":"A ping without payload.","id":"2.1"}`,
		"/getCaseStatus?case=1&agent=agent-x": `{"behavior":"OK"}`,
		"/getCaseStatus?case=1&agent=other":   "error: websocket: bad handshake response: status \"404 Not Found\", want \"101 Switching Protocols\"",
		"/runCase?case=3&agent=agent-x":       "error: websocket: bad handshake response: status \"400 Bad Request\", want \"101 Switching Protocols\"",
		"/nothing":                            "error: websocket: bad handshake response: status \"404 Not Found\", want \"101 Switching Protocols\"",
	} {
		if got := fetch(path); got != want {
			t.Errorf("%s: got %s, want %s", path, got, want)
		}
	}
}
