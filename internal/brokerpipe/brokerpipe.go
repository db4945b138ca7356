// Package brokerpipe runs a server.Broker in a helper process, so that
// `ws serve --broker URL` can use brokers whose clients the main module
// does not depend on: ws starts the helper "ws-broker-SCHEME" (built from
// the broker's module) and the two speak JSON lines over the helper's
// standard input and output, like git's remote helpers.
//
// Requests, one JSON object a line, from ws to the helper:
//
//	{"id":1,"op":"publish","channel":"c","data":"<base64>"}
//	{"id":2,"op":"subscribe","channel":"c"}
//	{"id":3,"op":"stop","channel":"c"}
//	{"id":4,"op":"history","channel":"c","epoch":"e","offset":7}
//
// Each is answered by a line with its id, an error, or the position (and
// the messages, for history); "gap":true marks server.ErrHistoryGap.
// Messages of subscribed channels arrive as {"op":"msg","channel":"c",
// "epoch":"e","offset":8,"data":"<base64>"}. The helper exits when its
// input ends.
package brokerpipe

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/wskit/websocket/server"
)

type message struct {
	ID      uint64    `json:"id,omitempty"`
	Op      string    `json:"op,omitempty"`
	Channel string    `json:"channel,omitempty"`
	Epoch   string    `json:"epoch,omitempty"`
	Offset  uint64    `json:"offset,omitempty"`
	Data    []byte    `json:"data,omitempty"`
	Msgs    []message `json:"msgs,omitempty"`
	Error   string    `json:"error,omitempty"`
	Gap     bool      `json:"gap,omitempty"`
}

func (m *message) pos() server.Position { return server.Position{Epoch: m.Epoch, Offset: m.Offset} }

// HelperName is the program that serves brokers of scheme (nats, redis).
func HelperName(scheme string) string { return "ws-broker-" + scheme }

// Start runs the helper for url's scheme, looked up next to the running
// program first, then on PATH, and returns a Broker speaking to it. The
// helper's standard error goes to stderr.
func Start(ctx context.Context, scheme, url string, stderr io.Writer) (server.Broker, error) {
	name := HelperName(scheme)
	path, err := exec.LookPath(name)
	if self, e := os.Executable(); e == nil {
		if p := filepath.Join(filepath.Dir(self), name); isFile(p) {
			path, err = p, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("brokerpipe: %s brokers need the program %s, built from the wskit module broker/%s, next to ws or on PATH: %w", scheme, name, scheme, err)
	}
	cmd := exec.Command(path, url)
	cmd.Stderr = stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("brokerpipe: %w", err)
	}
	c := newClient(in, out)
	c.wait = cmd.Wait
	// The helper connects before it answers: a ping (history of no
	// channel) tells whether it could.
	if _, err := c.call(ctx, message{Op: "ping"}); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// client is a server.Broker whose calls travel to a helper.
type client struct {
	w    io.WriteCloser
	wmu  sync.Mutex
	wait func() error
	done chan struct{}

	mu      sync.Mutex
	nextID  uint64
	calls   map[uint64]chan message
	subs    map[string]*pipeSub
	readErr error
}

// pipeSub delivers one channel's messages on a goroutine of its own, so
// that a deliver calling History does not hold up the reader.
type pipeSub struct {
	q    chan server.Message
	done chan struct{}
}

func newClient(w io.WriteCloser, r io.Reader) *client {
	c := &client{w: w, done: make(chan struct{}), calls: make(map[uint64]chan message), subs: make(map[string]*pipeSub)}
	go c.read(r)
	return c
}

func (c *client) read(r io.Reader) {
	defer close(c.done)
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var m message
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			continue
		}
		c.mu.Lock()
		if m.Op == "msg" {
			if s := c.subs[m.Channel]; s != nil {
				select {
				case s.q <- server.Message{Channel: m.Channel, Position: m.pos(), Data: m.Data}:
				default: // too far behind: dropped, and repaired from the history
				}
			}
		} else if ch := c.calls[m.ID]; ch != nil {
			delete(c.calls, m.ID)
			ch <- m
		}
		c.mu.Unlock()
	}
	c.mu.Lock()
	c.readErr = errors.New("brokerpipe: the broker helper exited")
	for id, ch := range c.calls {
		delete(c.calls, id)
		ch <- message{Error: c.readErr.Error()}
	}
	c.mu.Unlock()
}

func (c *client) call(ctx context.Context, req message) (message, error) {
	ch := make(chan message, 1)
	c.mu.Lock()
	if c.readErr != nil {
		c.mu.Unlock()
		return message{}, c.readErr
	}
	c.nextID++
	req.ID = c.nextID
	c.calls[req.ID] = ch
	c.mu.Unlock()
	line, _ := json.Marshal(req)
	c.wmu.Lock()
	_, err := c.w.Write(append(line, '\n'))
	c.wmu.Unlock()
	if err != nil {
		return message{}, fmt.Errorf("brokerpipe: %w", err)
	}
	select {
	case m := <-ch:
		if m.Gap {
			return m, server.ErrHistoryGap
		}
		if m.Error != "" {
			return m, errors.New(m.Error)
		}
		return m, nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.calls, req.ID)
		c.mu.Unlock()
		return message{}, ctx.Err()
	}
}

func (c *client) Publish(ctx context.Context, channel string, data []byte) (server.Position, error) {
	m, err := c.call(ctx, message{Op: "publish", Channel: channel, Data: data})
	return m.pos(), err
}

func (c *client) Subscribe(channel string, deliver func(server.Message)) (func(), error) {
	s := &pipeSub{q: make(chan server.Message, 4096), done: make(chan struct{})}
	c.mu.Lock()
	c.subs[channel] = s
	c.mu.Unlock()
	go func() {
		defer close(s.done)
		for m := range s.q {
			deliver(m)
		}
	}()
	stop := func() {
		c.mu.Lock()
		if c.subs[channel] == s {
			delete(c.subs, channel)
		}
		close(s.q)
		c.mu.Unlock()
		<-s.done
		c.call(context.Background(), message{Op: "stop", Channel: channel})
	}
	if _, err := c.call(context.Background(), message{Op: "subscribe", Channel: channel}); err != nil {
		stop()
		return nil, err
	}
	return stop, nil
}

func (c *client) History(ctx context.Context, channel string, since server.Position) ([]server.Message, server.Position, error) {
	m, err := c.call(ctx, message{Op: "history", Channel: channel, Epoch: since.Epoch, Offset: since.Offset})
	msgs := make([]server.Message, len(m.Msgs))
	for i, h := range m.Msgs {
		msgs[i] = server.Message{Channel: channel, Position: h.pos(), Data: h.Data}
	}
	return msgs, m.pos(), err
}

func (c *client) Close() error {
	c.w.Close() // the helper exits when its input ends
	<-c.done
	if c.wait != nil {
		return c.wait()
	}
	return nil
}

// Serve answers the requests read from r with b, writing to w, until r
// ends. It is the whole of a helper program but for opening b.
func Serve(b server.Broker, r io.Reader, w io.Writer) error {
	var wmu sync.Mutex
	send := func(m message) {
		line, _ := json.Marshal(m)
		wmu.Lock()
		w.Write(append(line, '\n'))
		wmu.Unlock()
	}
	var (
		mu   sync.Mutex
		subs = map[string]func(){}
		wg   sync.WaitGroup
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var req message
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			return fmt.Errorf("brokerpipe: bad request: %w", err)
		}
		wg.Go(func() {
			resp := message{ID: req.ID}
			var err error
			switch req.Op {
			case "ping":
			case "publish":
				var p server.Position
				p, err = b.Publish(context.Background(), req.Channel, req.Data)
				resp.Epoch, resp.Offset = p.Epoch, p.Offset
			case "subscribe":
				var stop func()
				stop, err = b.Subscribe(req.Channel, func(m server.Message) {
					send(message{Op: "msg", Channel: m.Channel, Epoch: m.Epoch, Offset: m.Offset, Data: m.Data})
				})
				if err == nil {
					mu.Lock()
					subs[req.Channel] = stop
					mu.Unlock()
				}
			case "stop":
				mu.Lock()
				stop := subs[req.Channel]
				delete(subs, req.Channel)
				mu.Unlock()
				if stop != nil {
					stop()
				}
			case "history":
				var msgs []server.Message
				var head server.Position
				msgs, head, err = b.History(context.Background(), req.Channel, req.pos())
				resp.Epoch, resp.Offset = head.Epoch, head.Offset
				for _, m := range msgs {
					resp.Msgs = append(resp.Msgs, message{Epoch: m.Epoch, Offset: m.Offset, Data: m.Data})
				}
			default:
				err = fmt.Errorf("brokerpipe: unknown op %q", req.Op)
			}
			if err != nil {
				resp.Error, resp.Gap = err.Error(), errors.Is(err, server.ErrHistoryGap)
			}
			send(resp)
		})
	}
	wg.Wait()
	mu.Lock()
	for _, stop := range subs {
		stop()
	}
	mu.Unlock()
	return sc.Err()
}

// Main is a helper program's main: it opens the broker at the URL given as
// its only argument with open, serves standard input and output, and exits
// when the input ends.
func Main(open func(ctx context.Context, url string) (server.Broker, error)) {
	if len(os.Args) != 2 {
		fmt.Fprintf(os.Stderr, "usage: %s URL\n(started by ws serve --broker URL)\n", filepath.Base(os.Args[0]))
		os.Exit(2)
	}
	b, err := open(context.Background(), os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	err = Serve(b, os.Stdin, os.Stdout)
	b.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
