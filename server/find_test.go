package server_test

import (
	"net"
	"testing"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/server"
)

// dialFrom connects from the loopback address local.
func dialFrom(t *testing.T, url, local string) *websocket.Conn {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	return dial(t, url, &websocket.DialOptions{NetDialContext: d.DialContext, NoProxy: true})
}

// TestFind finds connections by remote host and port patterns, as Tcl's
// ::websocket::find does, and by address prefix.
func TestFind(t *testing.T) { forModes(t, testFind) }

func testFind(t *testing.T, m mode) {
	srv := server.New(m.options(nil))
	started := newStarts()
	srv.HandleRoute(m.route("/", started, readUntilEnd, eventsIdle()))
	base := m.serve(t, srv)
	hosts := []string{"127.0.0.1", "127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.1.1"}
	ports := map[string]string{} // client port -> host
	clients := make([]*websocket.Conn, len(hosts))
	for i, h := range hosts {
		clients[i] = dialFrom(t, base+"/", h)
		ports[portOf(clients[i].LocalAddr())] = h
	}
	first := clients[0]
	started.wait(len(hosts))
	firstPort := portOf(first.LocalAddr())
	cases := []struct {
		host, port string
		want       int
	}{
		{"", "", 5},
		{"*", "*", 5},
		{"127.0.0.2", "", 2},
		{"127.0.0.*", "", 4},
		{"127.0.0.[13]", "", 2},
		{"127.0.?.1", "", 2},
		{"127.0.0.0/30", "", 4}, // .0 to .3
		{"127.0.1.0/24", "", 1},
		{"10.0.0.0/8", "", 0},
		{"::1", "", 0},
		{"", firstPort, 1},
		{"127.0.0.1", firstPort, 1},
		{"127.0.0.2", firstPort, 0},
		{"", "[0-9]*", 5},
		{"", "0", 0},
	}
	for _, tc := range cases {
		got := srv.Find(tc.host, tc.port)
		if len(got) != tc.want {
			t.Errorf("Find(%q, %q) found %d, want %d", tc.host, tc.port, len(got), tc.want)
		}
		for _, c := range got {
			// What the server sees as the remote address is the client's
			// local one.
			h, p := splitPort(c.RemoteAddr())
			if ports[p] != h {
				t.Errorf("Find(%q, %q) returned %s, not a client of this test", tc.host, tc.port, c.RemoteAddr())
			}
		}
	}
	if n := srv.Count(); n != len(hosts) {
		t.Errorf("Count = %d, want %d", n, len(hosts))
	}
	if all := srv.Conns(); len(all) != len(hosts) {
		t.Errorf("Conns has %d, want %d", len(all), len(hosts))
	}

	// SendPrepared to what Find returned reaches those and only those.
	pm, _ := websocket.NewPreparedMessage(websocket.MessageText, []byte("to .2"))
	res := srv.SendPrepared(pm, srv.Find("127.0.0.2", ""))
	if res.Queued != 2 {
		t.Fatalf("SendPrepared: %+v", res)
	}
	// Then a broadcast to all: each client's next message tells whether
	// the first reached it, with no wait for a message that never comes.
	if res, err := srv.Broadcast(websocket.MessageText, []byte("to all")); err != nil || res.Queued != len(hosts) {
		t.Fatalf("Broadcast: %+v, %v", res, err)
	}
	ctx := testCtx(t)
	for i, c := range clients {
		_, p, err := c.Read(ctx)
		switch {
		case err != nil:
			t.Fatalf("client from %s: %v", hosts[i], err)
		case hosts[i] == "127.0.0.2" && string(p) != "to .2":
			t.Errorf("client from %s got %q first, want the message sent to 127.0.0.2", hosts[i], p)
		case hosts[i] != "127.0.0.2" && string(p) != "to all":
			t.Errorf("client from %s got %q, sent only to 127.0.0.2", hosts[i], p)
		}
	}
}
