//go:build interop

// The tester against an independent implementation, Python's websockets
// (Debian's python3-websockets). These tests are not part of the default
// suite because they need that package; with the interop tag they fail,
// not skip, when it is missing:
//
//	apt-get install -y python3-websockets
//	go test -tags interop -run Python ./conformance
//
// CONFORMANCE_FULL=1 runs all 517 cases instead of a quick subset and
// writes the reports to $CONFORMANCE_REPORT_DIR when set.

package conformance_test

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wskit/websocket/conformance"
	"github.com/wskit/websocket/internal/testutil"
)

const python = "/usr/bin/python3"

// requirePython fails the test unless Debian's python3 with websockets is
// installed.
func requirePython(t *testing.T) {
	t.Helper()
	out, err := exec.Command(python, "-c", "import websockets; print(websockets.__version__)").CombinedOutput()
	if err != nil {
		t.Fatalf("%s with the websockets module is required (apt-get install -y python3-websockets): %v\n%s", python, err, out)
	}
	t.Logf("python websockets %s", strings.TrimSpace(string(out)))
}

// startPython runs a script from testdata and stops it, by its PID, when
// the test ends.
func startPython(t *testing.T, script string, args ...string) (*exec.Cmd, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(python, append([]string{filepath.Join("testdata", script)}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, bufio.NewReader(stdout)
}

// pythonVerdicts are the verdicts Python websockets 10.4 may get where they
// are not OK, and why:
//   - 3.2-3.4, 4.1.3-4.2.5, 5.15 (NON-STRICT, or OK depending on timing):
//     it fails the connection on the bad frame before its handler has
//     echoed the good message before it, when both arrive together.
//   - 6.4.3 (NON-STRICT): it validates UTF-8 per frame, not as a frame's
//     bytes arrive.
var pythonVerdicts = func() map[string][]conformance.Verdict {
	m := map[string][]conformance.Verdict{"6.4.3": {conformance.NonStrict}}
	for _, id := range []string{"3.2", "3.3", "3.4", "4.1.3", "4.1.4", "4.1.5", "4.2.3", "4.2.4", "4.2.5", "5.15"} {
		m[id] = []conformance.Verdict{conformance.NonStrict, conformance.OK}
	}
	return m
}()

// interopOptions are quick timings, or the original suite's for a full run.
func interopOptions(agent string) *conformance.Options {
	opts := testOptions()
	opts.Agent, opts.Parallel, opts.Settle, opts.Timeout = agent, 4, testSettle, caseLimit()
	if os.Getenv("CONFORMANCE_FULL") != "" {
		opts.Parallel, opts.Settle = 2, 0
	}
	return opts
}

func interopCases(t *testing.T, quick string) []conformance.Case {
	if os.Getenv("CONFORMANCE_FULL") != "" {
		return conformance.Cases()
	}
	return selectCases(t, quick, "")
}

func saveReport(t *testing.T, name string, rep *conformance.Report) {
	dir := os.Getenv("CONFORMANCE_REPORT_DIR")
	if dir == "" {
		return
	}
	for ext, write := range map[string]func(*os.File) error{
		"txt":  func(f *os.File) error { return rep.WriteText(f) },
		"json": func(f *os.File) error { return rep.WriteJSON(f) },
		"html": func(f *os.File) error { return rep.WriteHTML(f) },
	} {
		f, err := os.Create(filepath.Join(dir, name+"."+ext))
		if err != nil {
			t.Fatal(err)
		}
		if err := write(f); err != nil {
			t.Error(err)
		}
		f.Close()
	}
}

func checkPython(t *testing.T, rep *conformance.Report, known map[string][]conformance.Verdict) {
	t.Helper()
	for _, r := range rep.Results {
		if vs, ok := known[r.ID]; ok && slices.Contains(vs, r.Verdict) {
			continue
		}
		c := conformance.Cases()
		for i := range c {
			if c[i].ID == r.ID && r.Verdict != normal(&c[i]) {
				t.Errorf("case %s: verdict %s (behavior %s, close %s, code %d), want %s\n  %s",
					r.ID, r.Verdict, r.Behavior, r.CloseBehavior, r.CloseCode, normal(&c[i]), strings.Join(r.Log, "\n  "))
			}
		}
	}
	t.Logf("%s: %s in %v", rep.Agent, rep.Summary(), rep.Duration.Round(time.Millisecond))
}

// The suite against Python websockets' echo server.
func TestPythonServer(t *testing.T) {
	requirePython(t)
	_, out := startPython(t, "echo_server.py", "0")
	line, err := out.ReadString('\n')
	if err != nil {
		t.Fatalf("echo server did not start: %v", err)
	}
	url := "ws://127.0.0.1:" + strings.TrimSpace(line) + "/"
	cases := interopCases(t, "1,2,3,4,5,6,7,9,10,12.*.1,12.*.11,13.*.4")
	opts := interopOptions("python-websockets server")
	rep, err := conformance.RunServer(context.Background(), url, cases, opts)
	if err != nil {
		t.Fatal(err)
	}
	saveReport(t, "python-server", rep)
	checkPython(t, rep, pythonVerdicts)
}

// The suite against a Python websockets client that echoes.
func TestPythonClient(t *testing.T) {
	requirePython(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cases := interopCases(t, "1,2,3,4,5,6,7,9.1,9.7,10,12.*.1,12.*.11,13.*.4")
	cmd, _ := startPython(t, "echo_client.py", "ws://"+ln.Addr().String(), "python-websockets-client")
	ctx := testutil.Ctx(t)
	opts := interopOptions("")
	rep, err := conformance.RunClient(ctx, ln, cases, opts)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	saveReport(t, "python-client", rep)
	if len(rep.Results) != len(cases) {
		t.Errorf("%d results for %d cases", len(rep.Results), len(cases))
	}
	checkPython(t, rep, pythonVerdicts)
}
