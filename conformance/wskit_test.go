package conformance_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/conformance"
)

// payloads is where the compression groups' data files are: the shared
// folder beside the checkout.
const payloads = "../../shared/conformance/payloads"

// wskitEcho is wskit's echo handler as `ws serve --echo` runs it: every
// message streamed back with its type, compression accepted when offered.
func wskitEcho(compress bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		opts := &websocket.AcceptOptions{ConnOptions: websocket.ConnOptions{MaxMessageSize: 64 << 20}}
		if compress {
			opts.Compression = &websocket.CompressionOptions{}
		}
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			return
		}
		defer c.CloseNow()
		echoConn(context.Background(), c)
	})
}

func echoConn(ctx context.Context, c *websocket.Conn) error {
	for {
		typ, r, err := c.Reader(ctx)
		if err != nil {
			return err
		}
		w, err := c.Writer(ctx, typ)
		if err != nil {
			return err
		}
		if _, err := io.Copy(w, r); err != nil {
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
	}
}

// checkReport fails the test for every case that FAILED or is
// UNIMPLEMENTED, and logs the summary.
func checkReport(t *testing.T, rep *conformance.Report, want int) {
	t.Helper()
	s := rep.Summary()
	t.Logf("%s", s)
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

func pick(t *testing.T, include, exclude string) []conformance.Case {
	cases, err := conformance.Select(conformance.Cases(), include, exclude)
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

// TestWskitServer runs every case against wskit's echo server, with
// compression (all 517) and without (all but groups 12 and 13, which need
// it), and fails on any FAILED or UNIMPLEMENTED case.
func TestWskitServer(t *testing.T) {
	skipUnderRace(t)
	for _, compress := range []bool{true, false} {
		t.Run(fmt.Sprintf("compress=%v", compress), func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv := &http.Server{Handler: wskitEcho(compress)}
			go srv.Serve(ln)
			defer srv.Close()
			cases := pick(t, "*", "")
			if !compress {
				cases = pick(t, "*", "12.*,13.*")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			rep, err := conformance.RunServer(ctx, "ws://"+ln.Addr().String()+"/", cases,
				&conformance.Options{Agent: "wskit", Payloads: payloads, Parallel: 2})
			if err != nil {
				t.Fatal(err)
			}
			checkReport(t, rep, len(cases))
		})
	}
}

// TestWskitClient runs every case against wskit's client in echo mode, as
// `ws dial --echo` drives it, with and without compression.
func TestWskitClient(t *testing.T) {
	skipUnderRace(t)
	for _, compress := range []bool{true, false} {
		t.Run(fmt.Sprintf("compress=%v", compress), func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			cases := pick(t, "*", "")
			if !compress {
				cases = pick(t, "*", "12.*,13.*")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- runWskitEchoClient(ctx, "ws://"+ln.Addr().String(), "wskit", compress) }()
			rep, err := conformance.RunClient(ctx, ln, cases, &conformance.Options{Agent: "wskit", Payloads: payloads})
			if err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatalf("client: %v", err)
			}
			checkReport(t, rep, len(cases))
		})
	}
}

// runWskitEchoClient is the test client of the original suite's protocol: ask
// for the case count, run each case by echoing until the tester closes,
// then ask for the report to be written.
func runWskitEchoClient(ctx context.Context, base, agent string, compress bool) error {
	opts := &websocket.DialOptions{ConnOptions: websocket.ConnOptions{MaxMessageSize: 64 << 20}}
	if compress {
		opts.Compression = &websocket.CompressionOptions{}
	}
	c, _, err := websocket.Dial(ctx, base+"/getCaseCount", opts)
	if err != nil {
		return err
	}
	_, msg, err := c.Read(ctx)
	if err != nil {
		return err
	}
	c.CloseNow()
	n, err := strconv.Atoi(string(msg))
	if err != nil {
		return fmt.Errorf("case count %q: %v", msg, err)
	}
	for i := 1; i <= n; i++ {
		u := fmt.Sprintf("%s/runCase?case=%d&agent=%s", base, i, url.QueryEscape(agent))
		c, _, err := websocket.Dial(ctx, u, opts)
		if err != nil {
			continue // the tester may refuse, as some cases require
		}
		echoConn(ctx, c)
		c.CloseNow()
	}
	c, _, err = websocket.Dial(ctx, base+"/updateReports?agent="+url.QueryEscape(agent), opts)
	if err != nil {
		return err
	}
	c.Close(websocket.StatusNormalClosure, "")
	return nil
}
