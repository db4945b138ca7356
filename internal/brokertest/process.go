package brokertest

import (
	"bufio"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/wskit/websocket/internal/testutil"
)

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Process is a broker server run by a test.
type Process struct {
	t     testing.TB
	name  string
	args  []string
	ready string
	mu    sync.Mutex
	cmd   *exec.Cmd
	exit  chan struct{}
	log   testutil.Buffer
}

// StartProcess runs the program name with args and waits until a line of
// its output contains ready. The program must be installed: a missing one
// fails the test, with install, the package that provides it. The test's
// end stops it.
func StartProcess(t testing.TB, name, install, ready string, args ...string) *Process {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is not installed (apt-get install %s; bash scripts/test.sh installs it): %v", name, install, err)
	}
	p := &Process{t: t, name: name, args: args, ready: ready}
	p.Start()
	t.Cleanup(p.Stop)
	return p
}

// Start starts the program again after Stop.
func (p *Process) Start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	cmd := exec.Command(p.name, p.args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		p.t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	p.cmd, p.exit = cmd, make(chan struct{})
	readyc := make(chan struct{})
	go func(exit chan struct{}) {
		sc := bufio.NewScanner(out)
		seen := false
		for sc.Scan() {
			p.log.Write([]byte(sc.Text() + "\n"))
			if !seen && strings.Contains(sc.Text(), p.ready) {
				seen = true
				close(readyc)
			}
		}
		io.Copy(io.Discard, out)
		cmd.Wait()
		if !seen {
			close(readyc)
		}
		close(exit)
	}(p.exit)
	<-readyc
	select {
	case <-p.exit:
		p.t.Fatalf("%s %s exited before it was ready:\n%s", p.name, strings.Join(p.args, " "), p.log.String())
	default:
	}
}

// Stop ends the program by its PID (SIGTERM) and waits until it has
// exited.
func (p *Process) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.exit
	p.cmd = nil
}

// Addr returns 127.0.0.1:port.
func Addr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }
