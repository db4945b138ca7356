package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/wskit/websocket/conformance"
)

const checkUsage = `Usage:
  ws check server [flags] URL
      run the conformance cases against a server that echoes every
      message at URL (ws:// or wss://)
  ws check client [flags] --listen ADDR
      serve the cases to a client under test, which connects to
      /getCaseCount, /runCase?case=N&agent=NAME (echoing every message) and
      /updateReports?agent=NAME, as with the original suite

The 517 cases of the standard conformance suite are run, or those chosen
with --cases and --exclude (patterns such as 6.*,7.1.1). The data files of
groups 12 and 13 (compression) are built into ws; --payloads DIR uses
another copy. On a terminal a line shows the progress (N/517 and the time
so far); --quiet leaves out the line per case, never the summary.

Exit codes: 0 when no case FAILED, 1 when one did or the run broke,
2 usage error.
`

// runCheck is ws check: the conformance suite in either mode.
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("ws check", checkUsage)
	include := fs.String("cases", "*", "case ids to run, comma-separated patterns (`6.*,7.1.1`)")
	exclude := fs.String("exclude", "", "case ids to leave out, comma-separated patterns")
	parallel := fs.Int("parallel", 1, "cases run at once, each on its own connection (server mode)")
	timeout := fs.Duration("timeout", 0, "time limit per case (0: the suite's default)")
	settle := fs.Duration("settle", 0, "how long to wait for a peer to act where a case waits (0: 1s)")
	payloads := fs.String("payloads", "", "folder of the compression groups' data files (default: the copy built into ws)")
	listen := fs.String("listen", "127.0.0.1:9001", "address to serve the cases on (client mode)")
	agent := fs.String("agent", "", "agent name in the report (server mode)")
	jsonOut := fs.String("json", "", "write the report as JSON to this file")
	htmlOut := fs.String("html", "", "write the report as a self-contained HTML page to this file")
	quiet := fs.Bool("quiet", false, "print only the summary line, not every case")
	progress := fs.Bool("progress", false, "show N/total and the elapsed time as cases end (default: when stderr is a terminal)")
	pos, code, done := parseArgs(fs, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) == 0 || (pos[0] == "server" && len(pos) != 2) || (pos[0] == "client" && len(pos) != 1) || (pos[0] != "server" && pos[0] != "client") {
		fmt.Fprintln(stderr, "ws check: want `server URL` or `client --listen ADDR` (try: ws check -h)")
		return exitUsage
	}
	cases, err := conformance.Select(conformance.Cases(), *include, *exclude)
	if err != nil {
		fmt.Fprintf(stderr, "ws check: %s\n", errText(err))
		return exitUsage
	}
	opts := &conformance.Options{Agent: *agent, Parallel: *parallel, Timeout: *timeout, Settle: *settle}
	if *payloads != "" {
		if err := checkPayloadDir(*payloads); err != nil {
			fmt.Fprintf(stderr, "ws check: %s\n", errText(err))
			return exitUsage
		}
		opts.Payloads = *payloads
	} else {
		dir, remove, err := unpackPayloads()
		if err != nil {
			fmt.Fprintf(stderr, "ws check: %s\n", errText(err))
			return exitError
		}
		defer remove()
		opts.Payloads = dir
	}
	if f, ok := stderr.(*os.File); ok && isTerminal(f) {
		*progress = true
	}
	start, ran, failed := time.Now(), 0, 0
	opts.Progress = func(r conformance.Result) {
		ran++
		if r.Verdict == conformance.Failed {
			failed++
		}
		if *progress {
			fmt.Fprint(stderr, "\r\x1b[K")
		}
		if !*quiet {
			fmt.Fprintf(stdout, "%-9s %-13s %s\n", r.ID, r.Verdict, r.Duration.Round(time.Millisecond))
		}
		if *progress {
			fmt.Fprintf(stderr, "%d/%d  %s  %d failed", ran, len(cases), time.Since(start).Round(100*time.Millisecond), failed)
		}
	}

	var rep *conformance.Report
	if pos[0] == "server" {
		rep, err = conformance.RunServer(ctx, pos[1], cases, opts)
	} else {
		ln, lerr := net.Listen("tcp", *listen)
		if lerr != nil {
			fmt.Fprintf(stderr, "ws check: %v\n", lerr)
			return exitError
		}
		fmt.Fprintf(stdout, "ws check: serving %d cases on ws://%s (connect a client to /getCaseCount)\n", len(cases), ln.Addr())
		rep, err = conformance.RunClient(ctx, ln, cases, opts)
	}
	if *progress && ran > 0 {
		fmt.Fprintln(stderr)
	}
	if rep == nil {
		fmt.Fprintf(stderr, "ws check: %s\n", errText(err))
		return exitError
	}
	for _, out := range []struct {
		path  string
		write func(io.Writer) error
	}{{*jsonOut, rep.WriteJSON}, {*htmlOut, rep.WriteHTML}} {
		if out.path == "" {
			continue
		}
		f, ferr := os.Create(out.path)
		if ferr == nil {
			ferr = out.write(f)
			if cerr := f.Close(); ferr == nil {
				ferr = cerr
			}
		}
		if ferr != nil {
			fmt.Fprintf(stderr, "ws check: writing %s: %v\n", out.path, ferr)
			return exitError
		}
	}
	fmt.Fprintln(stdout, rep.Summary())
	if err != nil {
		fmt.Fprintf(stderr, "ws check: %s\n", errText(err))
		return exitError
	}
	if rep.Summary().Failed > 0 {
		return exitError
	}
	return exitOK
}
