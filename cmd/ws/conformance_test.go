package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wskit/websocket/conformance"
	"github.com/wskit/websocket/internal/testutil"
)

// payloadDir unpacks the built-in payload files for the test.
func payloadDir(t *testing.T) string {
	t.Helper()
	dir, remove, err := unpackPayloads()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(remove)
	return dir
}

// checkReport fails the test for every case that FAILED or is
// UNIMPLEMENTED, and logs the summary.
func checkReport(t *testing.T, rep *conformance.Report, want int) {
	t.Helper()
	s := rep.Summary()
	t.Logf("summary: %s", s)
	if len(rep.Results) != want {
		t.Errorf("%d results, want %d", len(rep.Results), want)
	}
	for _, res := range rep.Results {
		if res.Verdict == conformance.Failed || res.Verdict == conformance.Unimplemented {
			t.Errorf("%s %s (behavior %s, close %s, code %d): %s\n%s", res.ID, res.Verdict, res.Behavior, res.CloseBehavior, res.CloseCode, res.Description, res.Log)
		}
	}
	if dir := os.Getenv("CONFORMANCE_REPORTS"); dir != "" {
		f, err := os.Create(fmt.Sprintf("%s/%s.html", dir, t.Name()[len("TestWskit"):]))
		if err == nil {
			rep.WriteHTML(f)
			f.Close()
		}
	}
}

// skipUnderRace skips the full wskit runs under the race detector: they
// take minutes there. scripts/test.sh runs them without it, in the step
// "conformance: wskit server and client", so they gate CI all the same.
func skipUnderRace(t *testing.T) {
	if raceEnabled {
		t.Skip("runs without -race in scripts/test.sh's conformance step")
	}
}

// progressOptions gives every case the time left to the test's deadline
// instead of a fixed limit (a loaded machine under -race makes the large
// cases of groups 9 and 12 slow, not wrong), and logs a progress line every
// 25 cases and at least every 30 s.
func progressOptions(t *testing.T, ctx context.Context, o *conformance.Options) *conformance.Options {
	dl, _ := ctx.Deadline()
	o.Timeout = time.Until(dl)
	start, last := time.Now(), time.Now()
	n := 0
	o.Progress = func(r conformance.Result) {
		n++
		if n%25 == 0 || time.Since(last) >= 30*time.Second {
			last = time.Now()
			t.Logf("progress: %d cases done in %v, last %s %s", n, time.Since(start).Round(time.Second), r.ID, r.Verdict)
		}
	}
	return o
}

// pick selects the cases of a run; CONFORMANCE_CASES (the syntax of
// conformance.Select) narrows the selection, to look into a few cases.
func pick(t *testing.T, include, exclude string) []conformance.Case {
	cases, err := conformance.Select(conformance.Cases(), include, exclude)
	if only := os.Getenv("CONFORMANCE_CASES"); only != "" && err == nil {
		cases, err = conformance.Select(cases, only, "")
	}
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

// TestWskitServer runs every case against `ws serve --echo`, which accepts
// compression (all 517 cases), and against `ws serve --echo --no-compress`
// (all but groups 12 and 13, which need compression), and fails on any
// FAILED or UNIMPLEMENTED case.
func TestWskitServer(t *testing.T) {
	skipUnderRace(t)
	for _, compress := range []bool{true, false} {
		t.Run(fmt.Sprintf("compress=%v", compress), func(t *testing.T) {
			args := []string{"--echo"}
			cases := pick(t, "*", "")
			if !compress {
				args = append(args, "--no-compress")
				cases = pick(t, "*", "12.*,13.*")
			}
			url := startServe(t, `ws://\S+/`, args...)
			ctx := testutil.Ctx(t)
			rep, err := conformance.RunServer(ctx, url, cases, progressOptions(t, ctx,
				&conformance.Options{Agent: "ws serve --echo", Payloads: payloadDir(t), Parallel: 2}))
			if err != nil {
				t.Fatal(err)
			}
			checkReport(t, rep, len(cases))
		})
	}
}

// TestWskitClient serves every case to `ws dial --echo`, run once per case
// as a conformance client is, with and without --compress. Two cases run
// at a time, as the server runs do (each has a connection of its own; the
// tester judges them apart).
func TestWskitClient(t *testing.T) {
	skipUnderRace(t)
	for _, compress := range []bool{true, false} {
		t.Run(fmt.Sprintf("compress=%v", compress), func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			cases := pick(t, "*", "")
			flags := []string{"dial", "--echo", "--compress"}
			if !compress {
				cases = pick(t, "*", "12.*,13.*")
				flags = []string{"dial", "--echo"}
			}
			ctx := testutil.Ctx(t)
			base := "ws://" + ln.Addr().String()
			done := make(chan struct{})
			go func() {
				defer close(done)
				var next atomic.Int32
				var wg sync.WaitGroup
				for range 2 {
					wg.Go(func() {
						for i := int(next.Add(1)); i <= len(cases); i = int(next.Add(1)) {
							u := fmt.Sprintf("%s/runCase?case=%d&agent=ws", base, i)
							run(ctx, append(flags, u), nil, io.Discard, io.Discard)
						}
					})
				}
				wg.Wait()
				run(ctx, []string{"dial", base + "/updateReports?agent=ws"}, strings.NewReader(""), io.Discard, io.Discard)
			}()
			rep, err := conformance.RunClient(ctx, ln, cases, progressOptions(t, ctx, &conformance.Options{Agent: "ws", Payloads: payloadDir(t)}))
			<-done
			if err != nil {
				t.Fatal(err)
			}
			checkReport(t, rep, len(cases))
		})
	}
}
