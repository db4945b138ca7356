package servers_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/wskit/websocket/bench/load"
	"github.com/wskit/websocket/bench/servers"
)

func start(t *testing.T, lib string, o servers.Options) (string, bool) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s, err := servers.Start(lib, ln, o)
	if errors.Is(err, servers.ErrUnsupported) {
		ln.Close()
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return ln.Addr().String(), true
}

// Every server echoes every size, strictly and pipelined, compresses when
// asked, broadcasts and holds idle connections, checked by the load
// client itself (each connection compares one echo byte for byte).
func TestServers(t *testing.T) {
	ctx := context.Background()
	for _, lib := range servers.Libs {
		t.Run(lib, func(t *testing.T) {
			proto := "ws"
			if lib == "tcp" {
				proto = "tcp"
			}
			addr, _ := start(t, lib, servers.Options{})
			for _, size := range []int{16, 1024, 64 << 10} {
				for _, depth := range []int{1, 8} {
					cfg := load.Config{Addr: addr, Proto: proto, Conns: 3, Size: size, Pipeline: depth,
						Warmup: 10 * time.Millisecond, Duration: 50 * time.Millisecond}
					res, err := load.Echo(ctx, cfg)
					if err != nil {
						t.Fatalf("size %d, pipeline %d: %v", size, depth, err)
					}
					if res.Messages == 0 {
						t.Fatalf("size %d, pipeline %d: no message echoed", size, depth)
					}
				}
			}
			if _, err := load.Idle(ctx, load.Config{Addr: addr, Proto: proto, Conns: 20}); err != nil {
				t.Fatalf("idle: %v", err)
			}

			if addr, ok := start(t, lib, servers.Options{Compress: true}); ok {
				cfg := load.Config{Addr: addr, Conns: 2, Size: 1024, Compress: true,
					Warmup: 10 * time.Millisecond, Duration: 50 * time.Millisecond}
				if _, err := load.Echo(ctx, cfg); err != nil {
					t.Fatalf("compressed: %v", err)
				}
			}
			if addr, ok := start(t, lib, servers.Options{Broadcast: true}); ok {
				cfg := load.Config{Addr: addr, Conns: 20, Size: 100,
					Warmup: 10 * time.Millisecond, Duration: 50 * time.Millisecond}
				res, err := load.Broadcast(ctx, cfg)
				if err != nil {
					t.Fatalf("broadcast: %v", err)
				}
				if res.Messages == 0 || res.Messages%20 != 0 {
					t.Fatalf("broadcast: %d deliveries, want a non-zero multiple of 20", res.Messages)
				}
			}
		})
	}
}

func TestUnknownLibrary(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if _, err := servers.Start("nope", ln, servers.Options{}); err == nil {
		t.Fatal(fmt.Sprint("unknown library accepted"))
	}
}
