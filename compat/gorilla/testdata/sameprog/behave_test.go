// The gorilla-style programs in progs/, built once against gorilla and once
// against wskit's compatible package, must behave the same against the
// same peers: wskit's own client and server, and each other.
package sameprog_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gorilla "example.com/sameprog/progs/gorilla"
	wskit "example.com/sameprog/progs/wskit"

	websocket "github.com/wskit/websocket"
)

// build is one compilation of progs.
type build struct {
	name           string
	echoServer     func() http.Handler
	chatServer     func() http.Handler
	clients        map[string]func(url string) ([]string, error)
	pongs          *atomic.Int64
	setChatTimings func(pongWait, pingPeriod time.Duration)
}

var builds = []build{
	{
		name: "gorilla", echoServer: gorilla.EchoServer, chatServer: gorilla.ChatServer, pongs: &gorilla.Pongs,
		clients: map[string]func(string) ([]string, error){
			"echo":     func(u string) ([]string, error) { return gorilla.EchoClient(u, echoMsgs) },
			"ping":     gorilla.PingClient,
			"limit":    gorilla.LimitClient,
			"json":     gorilla.JSONClient,
			"deadline": gorilla.DeadlineClient,
		},
		setChatTimings: func(w, p time.Duration) { gorilla.PongWait, gorilla.PingPeriod = w, p },
	},
	{
		name: "wskit", echoServer: wskit.EchoServer, chatServer: wskit.ChatServer, pongs: &wskit.Pongs,
		clients: map[string]func(string) ([]string, error){
			"echo":     func(u string) ([]string, error) { return wskit.EchoClient(u, echoMsgs) },
			"ping":     wskit.PingClient,
			"limit":    wskit.LimitClient,
			"json":     wskit.JSONClient,
			"deadline": wskit.DeadlineClient,
		},
		setChatTimings: func(w, p time.Duration) { wskit.PongWait, wskit.PingPeriod = w, p },
	},
}

var echoMsgs = []string{"hello", "", strings.Repeat("long ", 20000)}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func wsURL(s *httptest.Server) string { return "ws" + strings.TrimPrefix(s.URL, "http") }

// TestOnlyTheImportDiffers keeps the two builds' sources identical but for
// the import path.
func TestOnlyTheImportDiffers(t *testing.T) {
	g, err := os.ReadFile("progs/gorilla/progs.go")
	if err != nil {
		t.Fatal(err)
	}
	w, err := os.ReadFile("progs/wskit/progs.go")
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Replace(g, []byte(`"github.com/gorilla/websocket"`), []byte(`"github.com/wskit/websocket/compat/gorilla"`), 1)
	if !bytes.Equal(w, want) {
		t.Fatal("progs/wskit/progs.go is not progs/gorilla/progs.go with the import changed; regenerate it with sed")
	}
}

// peerServer is wskit's own echo server: it records what it received and
// how the connection ended. With quiet set it sends nothing.
func peerServer(t *testing.T, quiet bool) (*httptest.Server, chan string) {
	log := make(chan string, 100)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, p, err := c.Read(r.Context())
			if err != nil {
				log <- "end " + websocket.CloseStatus(err).String()
				return
			}
			log <- typ.String() + " " + string(p[:min(len(p), 40)])
			if !quiet {
				c.Write(r.Context(), typ, p)
			}
		}
	}))
	t.Cleanup(s.Close)
	return s, log
}

// drain returns what a peer server logged, up to the end of its
// connection.
func drain(t *testing.T, log chan string) []string {
	var out []string
	for {
		select {
		case l := <-log:
			out = append(out, l)
			if strings.HasPrefix(l, "end ") {
				return out
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("peer server log stops at %q", out)
		}
	}
}

// TestClients runs each client of both builds against wskit's server and
// against the echo server of both builds; the transcripts must match.
func TestClients(t *testing.T) {
	for _, name := range []string{"echo", "ping", "limit", "json", "deadline"} {
		t.Run(name, func(t *testing.T) {
			var first []string
			for _, b := range builds {
				peer, log := peerServer(t, name == "deadline")
				out, err := b.clients[name](wsURL(peer))
				if err != nil {
					t.Fatalf("%s build against wskit's server: %v", b.name, err)
				}
				out = append(out, drain(t, log)...)
				for _, sb := range builds {
					if name == "deadline" {
						continue // the echo servers are not quiet
					}
					srv := httptest.NewServer(sb.echoServer())
					o, err := b.clients[name](wsURL(srv))
					srv.Close()
					if err != nil {
						t.Fatalf("%s build against the %s echo server: %v", b.name, sb.name, err)
					}
					out = append(out, "vs "+sb.name+" echo:")
					out = append(out, o...)
				}
				t.Logf("%s build: %q", b.name, out)
				if first == nil {
					first = out
				} else if !reflect.DeepEqual(out, first) {
					t.Fatalf("%s build: %q\n%s build: %q", builds[0].name, first, b.name, out)
				}
			}
		})
	}
}

// TestEchoServer drives both builds' echo servers with wskit's client:
// text, binary, a fragmented message, a ping and the close handshake.
func TestEchoServer(t *testing.T) {
	var first []string
	for _, b := range builds {
		srv := httptest.NewServer(b.echoServer())
		ctx := ctx(t)
		c, _, err := websocket.Dial(ctx, wsURL(srv), nil)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		rec := func(typ websocket.MessageType, p []byte, err error) {
			out = append(out, typ.String()+" "+strings.Repeat("*", min(len(p), 10))+" "+errString(err))
		}
		c.Write(ctx, websocket.MessageText, []byte("hi"))
		rec(c.Read(ctx))
		c.Write(ctx, websocket.MessageBinary, bytes.Repeat([]byte{7}, 1<<20))
		rec(c.Read(ctx))
		w, _ := c.Writer(ctx, websocket.MessageText)
		w.Write([]byte("frag"))
		w.Flush()
		w.Write([]byte("ment"))
		w.Close()
		typ, p, err := c.Read(ctx)
		out = append(out, typ.String()+" "+string(p)+" "+errString(err))
		go func() {
			for {
				if _, _, err := c.Read(ctx); err != nil {
					return
				}
			}
		}()
		_, err = c.Ping(ctx)
		out = append(out, "ping "+errString(err))
		err = c.Close(websocket.StatusNormalClosure, "bye")
		out = append(out, "close "+errString(err))
		srv.Close()
		t.Logf("%s: %q", b.name, out)
		if first == nil {
			first = out
		} else if !reflect.DeepEqual(out, first) {
			t.Fatalf("%s: %q\n%s: %q", builds[0].name, first, b.name, out)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return "ok"
	}
	return "error"
}

// TestChat runs both builds' hub chat with wskit clients: a message goes
// to everyone, a message above the chat's 512-byte limit ends its sender's
// connection with 1009, and the server's pings keep a reading client's
// connection open past the pong wait through the pong handler.
func TestChat(t *testing.T) {
	const pongWait, pingPeriod = time.Second, 100 * time.Millisecond
	for _, b := range builds {
		t.Run(b.name, func(t *testing.T) {
			b.setChatTimings(pongWait, pingPeriod)
			srv := httptest.NewServer(b.chatServer())
			defer srv.Close()
			ctx := ctx(t)
			dial := func() (*websocket.Conn, chan string) {
				c, _, err := websocket.Dial(ctx, wsURL(srv), nil)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { c.CloseNow() })
				got := make(chan string, 100)
				go func() {
					defer close(got)
					for {
						_, p, err := c.Read(ctx)
						if err != nil {
							got <- "end " + websocket.CloseStatus(err).String()
							return
						}
						got <- string(p)
					}
				}()
				return c, got
			}
			ann, annGot := dial()
			_, bobGot := dial()
			// The hub registers a client after its handshake: send until
			// both have seen a message, which proves both are in.
			seen := func(got chan string, want string) bool {
				select {
				case m := <-got:
					return m == want
				case <-time.After(50 * time.Millisecond):
					return false
				}
			}
			for i := 0; ; i++ {
				if err := ann.Write(ctx, websocket.MessageText, []byte("hello")); err != nil {
					t.Fatal(err)
				}
				if seen(bobGot, "hello") {
					break
				}
				if i > 200 {
					t.Fatal("bob never got ann's message")
				}
			}
			start := b.pongs.Load()
			began := time.Now()
			for b.pongs.Load()-start < 30 {
				if time.Since(began) > time.Minute {
					t.Fatalf("%d pongs in a minute", b.pongs.Load()-start)
				}
				select {
				case m := <-bobGot:
					if strings.HasPrefix(m, "end") {
						t.Fatalf("bob's connection ended: %s", m)
					}
				case <-time.After(10 * time.Millisecond):
				}
			}
			if time.Since(began) < pongWait {
				t.Fatalf("30 pings came in %v, less than the pong wait", time.Since(began))
			}
			if err := ann.Write(ctx, websocket.MessageText, bytes.Repeat([]byte("x"), 600)); err != nil {
				t.Fatal(err)
			}
			for m := range annGot {
				if strings.HasPrefix(m, "end") {
					if m != "end "+websocket.StatusMessageTooBig.String() {
						t.Fatalf("ann after a 600-byte message: %s, want 1009", m)
					}
					return
				}
			}
		})
	}
}
