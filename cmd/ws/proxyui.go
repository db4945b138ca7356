package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/wskit/websocket"
)

//go:embed proxyui.html
var proxyUIPage []byte

// uiWidth is the payload kept per message for the --ui page: enough to
// read, bounded so that the page's memory is too.
const uiWidth = 64 << 10

// uiBacklog is how many events a page gets when it opens.
const uiBacklog = 10000

// uiHub receives the JSON lines of the --ui frame log (one Write per
// line) and passes them to every open page.
type uiHub struct {
	mu   sync.Mutex
	ring [][]byte // the last uiBacklog lines, oldest at head
	head int
	subs map[chan []byte]struct{}
}

func newUIHub() *uiHub { return &uiHub{subs: map[chan []byte]struct{}{}} }

// Write takes one line. A page that falls 4096 lines behind is dropped (it
// reconnects and gets the backlog again).
func (h *uiHub) Write(p []byte) (int, error) {
	line := append([]byte(nil), p[:len(p)-1]...) // without the newline
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.ring) < uiBacklog {
		h.ring = append(h.ring, line)
	} else {
		h.ring[h.head] = line
		h.head = (h.head + 1) % uiBacklog
	}
	for ch := range h.subs {
		select {
		case ch <- line:
		default:
			delete(h.subs, ch)
			close(ch)
		}
	}
	return len(p), nil
}

// subscribe returns the backlog and a channel of the lines after it.
func (h *uiHub) subscribe() ([][]byte, chan []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	back := make([][]byte, 0, len(h.ring))
	back = append(back, h.ring[h.head:]...)
	back = append(back, h.ring[:h.head]...)
	ch := make(chan []byte, 4096)
	h.subs[ch] = struct{}{}
	return back, ch
}

func (h *uiHub) unsubscribe(ch chan []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[ch]; ok {
		delete(h.subs, ch)
		close(ch)
	}
}

// serveUI runs the --ui page on ln until ctx ends: / is the page, /events
// the WebSocket that streams the events (same origin only).
func serveUI(ctx context.Context, ln net.Listener, hub *uiHub, upstream string) error {
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(proxyUIPage)
	})
	mux.HandleFunc("/events", func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		back, ch := hub.subscribe()
		defer hub.unsubscribe(ch)
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() { // reads (so pings are answered) until the page leaves
			for {
				if _, _, err := c.Read(cctx); err != nil {
					cancel()
					return
				}
			}
		}()
		hello, _ := json.Marshal(map[string]string{"ui": "hello", "upstream": upstream})
		if c.Write(cctx, websocket.MessageText, hello) != nil {
			return
		}
		for _, l := range back {
			if c.Write(cctx, websocket.MessageText, l) != nil {
				return
			}
		}
		for {
			select {
			case l, ok := <-ch:
				if !ok {
					c.Close(websocket.StatusTryAgainLater, "too far behind")
					return
				}
				if c.Write(cctx, websocket.MessageText, l) != nil {
					return
				}
			case <-cctx.Done():
				c.Close(websocket.StatusGoingAway, "")
				return
			}
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	err := srv.Serve(ln)
	if err == http.ErrServerClosed {
		return nil
	}
	return err
}
