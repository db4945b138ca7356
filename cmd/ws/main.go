// Command ws is a WebSocket client and server on the wskit public API.
//
//	ws dial URL           interactive client: stdin lines out, messages in
//	ws dial --echo URL    echo every message back until the peer closes
//	ws serve              broadcast chat with a browser page at /
//	ws serve --echo       echo server on every path
//	ws check server URL   the conformance suite against an echo server
//	ws check client       the conformance suite served to a client
//	ws bench URL          load generator against an echo server
//
// Exit codes: 0 ok, 1 runtime or connection error, 2 usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
)

const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

const usageText = `ws is a WebSocket client and server (wskit).

Usage:
  ws dial [flags] URL   connect to a ws:// or wss:// URL; each stdin line is
                        sent as a text message and every message received is
                        printed (see ws dial -h)
  ws serve [flags]      serve a broadcast chat with a browser page, or an echo
                        server with --echo (see ws serve -h)
  ws check server URL   run the 517 conformance cases against an echo server
  ws check client       serve them to a client under test (see ws check -h)
  ws inspect FILE       decode the WebSocket traffic in a pcap or pcapng
                        capture (see ws inspect -h)
  ws proxy --listen ADDR --upstream URL
                        relay WebSocket connections unchanged and log every
                        frame (see ws proxy -h)
  ws bench [flags] URL  load an echo server and report messages per second
                        and latency percentiles (see ws bench -h)
  ws help [command]     show this help, or a command's
  ws --version          the version of ws and of Go it was built with

Exit codes: 0 ok, 1 runtime or connection error, 2 usage error.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program, with its inputs and outputs passed in; ctx ends
// a running command (an interrupt, or a test that is done).
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitUsage
	}
	switch args[0] {
	case "dial":
		return runDial(ctx, args[1:], stdin, stdout, stderr)
	case "serve":
		return runServe(ctx, args[1:], stdout, stderr)
	case "check":
		return runCheck(ctx, args[1:], stdout, stderr)
	case "inspect":
		return runInspect(ctx, args[1:], stdout, stderr)
	case "proxy":
		return runProxy(ctx, args[1:], stdout, stderr)
	case "bench":
		return runBench(ctx, args[1:], stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, versionLine())
		return exitOK
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			switch args[1] {
			case "dial":
				return runDial(ctx, []string{"-h"}, stdin, stdout, stderr)
			case "serve":
				return runServe(ctx, []string{"-h"}, stdout, stderr)
			case "check":
				return runCheck(ctx, []string{"-h"}, stdout, stderr)
			case "inspect":
				return runInspect(ctx, []string{"-h"}, stdout, stderr)
			case "proxy":
				return runProxy(ctx, []string{"-h"}, stdout, stderr)
			case "bench":
				return runBench(ctx, []string{"-h"}, stdout, stderr)
			}
		}
		fmt.Fprint(stdout, usageText)
		return exitOK
	}
	fmt.Fprintf(stderr, "ws: unknown command %q (try: ws help)\n", args[0])
	return exitUsage
}

// parseArgs parses flags that may come before or after the positional
// arguments. It returns the positional arguments, or the exit code to use
// when parsing ends the command (-h, or a usage error).
func parseArgs(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (pos []string, code int, done bool) {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "--h" || a == "-help" || a == "--help" {
			fs.SetOutput(stdout)
			fs.Usage()
			return nil, exitOK, true
		}
	}
	fs.SetOutput(io.Discard) // errors are reported in one line below
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			return nil, exitOK, true
		}
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v (try: %s -h)\n", fs.Name(), err, fs.Name())
			return nil, exitUsage, true
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, 0, false
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ", ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// newFlagSet returns a flag set whose usage is the header, then the flags.
func newFlagSet(name, header string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), header)
		fmt.Fprintln(fs.Output(), "\nFlags (one or two dashes):")
		fs.PrintDefaults()
	}
	return fs
}

// versionLine is what ws --version prints: the module version (or the
// commit when built from a checkout) and the Go release.
func versionLine() string {
	v := "(unknown)"
	if bi, ok := debug.ReadBuildInfo(); ok {
		v = bi.Main.Version
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = "+dirty"
				}
			}
		}
		if (v == "" || v == "(devel)") && rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			v = "devel " + rev + modified
		}
	}
	return fmt.Sprintf("ws (wskit) %s %s %s/%s", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// errText is err's message without the package prefix that the command's
// own prefix ("ws inspect: ") makes redundant.
func errText(err error) string {
	msg := err.Error()
	for _, p := range []string{"websocket inspect: ", "websocket pcap: ", "websocket: "} {
		if strings.HasPrefix(msg, p) {
			return msg[len(p):]
		}
	}
	return msg
}

// widthFlag is --width: a byte count, or unset (the format's default).
// Its String is "" when unset, so that the help shows no "(default -1)".
type widthFlag struct {
	n   int
	set bool
}

func (w *widthFlag) String() string {
	if w == nil || !w.set {
		return ""
	}
	return strconv.Itoa(w.n)
}

func (w *widthFlag) Set(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return errors.New("want a byte count, 0 for all")
	}
	w.n, w.set = n, true
	return nil
}

// value is the width for newFrameLog: -1 when unset.
func (w *widthFlag) value() int {
	if !w.set {
		return -1
	}
	return w.n
}
