package main

import (
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestHistogram checks the quantiles against exact ones: within the
// buckets' 1/64 width, never above the maximum.
func TestHistogram(t *testing.T) {
	var h histogram
	var vals []int64
	for i := int64(1); i <= 100000; i++ {
		v := i * i % 7919 * 1013 // spread from 0 to ~8 ms
		vals = append(vals, v)
		h.record(time.Duration(v))
	}
	sorted := append([]int64(nil), vals...)
	slices.Sort(sorted)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
		exact := sorted[int(math.Ceil(q*float64(len(sorted))))-1]
		got := int64(h.quantile(q))
		if got < exact || float64(got-exact) > float64(exact)/64+1 {
			t.Errorf("q %g: %d, exact %d", q, got, exact)
		}
	}
	if h.max != sorted[len(sorted)-1] || h.quantile(1) != time.Duration(h.max) {
		t.Errorf("max %d, want %d", h.max, sorted[len(sorted)-1])
	}
	for _, v := range []int64{0, 1, 63, 64, 127, 128, 1 << 20, 1<<40 - 1} {
		if b := histBucket(v); histValue(b) < v || b > 0 && histValue(b-1) >= v {
			t.Errorf("value %d in bucket %d with bounds (%d, %d]", v, b, histValue(b-1), histValue(b))
		}
	}
}

// benchJSON runs the ws binary's bench with --json and decodes its result.
func benchJSON(t *testing.T, args ...string) (benchResult, string, int) {
	t.Helper()
	out, errOut, code := runBin(t, "", append([]string{"bench", "--json"}, args...)...)
	var r benchResult
	if code != exitUsage {
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("ws bench --json: %v\n%s\n%s", err, out, errOut)
		}
	}
	return r, errOut, code
}

func checkLatency(t *testing.T, r benchResult) {
	t.Helper()
	l := r.Latency
	if !(0 < l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.P999 && l.P999 <= l.Max) {
		t.Errorf("percentiles out of order: %+v", l)
	}
}

// TestBinBench loads ws serve --echo: closed loop with pipelining and
// compression, then on a schedule for a duration.
func TestBinBench(t *testing.T) {
	url := startServe(t, `ws://\S+/`, "--echo")
	r, errOut, code := benchJSON(t, "--conns", "20", "--messages", "200", "--depth", "4", "--size", "300", "--compress", url)
	if code != 0 || r.Connected != 20 || r.Sent != 4000 || r.Received != 4000 || len(r.Errors) != 0 || !r.Compressed || r.MsgsPerSec <= 0 {
		t.Fatalf("closed loop: exit %d %+v; stderr %s", code, r, errOut)
	}
	if want := r.MsgsPerSec * 300 / 1e6; math.Abs(r.MBPerSec-want) > want/100 {
		t.Errorf("MB/s %g, want %g from msg/s", r.MBPerSec, want)
	}
	checkLatency(t, r)

	// 4 connections at 400 msg/s in all for 1 s: at most about 400 messages
	// (a closed loop would send thousands); fewer on a loaded machine.
	r, errOut, code = benchJSON(t, "--conns", "4", "--duration", "1s", "--rate", "400", "--depth", "16", "--binary", url)
	if code != 0 || r.Received != r.Sent || r.Sent < 40 || r.Sent > 410 || r.Type != "binary" || len(r.Errors) != 0 {
		t.Fatalf("rate: exit %d %+v; stderr %s", code, r, errOut)
	}
	checkLatency(t, r)

	// The text output and the progress line.
	out, errOut, code := runBin(t, "", "bench", "--conns", "2", "--duration", "1500ms", "--progress", url)
	for _, want := range []string{"connections  2 of 2", "throughput", "latency ms   p50 ", "p99.9 ", "errors       none"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("text output lacks %q (exit %d):\n%s", want, code, out)
		}
	}
	if !strings.Contains(errOut, "1.0s  ") || !strings.Contains(errOut, "msg/s now") {
		t.Errorf("no progress line on stderr: %q", errOut)
	}
}

// TestBinBenchErrors checks the errors by kind and the loopback guard.
func TestBinBenchErrors(t *testing.T) {
	refusing := httptest.NewServer(http.NotFoundHandler())
	defer refusing.Close()
	r, _, code := benchJSON(t, "--conns", "3", "--messages", "1", "ws"+strings.TrimPrefix(refusing.URL, "http"))
	if code != exitError || r.Errors["handshake refused: HTTP 404"] != 3 {
		t.Errorf("refused: exit %d, errors %v", code, r.Errors)
	}
	// The chat of ws serve does not echo a binary message: no reply comes.
	chat := startServe(t, `http://\S+/`)
	r, _, code = benchJSON(t, "--conns", "1", "--messages", "1", "--binary", "--timeout", "1s", "ws"+strings.TrimPrefix(chat, "http")+"ws")
	if code != exitError || r.Errors["timeout: no reply for 1s"] != 1 {
		t.Errorf("no echo: exit %d, errors %v", code, r.Errors)
	}
	if out, _, code := runBin(t, "", "help", "bench"); code != 0 || !strings.Contains(out, "--allow-remote") {
		t.Errorf("ws help bench: exit %d\n%s", code, out)
	}
	if _, errOut, code := runBin(t, "", "bench"); code != exitUsage || !strings.Contains(errOut, "need exactly one URL") {
		t.Errorf("ws bench without a URL: exit %d %q", code, errOut)
	}
	for _, u := range []string{"ws://10.1.2.3/", "ws://192.0.2.1:9/"} {
		_, errOut, code := runBin(t, "", "bench", u)
		if code != exitUsage || !strings.Contains(errOut, "not a loopback address") || !strings.Contains(errOut, "--allow-remote") {
			t.Errorf("%s: exit %d, stderr %q", u, code, errOut)
		}
	}
}
