package load

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is the unit of utime and stime in /proc/PID/stat, USER_HZ,
// which is 100 on every Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

// ProcStat is what the kernel says about a server process.
type ProcStat struct {
	CPU time.Duration // user + system time so far
	RSS int64         // resident set size, bytes
}

// ReadProc reads /proc/PID/stat and /proc/PID/status.
func ReadProc(pid int) (ProcStat, error) {
	var s ProcStat
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// The command name, in parentheses, may hold spaces; fields are
	// counted after its closing one. utime and stime are fields 14 and 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return s, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return s, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	s.CPU = time.Duration(ut+st) * clockTick
	b, err = os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			s.RSS = kb << 10
		}
	}
	return s, nil
}

// ForceGC asks the server to collect garbage and return free memory to
// the system (the echo command does so on SIGUSR1), and gives it time.
func ForceGC(pid int) error {
	if err := syscall.Kill(pid, syscall.SIGUSR1); err != nil {
		return err
	}
	time.Sleep(time.Second)
	return nil
}

// RaiseFileLimit lifts the open-file limit as far as the process may, for
// runs with thousands of connections.
func RaiseFileLimit(want uint64) {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) != nil {
		return
	}
	if l.Max < want {
		n := l
		n.Max, n.Cur = want, want
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &n) == nil {
			return
		}
	}
	l.Cur = min(max(l.Cur, want), l.Max)
	syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
}
