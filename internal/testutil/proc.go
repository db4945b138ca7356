package testutil

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Process is a program a test built and started, to measure its memory
// from outside: the race detector and the test's own heap stay out of the
// figures.
type Process struct {
	Cmd   *exec.Cmd
	Match string // what the program printed that matched the pattern
	stdin io.WriteCloser
}

// StartProgram builds pkg (an import path of this module) without the
// race detector, runs it with args, and waits for a line of its standard
// output matching pattern. The program gets its standard input from a
// pipe the test closes when it ends, and is expected to exit then.
func StartProgram(t testing.TB, pkg, pattern string, args ...string) *Process {
	t.Helper()
	bin := filepath.Join(t.TempDir(), filepath.Base(pkg))
	build := exec.Command("go", "build", "-o", bin, pkg)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Process{Cmd: cmd, stdin: stdin}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	re := regexp.MustCompile(pattern)
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := re.FindString(sc.Text()); m != "" {
			p.Match = m
			go io.Copy(io.Discard, stdout)
			return p
		}
	}
	t.Fatalf("%s printed nothing matching %s", pkg, pattern)
	return nil
}

// ResetPeak resets the process's peak resident size (VmHWM) to its
// current one and returns that.
func (p *Process) ResetPeak(t testing.TB) int64 {
	t.Helper()
	path := fmt.Sprintf("/proc/%d/clear_refs", p.Cmd.Process.Pid)
	if err := os.WriteFile(path, []byte("5"), 0); err != nil {
		t.Fatalf("resetting the peak RSS: %v", err)
	}
	rss, _ := p.Memory(t)
	return rss
}

// Memory returns the process's resident size and its peak (VmRSS and
// VmHWM), in bytes.
func (p *Process) Memory(t testing.TB) (rss, peak int64) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			peak = kb << 10
		}
	}
	return rss, peak
}

// CheckBombs sends bomb to the echo server p, one at a time and then 8 at
// once, and fails the test unless each is answered with 1009 and the
// server's peak RSS grows by at most limit bytes.
func CheckBombs(t *testing.T, p *Process, bomb []byte, limit int64) {
	for _, n := range []int{1, 8} {
		base := p.ResetPeak(t)
		for i, code := range Bombs(t, p.Match, n, bomb) {
			if code != 1009 {
				t.Errorf("%d bombs at once: connection %d closed with %d, want 1009", n, i, code)
			}
		}
		_, peak := p.Memory(t)
		grown := peak - base
		t.Logf("%d bombs at once (%d bytes each on the wire): peak RSS grew %.1f MiB", n, len(bomb), float64(grown)/(1<<20))
		if grown > limit {
			t.Errorf("%d bombs at once: peak RSS grew %.1f MiB, want at most %d MiB", n, float64(grown)/(1<<20), limit>>20)
		}
	}
}
