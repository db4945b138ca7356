package load

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ChurnResult is what a run of connection churn measured.
type ChurnResult struct {
	Cycles         int64   `json:"cycles"`           // upgrade/echo/close cycles completed
	Seconds        float64 `json:"seconds"`          // wall time of the run
	CyclesPerSec   float64 `json:"cycles_per_sec"`   // cycles per second
	ServerCPUPerUs float64 `json:"server_cpu_us"`    // server CPU time per cycle, µs
	ServerRSS      int64   `json:"server_rss_bytes"` // server RSS at the end
}

// Churn runs cfg.MaxMessages cycles (20,000 when 0) over cfg.Conns
// workers: each cycle opens a connection and does its opening handshake,
// echoes one cfg.Size-byte message, sends a close frame, waits for the
// server's, and closes TCP. The server's CPU time over the run, divided
// by the cycles, is the cost of a connection's life.
func Churn(ctx context.Context, cfg Config) (ChurnResult, error) {
	cfg.defaults()
	total := cfg.MaxMessages
	if total == 0 || total == 1e8 {
		total = 20000
	}
	var res ChurnResult
	frame := ClientFrame(opBinary, false, Payload(cfg.Size, false))
	closeFrame := ClientFrame(opClose, false, []byte{0x03, 0xe8})
	var before ProcStat
	if cfg.ServerPID != 0 {
		before, _ = ReadProc(cfg.ServerPID)
	}
	var next, done atomic.Int64
	// The first error of any type: an atomic.Value would panic when a
	// second error of another concrete type is offered to CompareAndSwap.
	var firstErr atomic.Pointer[error]
	var wg sync.WaitGroup
	start := time.Now()
	for range max(cfg.Conns, 1) {
		wg.Go(func() {
			for next.Add(1) <= total {
				if err := churnOnce(ctx, cfg.Addr, frame, closeFrame); err != nil {
					firstErr.CompareAndSwap(nil, &err)
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	res.Seconds = time.Since(start).Seconds()
	res.Cycles = done.Load()
	if p := firstErr.Load(); p != nil {
		return res, *p
	}
	res.CyclesPerSec = float64(res.Cycles) / res.Seconds
	if cfg.ServerPID != 0 {
		after, _ := ReadProc(cfg.ServerPID)
		res.ServerCPUPerUs = float64((after.CPU - before.CPU).Microseconds()) / float64(res.Cycles)
		res.ServerRSS = after.RSS
	}
	return res, nil
}

// churnOnce is one cycle of Churn.
func churnOnce(ctx context.Context, addr string, frame, closeFrame []byte) error {
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, err := Dial(dctx, addr, "ws", false)
	if err != nil {
		return err
	}
	defer c.nc.Close()
	c.nc.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.nc.Write(frame); err != nil {
		return err
	}
	if _, _, _, err := c.ReadMessage(nil); err != nil {
		return err
	}
	if _, err := c.nc.Write(closeFrame); err != nil {
		return err
	}
	_, _, _, err = c.ReadMessage(nil)
	if err == nil {
		return errors.New("churn: a data message instead of the close frame")
	}
	if !strings.Contains(err.Error(), "server closed") {
		return err
	}
	return nil
}
