// Command cluster measures channel fan-out across server nodes: N nodes
// (server.Server on loopback, in this process) with C WebSocket clients
// each, all subscribed to one channel, and messages published from random
// nodes through a broker: the in-process one (on one node, the baseline),
// NATS JetStream or Redis, each started by this program on a free port.
//
// It reports deliveries per second (and those that crossed nodes) and the
// p50 and p99 latency from Publish to the client's read. The publisher
// keeps at most -window messages undelivered, so latency includes a
// bounded queue and throughput is what the cluster sustains.
//
//	go run . -brokers mem,nats,redis -nodes 3 -clients 1000 -messages 1000
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wskit/websocket"
	natsbroker "github.com/wskit/websocket/broker/nats"
	redisbroker "github.com/wskit/websocket/broker/redis"
	"github.com/wskit/websocket/server"
)

func main() {
	brokers := flag.String("brokers", "broadcast,mem,nats,redis", "comma-separated brokers to measure: broadcast (Server.Broadcast on one node, no channel: the floor), mem (the in-process broker, on one node), nats, redis")
	nodes := flag.Int("nodes", 3, "server nodes for nats and redis")
	clients := flag.Int("clients", 1000, "WebSocket clients per node")
	messages := flag.Int("messages", 1000, "messages published per broker")
	window := flag.Int("window", 8, "messages published but not yet delivered to every client, at most")
	size := flag.Int("size", 64, "message payload bytes (at least 16)")
	flag.Parse()
	fmt.Printf("| broker | nodes × clients | messages | deliveries/s | cross-node deliveries/s | p50 | p99 |\n|---|---|---|---|---|---|---|\n")
	for _, name := range strings.Split(*brokers, ",") {
		n := *nodes
		if name == "mem" || name == "broadcast" {
			n = 1
		}
		r, err := run(name, n, *clients, *messages, *window, max(*size, 16))
		if err != nil {
			fmt.Fprintf(os.Stderr, "cluster: %s: %v\n", name, err)
			os.Exit(1)
		}
		cross := "—"
		if n > 1 {
			cross = fmt.Sprintf("%.0f", r.crossPerSec)
		}
		fmt.Printf("| %s | %d × %d | %d | %.0f | %s | %s | %s |\n", name, n, *clients, *messages, r.perSec, cross,
			r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond))
	}
}

type result struct {
	perSec, crossPerSec float64
	p50, p99            time.Duration
}

// openBroker returns a factory of broker clients (one per node) for name,
// starting its server, and a function that stops it.
func openBroker(name string) (func() (server.Broker, error), func(), error) {
	switch name {
	case "mem", "broadcast":
		b := server.NewMemoryBroker(0)
		return func() (server.Broker, error) { return b, nil }, func() {}, nil
	case "nats":
		port, dir := freePort(), must(os.MkdirTemp("", "cluster-nats"))
		stop, err := startProcess("Server is ready", "nats-server", "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", dir)
		url := "nats://127.0.0.1:" + strconv.Itoa(port)
		return func() (server.Broker, error) {
				return natsbroker.New(context.Background(), url, &natsbroker.Options{Memory: true})
			}, func() {
				stop()
				os.RemoveAll(dir)
			}, err
	case "redis":
		port, dir := freePort(), must(os.MkdirTemp("", "cluster-redis"))
		stop, err := startProcess("Ready to accept connections", "redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--dir", dir, "--save", "", "--appendonly", "no", "--logfile", "")
		url := "redis://127.0.0.1:" + strconv.Itoa(port)
		return func() (server.Broker, error) { return redisbroker.New(context.Background(), url, nil) }, func() {
			stop()
			os.RemoveAll(dir)
		}, err
	}
	return nil, nil, fmt.Errorf("unknown broker %q (want mem, nats or redis)", name)
}

// encode is the bench's wire form: the payload as it was published, in a
// binary message (server.ChannelOptions.EncodeMessage), so that clients
// spend no time on JSON.
func encode(m server.Message) (*websocket.PreparedMessage, error) {
	return websocket.NewPreparedMessage(websocket.MessageBinary, m.Data)
}

func run(name string, nodes, perNode, messages, window, size int) (result, error) {
	newBroker, stop, err := openBroker(name)
	if err != nil {
		return result{}, err
	}
	defer stop()
	ctx := context.Background()
	srvs := make([]*server.Server, nodes)
	urls := make([]string, nodes)
	for i := range srvs {
		b, err := newBroker()
		if err != nil {
			return result{}, err
		}
		if n := name; n != "mem" && n != "broadcast" {
			defer b.Close()
		}
		s := server.New(&server.Options{ChannelOptions: server.ChannelOptions{Broker: b, EncodeMessage: encode}})
		s.HandleRoute(server.Route{Path: "/", Handler: server.HandlerFunc(func(ctx context.Context, c *websocket.Conn) error {
			if err := s.Subscribe(ctx, c, "bench", nil); err != nil {
				return err
			}
			if err := c.Write(ctx, websocket.MessageText, []byte("ready")); err != nil {
				return err
			}
			for {
				if _, _, err := c.Read(ctx); err != nil {
					return nil
				}
			}
		})})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return result{}, err
		}
		hs := &http.Server{Handler: s}
		go hs.Serve(ln)
		defer func() {
			sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			s.Shutdown(sctx)
			hs.Shutdown(sctx)
			cancel()
		}()
		srvs[i], urls[i] = s, "ws://"+ln.Addr().String()+"/"
	}

	// delivered[i] counts the clients that got message i.
	total := nodes * perNode
	delivered := make([]atomic.Int32, messages)
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	done := 0 // messages every client has
	lat := make([][]time.Duration, total)
	var cross atomic.Int64
	var readers sync.WaitGroup
	conns := make([]*websocket.Conn, total)
	for i := range total {
		node := i % nodes
		c, _, err := websocket.Dial(ctx, urls[node], nil)
		if err != nil {
			return result{}, fmt.Errorf("client %d: %w", i, err)
		}
		conns[i] = c
		if _, _, err := c.Read(ctx); err != nil {
			return result{}, fmt.Errorf("client %d: %w", i, err)
		}
		lat[i] = make([]time.Duration, 0, messages)
		readers.Go(func() {
			buf := make([]byte, 0, size)
			for {
				var err error
				_, buf, err = c.AppendRead(ctx, buf[:0])
				if err != nil || len(buf) < 16 {
					return
				}
				sent := int64(binary.LittleEndian.Uint64(buf))
				meta := binary.LittleEndian.Uint64(buf[8:])
				idx, from := int(meta>>8), int(meta&0xff)
				lat[i] = append(lat[i], time.Duration(time.Now().UnixNano()-sent))
				if from != node {
					cross.Add(1)
				}
				if int(delivered[idx].Add(1)) == total {
					mu.Lock()
					done++
					cond.Broadcast()
					mu.Unlock()
				}
			}
		})
	}
	fmt.Fprintf(os.Stderr, "cluster: %s: %d clients on %d nodes subscribed; publishing %d messages\n", name, total, nodes, messages)

	rnd := rand.New(rand.NewPCG(1, 2))
	payload := make([]byte, size)
	start := time.Now()
	for i := range messages {
		mu.Lock()
		for i-done >= window {
			cond.Wait()
		}
		mu.Unlock()
		from := rnd.IntN(nodes)
		binary.LittleEndian.PutUint64(payload, uint64(time.Now().UnixNano()))
		binary.LittleEndian.PutUint64(payload[8:], uint64(i)<<8|uint64(from))
		if name == "broadcast" {
			srvs[from].Broadcast(websocket.MessageBinary, bytes.Clone(payload))
		} else if _, err := srvs[from].Publish(ctx, "bench", payload); err != nil {
			return result{}, err
		}
	}
	mu.Lock()
	for done < messages {
		cond.Wait()
	}
	mu.Unlock()
	elapsed := time.Since(start)
	for _, c := range conns {
		c.CloseNow()
	}
	readers.Wait()

	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	if len(all) != total*messages {
		return result{}, errors.New("deliveries missing")
	}
	slices.Sort(all)
	return result{
		perSec:      float64(len(all)) / elapsed.Seconds(),
		crossPerSec: float64(cross.Load()) / elapsed.Seconds(),
		p50:         all[len(all)/2],
		p99:         all[len(all)*99/100],
	}, nil
}

func freePort() int {
	ln := must(net.Listen("tcp", "127.0.0.1:0"))
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startProcess runs a broker server until stop is called, once a line of
// its output contains ready.
func startProcess(ready, name string, args ...string) (stop func(), err error) {
	cmd := exec.Command(name, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w (install it: apt-get install %s)", name, err, name)
	}
	readyc, exited := make(chan struct{}), make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		seen := false
		for sc.Scan() {
			if !seen && strings.Contains(sc.Text(), ready) {
				seen = true
				close(readyc)
			}
		}
		cmd.Wait()
		if !seen {
			close(readyc)
		}
		close(exited)
	}()
	<-readyc
	stop = func() {
		cmd.Process.Signal(syscall.SIGTERM)
		<-exited
	}
	select {
	case <-exited:
		return nil, fmt.Errorf("%s exited before it was ready", name)
	default:
	}
	return stop, nil
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
