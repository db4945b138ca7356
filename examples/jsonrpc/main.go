// Jsonrpc is request/response over WebSocket with JSON messages: each
// request has an id, and the reply with the same id answers it. Replies
// may come in any order, so a client can have many calls in flight on one
// connection; a slow call does not hold up the others.
//
//	go run ./examples/jsonrpc -addr 127.0.0.1:8080
//	ws dial ws://127.0.0.1:8080/rpc    then type {"id":1,"method":"add","params":[1,2]}
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"sync"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/wsjson"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	log.Printf("JSON calls on ws://%s/rpc", *addr)
	log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(serveRPC)))
}

type request struct {
	ID     uint64          `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
}

type response struct {
	ID     uint64 `json:"id"`
	Result any    `json:"result,omitempty"`
	Error  string `json:"error,omitempty"`
}

// methods are what the server answers.
var methods = map[string]func(ctx context.Context, params json.RawMessage) (any, error){
	"add": func(_ context.Context, params json.RawMessage) (any, error) {
		var xs []float64
		if err := json.Unmarshal(params, &xs); err != nil {
			return nil, errors.New("add takes an array of numbers")
		}
		sum := 0.0
		for _, x := range xs {
			sum += x
		}
		return sum, nil
	},
	"sleep": func(ctx context.Context, params json.RawMessage) (any, error) {
		var ms int
		json.Unmarshal(params, &ms)
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
			return "slept", nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	},
}

func serveRPC(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	for {
		var req request
		if err := wsjson.Read(ctx, c, &req); err != nil {
			if websocket.CloseStatus(err) != 0 {
				return
			}
			// Not a request: say so, and go on with the next message.
			wsjson.Write(ctx, c, response{Error: "bad request: " + err.Error()})
			continue
		}
		// Each call runs on its own; Conn is safe for concurrent writers.
		go func() {
			resp := response{ID: req.ID}
			if m, ok := methods[req.Method]; !ok {
				resp.Error = "no method " + req.Method
			} else if res, err := m(ctx, req.Params); err != nil {
				resp.Error = err.Error()
			} else {
				resp.Result = res
			}
			wsjson.Write(ctx, c, resp)
		}()
	}
}

// client makes calls over one connection.
type client struct {
	c       *websocket.Conn
	mu      sync.Mutex
	nextID  uint64
	waiting map[uint64]chan response
	err     error // why the connection ended
}

func newClient(c *websocket.Conn) *client {
	cl := &client{c: c, waiting: make(map[uint64]chan response)}
	go cl.readReplies()
	return cl
}

// readReplies hands each reply to the call waiting for its id.
func (cl *client) readReplies() {
	for {
		var resp response
		err := wsjson.Read(context.Background(), cl.c, &resp)
		cl.mu.Lock()
		if err != nil && websocket.CloseStatus(err) != 0 {
			cl.err = err
			for _, ch := range cl.waiting {
				close(ch)
			}
			cl.waiting = nil
			cl.mu.Unlock()
			return
		}
		ch := cl.waiting[resp.ID]
		delete(cl.waiting, resp.ID)
		cl.mu.Unlock()
		if ch != nil {
			ch <- resp
		}
	}
}

// call sends a request and waits for its reply, decoding the result into
// result.
func (cl *client) call(ctx context.Context, method string, params, result any) error {
	raw, err := json.Marshal(params)
	if err != nil {
		return err
	}
	ch := make(chan response, 1)
	cl.mu.Lock()
	if cl.waiting == nil {
		cl.mu.Unlock()
		return cl.err
	}
	cl.nextID++
	id := cl.nextID
	cl.waiting[id] = ch
	cl.mu.Unlock()
	if err := wsjson.Write(ctx, cl.c, request{ID: id, Method: method, Params: raw}); err != nil {
		return err
	}
	select {
	case resp, ok := <-ch:
		if !ok {
			return cl.err
		}
		if resp.Error != "" {
			return fmt.Errorf("%s: %s", method, resp.Error)
		}
		b, _ := json.Marshal(resp.Result)
		return json.Unmarshal(b, result)
	case <-ctx.Done():
		cl.mu.Lock()
		delete(cl.waiting, id)
		cl.mu.Unlock()
		return ctx.Err()
	}
}
