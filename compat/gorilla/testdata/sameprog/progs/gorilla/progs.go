// Package progs holds programs written the gorilla/websocket way: an echo
// server, the hub chat with ping/pong deadlines, and clients that use
// pings, deadlines, read limits, JSON and the close handshake. The copy in
// ../wskit is this file with only the import path changed (progs_test.go
// checks it); the tests run both against the same peers.
package progs

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

var upgrader = websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 1024}

// EchoServer sends every message back.
func EchoServer() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			mt, message, err := c.ReadMessage()
			if err != nil {
				break
			}
			if err := c.WriteMessage(mt, message); err != nil {
				break
			}
		}
	})
}

// EchoClient sends each message and records each answer, then closes
// with 1000 and records how the connection ended.
func EchoClient(url string, msgs []string) ([]string, error) {
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var out []string
	for _, m := range msgs {
		if err := c.WriteMessage(websocket.TextMessage, []byte(m)); err != nil {
			return out, err
		}
		mt, p, err := c.ReadMessage()
		if err != nil {
			return out, err
		}
		out = append(out, strconv.Itoa(mt)+" "+string(p))
	}
	err = c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"))
	if err != nil {
		return out, err
	}
	_, _, err = c.ReadMessage()
	out = append(out, "closed normally: "+strconv.FormatBool(websocket.IsCloseError(err, websocket.CloseNormalClosure)))
	return out, nil
}

// PingClient sends a ping and then a message, and records what its pong
// handler and its reads see.
func PingClient(url string) ([]string, error) {
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var out []string
	c.SetPongHandler(func(string) error {
		out = append(out, "pong")
		return nil
	})
	if err := c.WriteControl(websocket.PingMessage, nil, time.Now().Add(time.Second)); err != nil {
		return out, err
	}
	if err := c.WriteMessage(websocket.TextMessage, []byte("after ping")); err != nil {
		return out, err
	}
	_, p, err := c.ReadMessage()
	if err != nil {
		return out, err
	}
	return append(out, string(p)), nil
}

// DeadlineClient reads with a short deadline from a server that sends
// nothing and records whether the read timed out.
func DeadlineClient(url string) ([]string, error) {
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, _, err = c.ReadMessage()
	ne, ok := err.(interface{ Timeout() bool })
	if !ok {
		for u := err; u != nil; {
			if ne, ok = u.(interface{ Timeout() bool }); ok {
				break
			}
			uw, isW := u.(interface{ Unwrap() error })
			if !isW {
				break
			}
			u = uw.Unwrap()
		}
	}
	return []string{"timeout: " + strconv.FormatBool(ok && ne.Timeout())}, nil
}

// LimitClient sets a read limit below the size of the answer it gets.
func LimitClient(url string) ([]string, error) {
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetReadLimit(10)
	if err := c.WriteMessage(websocket.TextMessage, []byte("twenty bytes exactly")); err != nil {
		return nil, err
	}
	_, _, err = c.ReadMessage()
	return []string{"read limit: " + strconv.FormatBool(err == websocket.ErrReadLimit)}, nil
}

// Point is a JSON value.
type Point struct {
	X, Y int
	Name string
}

// JSONClient sends a value with WriteJSON and reads the echo with
// ReadJSON.
func JSONClient(url string) ([]string, error) {
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := c.WriteJSON(Point{1, 2, "p"}); err != nil {
		return nil, err
	}
	var p Point
	if err := c.ReadJSON(&p); err != nil {
		return nil, err
	}
	return []string{p.Name + " " + strconv.Itoa(p.X) + "," + strconv.Itoa(p.Y)}, nil
}

// The hub chat, as in gorilla's examples/chat, with its timings made
// variables so that tests can shorten them.
var (
	WriteWait      = 10 * time.Second
	PongWait       = 60 * time.Second
	PingPeriod     = (PongWait * 9) / 10
	MaxMessageSize = int64(512)
)

// Pongs counts the pongs the chat server's connections received.
var Pongs atomic.Int64

type hub struct {
	clients    map[*client]bool
	broadcast  chan []byte
	register   chan *client
	unregister chan *client
}

type client struct {
	hub  *hub
	conn *websocket.Conn
	send chan []byte
}

func (h *hub) run() {
	for {
		select {
		case c := <-h.register:
			h.clients[c] = true
		case c := <-h.unregister:
			if _, ok := h.clients[c]; ok {
				delete(h.clients, c)
				close(c.send)
			}
		case message := <-h.broadcast:
			for c := range h.clients {
				select {
				case c.send <- message:
				default:
					close(c.send)
					delete(h.clients, c)
				}
			}
		}
	}
}

func (c *client) readPump() {
	defer func() {
		c.hub.unregister <- c
		c.conn.Close()
	}()
	c.conn.SetReadLimit(MaxMessageSize)
	c.conn.SetReadDeadline(time.Now().Add(PongWait))
	c.conn.SetPongHandler(func(string) error {
		Pongs.Add(1)
		c.conn.SetReadDeadline(time.Now().Add(PongWait))
		return nil
	})
	for {
		_, message, err := c.conn.ReadMessage()
		if err != nil {
			break
		}
		c.hub.broadcast <- message
	}
}

func (c *client) writePump() {
	ticker := time.NewTicker(PingPeriod)
	defer func() {
		ticker.Stop()
		c.conn.Close()
	}()
	for {
		select {
		case message, ok := <-c.send:
			c.conn.SetWriteDeadline(time.Now().Add(WriteWait))
			if !ok {
				c.conn.WriteMessage(websocket.CloseMessage, []byte{})
				return
			}
			w, err := c.conn.NextWriter(websocket.TextMessage)
			if err != nil {
				return
			}
			w.Write(message)
			n := len(c.send)
			for i := 0; i < n; i++ {
				w.Write([]byte{'\n'})
				w.Write(<-c.send)
			}
			if err := w.Close(); err != nil {
				return
			}
		case <-ticker.C:
			c.conn.SetWriteDeadline(time.Now().Add(WriteWait))
			if err := c.conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		}
	}
}

// ChatServer returns the hub chat's handler.
func ChatServer() http.Handler {
	h := &hub{
		broadcast:  make(chan []byte),
		register:   make(chan *client),
		unregister: make(chan *client),
		clients:    make(map[*client]bool),
	}
	go h.run()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c := &client{hub: h, conn: conn, send: make(chan []byte, 256)}
		c.hub.register <- c
		go c.writePump()
		go c.readPump()
	})
}
