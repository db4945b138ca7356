package main

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

const stream = `{"Action":"start","Package":"m/a"}
{"Action":"run","Package":"m/a","Test":"TestOK"}
{"Action":"output","Package":"m/a","Test":"TestOK","Output":"=== RUN   TestOK\n"}
{"Action":"output","Package":"m/a","Test":"TestOK","Output":"    ok_test.go:5: summary: 517 of 517 agree\n"}
{"Action":"pass","Package":"m/a","Test":"TestOK","Elapsed":0.1}
{"Action":"run","Package":"m/a","Test":"TestBad"}
{"Action":"output","Package":"m/a","Test":"TestBad","Output":"    bad_test.go:9: got 2, want 3\n"}
{"Action":"fail","Package":"m/a","Test":"TestBad","Elapsed":0.2}
{"Action":"run","Package":"m/a","Test":"TestSlow"}
{"Action":"run","Package":"m/a","Test":"TestSlow/sub"}
{"Action":"output","Package":"m/a","Test":"TestSlow/sub","Output":"    x_test.go:7: progress: 25 cases done\n"}
{"Action":"run","Package":"m/a","Test":"TestSkip"}
{"Action":"output","Package":"m/a","Test":"TestSkip","Output":"=== RUN   TestSkip\n"}
{"Action":"output","Package":"m/a","Test":"TestSkip","Output":"    x_test.go:3: needs a GPU\n"}
{"Action":"skip","Package":"m/a","Test":"TestSkip"}
`

func TestProgress(t *testing.T) {
	var out strings.Builder
	start := time.Unix(1000, 0)
	p := newProgress(&out, "race", start)
	if err := p.read(strings.NewReader(stream)); err != nil {
		t.Fatal(err)
	}
	p.tick(start.Add(45 * time.Second))
	got := out.String()
	for _, want := range []string{
		"--- FAIL m/a TestBad (0.2s)\n    " + "    bad_test.go:9: got 2, want 3\n",
		"    m/a TestOK: 517 of 517 agree\n",
		"... race: 45s, 0 packages done, 1 tests passed; running m/a TestSlow (",
		": 25 cases done)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "TestSlow/sub") || strings.Contains(got, "=== RUN   TestOK") {
		t.Errorf("output has subtests or a passing test's output:\n%s", got)
	}

	out.Reset()
	p.read(strings.NewReader(`{"Action":"pass","Package":"m/a","Test":"TestSlow","Elapsed":50}
{"Action":"fail","Package":"m/a","Elapsed":51}
not json: a build error
`))
	if p.finish(start.Add(time.Minute)) {
		t.Error("finish reported success after a failure")
	}
	got = out.String()
	for _, want := range []string{
		"FAIL m/a (51.0s)\n",
		"not json: a build error\n",
		"race: 1 packages, 2 tests passed, 3 failed, 1 skipped in 1m0s\n",
		"--- UNFINISHED m/a TestSlow/sub\n",
		"  skipped: m/a TestSkip: x_test.go:3: needs a GPU\n",
		"  FAILED: m/a TestBad\n",
		"  FAILED: m/a\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	brief := strings.Join(p.brief, "")
	want := "--- FAIL m/a TestBad\n        bad_test.go:9: got 2, want 3\n" +
		"FAIL m/a\n" +
		"--- UNFINISHED m/a TestSlow/sub\n        x_test.go:7: progress: 25 cases done\n"
	if brief != want {
		t.Errorf("brief account of the failures:\n%s\nwant:\n%s", brief, want)
	}
}

func TestBriefKeepsTheLastLines(t *testing.T) {
	p := newProgress(io.Discard, "x", time.Now())
	var out []string
	for i := range 30 {
		out = append(out, fmt.Sprintf("    line %d\n", i))
	}
	p.addBrief("--- FAIL m TestLong", append([]string{"=== RUN   TestLong\n"}, out...))
	got := strings.Join(p.brief, "")
	if !strings.HasPrefix(got, "--- FAIL m TestLong\n    ... 18 lines before\n        line 18\n") ||
		!strings.HasSuffix(got, "        line 29\n") || strings.Contains(got, "=== RUN") {
		t.Errorf("brief:\n%s", got)
	}
}

func TestProgressEmptyStreamFails(t *testing.T) {
	var out strings.Builder
	p := newProgress(&out, "x", time.Now())
	if err := p.read(strings.NewReader("")); err != nil {
		t.Fatal(err)
	}
	if p.finish(time.Now()) {
		t.Error("an empty stream counted as a pass")
	}
}

// TestTimeoutDigest feeds the stream go test -json gives for a test that
// hung until -timeout: the panic and its dump are output of the innermost
// running test, which never ends.
func TestTimeoutDigest(t *testing.T) {
	lines := []string{
		"=== RUN   TestHang/sub\n",
		"    x_test.go:3: last words\n",
		"panic: test timed out after 1s\n",
		"\trunning tests:\n",
		"\t\tTestHang/sub (1s)\n",
		"\n",
		"goroutine 7 [sync.Mutex.Lock, 2 minutes]:\n",
		"internal/sync.runtime_SemacquireMutex(0x0?, 0x0?, 0x0?)\n",
		"\t/go/src/runtime/sema.go:95 +0x25\n",
		"sync.(*Mutex).Lock(...)\n",
		"\t/go/src/sync/mutex.go:46\n",
		"m/a.(*conn).Read(0xc000010000)\n",
		"\t/m/a/conn.go:75 +0x337\n",
		"created by m/a.TestHang.func1 in goroutine 6\n",
		"\t/m/a/x_test.go:3 +0x9f\n",
		"\n",
	}
	var stream strings.Builder
	stream.WriteString(`{"Action":"start","Package":"m/a"}` + "\n")
	stream.WriteString(`{"Action":"run","Package":"m/a","Test":"TestHang"}` + "\n")
	stream.WriteString(`{"Action":"run","Package":"m/a","Test":"TestHang/sub"}` + "\n")
	for range 2 { // two goroutines waiting in the same place
		for _, l := range lines[6:] {
			fmt.Fprintf(&stream, `{"Action":"output","Package":"m/a","Test":"TestHang/sub","Output":%q}`+"\n", l)
		}
	}
	var head strings.Builder
	for _, l := range lines[:6] {
		fmt.Fprintf(&head, `{"Action":"output","Package":"m/a","Test":"TestHang/sub","Output":%q}`+"\n", l)
	}
	all := strings.Replace(stream.String(), `{"Action":"output"`, head.String()+`{"Action":"output"`, 1)
	all += `{"Action":"fail","Package":"m/a","Elapsed":1}` + "\n"

	var out strings.Builder
	p := newProgress(&out, "race", time.Now())
	if err := p.read(strings.NewReader(all)); err != nil {
		t.Fatal(err)
	}
	if p.finish(time.Now()) {
		t.Error("finish reported success after a timeout")
	}
	got := out.String()
	for _, want := range []string{
		"--- UNFINISHED m/a TestHang/sub\n",
		"    x_test.go:3: last words\n",
		"panic: test timed out after 1s\n",
		"\t\tTestHang/sub (1s)\n",
		"   2 × [sync.Mutex.Lock] m/a.(*conn).Read\n",
		"  FAILED: m/a TestHang/sub (did not finish)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "sema.go") {
		t.Errorf("output has the dump's file lines:\n%s", got)
	}
}

// TestSigquitDigest: a dump from SIGQUIT (kill -QUIT of a hung test) names
// the signal and the goroutines, not the registers that follow the signal.
func TestSigquitDigest(t *testing.T) {
	out := []string{
		"    x_test.go:3: last words\n",
		"SIGQUIT: quit\n",
		"PC=0x4cf421 m=0 sigcode=0\n",
		"\n",
		"goroutine 7 [select, 19 minutes]:\n",
		"m/a.(*proc).line(0xc000010000)\n",
		"\t/m/a/x_test.go:75 +0x337\n",
		"\n",
		"rax    0xca\n",
		"rbx    0x0\n",
	}
	got := strings.Join(digest(out), "")
	want := "    x_test.go:3: last words\nSIGQUIT: quit\n   1 × [select] m/a.(*proc).line\n"
	if got != want {
		t.Errorf("digest:\n%s\nwant:\n%s", got, want)
	}
}
