package interop_test

import (
	"encoding/json"
	"os/exec"
	"testing"
)

// TestBenchNode runs ws bench against the Node ws library's echo server,
// with and without permessage-deflate.
func TestBenchNode(t *testing.T) {
	t.Parallel()
	need(t, "node")
	bin := buildWS(t)
	for _, compress := range []bool{false, true} {
		args := []string{"peers/node_peer.js", "server"}
		bargs := []string{"bench", "--json", "--conns", "20", "--messages", "200", "--depth", "2", "--size", "512"}
		if compress {
			args = append(args, "--compress")
			bargs = append(bargs, "--compress")
		}
		p := start(t, "node", args...)
		port := p.line(t, `^listening (\d+)$`)[1]
		out, err := exec.Command(bin, append(bargs, "ws://127.0.0.1:"+port+"/")...).Output()
		if err != nil {
			t.Fatalf("ws bench: %v\n%s", err, out)
		}
		var r struct {
			Connected  int            `json:"connected"`
			Received   int            `json:"messages_received"`
			Compressed bool           `json:"compressed"`
			Errors     map[string]int `json:"errors"`
			Latency    struct {
				P50, Max float64
			} `json:"latency_ms"`
			MsgsPerSec float64 `json:"msgs_per_s"`
		}
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if r.Connected != 20 || r.Received != 4000 || len(r.Errors) != 0 || r.Compressed != compress || r.Latency.P50 <= 0 || r.Latency.Max < r.Latency.P50 {
			t.Errorf("compress=%v: %s", compress, out)
		}
		t.Logf("Node ws, compress=%v: %.0f msg/s, p50 %.3f ms", compress, r.MsgsPerSec, r.Latency.P50)
	}
}
