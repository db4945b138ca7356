// Command load drives any echo server of the benchmark (or any WebSocket
// echo server on this machine) and prints what it measured as JSON.
//
//	load -addr 127.0.0.1:PORT [-c 100] [-size 1024] [-pipeline 0] [-compress]
//	     [-broadcast] [-idle] [-churn] [-proto ws|tcp] [-warmup 500ms] [-d 2s] [-pid PID]
//
// With -pid, the server's CPU time per message and memory are read from
// /proc; -idle needs it (the server must collect garbage on SIGUSR1, as
// the echo command does).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"log"
	"os"
	"os/signal"
	"time"

	"github.com/wskit/websocket/bench/load"
)

func main() {
	var cfg load.Config
	flag.StringVar(&cfg.Addr, "addr", "", "server address, host:port (required)")
	flag.StringVar(&cfg.Proto, "proto", "ws", "ws, or tcp for a plain TCP echo")
	flag.IntVar(&cfg.Conns, "c", 1, "connections")
	flag.IntVar(&cfg.Size, "size", 16, "message payload bytes")
	flag.IntVar(&cfg.Pipeline, "pipeline", 0, "messages in flight per connection (0: request/response)")
	flag.BoolVar(&cfg.Compress, "compress", false, "send permessage-deflate compressed JSON-like messages")
	flag.DurationVar(&cfg.Warmup, "warmup", 500*time.Millisecond, "load before measuring")
	flag.DurationVar(&cfg.Duration, "d", 2*time.Second, "measured time")
	flag.Int64Var(&cfg.MaxMessages, "max", 0, "most messages per connection (0: 10^8)")
	flag.IntVar(&cfg.ServerPID, "pid", 0, "server process, for CPU time and memory")
	broadcast := flag.Bool("broadcast", false, "broadcast load instead of echo")
	idle := flag.Bool("idle", false, "measure the server's memory per idle connection")
	churn := flag.Bool("churn", false, "connection churn: -max cycles (20,000 by default) of upgrade, one echo and close, over -c workers")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("load: ")
	if cfg.Addr == "" {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	var res any
	var err error
	switch {
	case *idle:
		if cfg.ServerPID == 0 {
			log.Fatal("-idle needs -pid")
		}
		res, err = load.Idle(ctx, cfg)
	case *churn:
		res, err = load.Churn(ctx, cfg)
	case *broadcast:
		res, err = load.Broadcast(ctx, cfg)
	default:
		res, err = load.Echo(ctx, cfg)
	}
	if err != nil {
		log.Fatal(err)
	}
	e := json.NewEncoder(os.Stdout)
	e.SetIndent("", "  ")
	e.Encode(res)
}
