package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
)

// recorder is a client connection that keeps every segment written and
// read, in order, as a capture would see them.
type recorder struct {
	net.Conn
	mu   sync.Mutex
	segs []segment
}

type segment struct {
	fromClient bool
	data       []byte
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.add(false, p[:n])
	return n, err
}

func (r *recorder) Write(p []byte) (int, error) {
	n, err := r.Conn.Write(p)
	r.add(true, p[:n])
	return n, err
}

func (r *recorder) add(fromClient bool, p []byte) {
	if len(p) == 0 {
		return
	}
	r.mu.Lock()
	r.segs = append(r.segs, segment{fromClient, bytes.Clone(p)})
	r.mu.Unlock()
}

// TestDecode records a real compressed conversation on loopback, writes it
// as a pcap file of TCP packets and checks what decode prints.
func TestDecode(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{ConnOptions: websocket.ConnOptions{Compression: &websocket.CompressionOptions{}}})
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, p, err := c.Read(r.Context())
			if err != nil {
				return
			}
			c.Write(r.Context(), typ, bytes.ToUpper(p))
		}
	}))
	defer srv.Close()
	ctx := testutil.Ctx(t)
	var rec *recorder
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/shout", &websocket.DialOptions{
		ConnOptions: websocket.ConnOptions{Compression: &websocket.CompressionOptions{}},
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			rec = &recorder{Conn: nc}
			return rec, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("a long message ", 100)
	for _, m := range []string{"hello", long} {
		if err := c.Write(ctx, websocket.MessageText, []byte(m)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.Read(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(websocket.StatusNormalClosure, "bye"); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	if err := decode(&out, bytes.NewReader(capture(t, rec.segs))); err != nil {
		t.Fatal(err)
	}
	t.Logf("decode printed:\n%s", out.String())
	for _, want := range []string{
		"conn 1 10.0.0.1:40000 -> 10.0.0.2:80 GET /shout",
		`conn 1 client text "hello" (5 bytes)`, // below the compression threshold
		`conn 1 server text "HELLO" (5 bytes)`,
		`conn 1 client text "` + long[:preview] + `"... (1500 bytes, compressed)`,
		`conn 1 server text "` + strings.ToUpper(long[:preview]) + `"... (1500 bytes, compressed)`,
		"conn 1 client ping ",
		"conn 1 server pong ",
		`conn 1 client close 1000 "bye"`,
		`conn 1 server close 1000 ""`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no line %q", want)
		}
	}
	if strings.Contains(out.String(), "finding") {
		t.Error("findings in a clean conversation")
	}
}

// capture turns the recorded segments into a pcap file: a TCP handshake,
// then each segment as a packet with its sequence numbers, then FINs.
func capture(t *testing.T, segs []segment) []byte {
	client, server := net.IPv4(10, 0, 0, 1), net.IPv4(10, 0, 0, 2)
	seq := [2]uint32{1000, 900000} // client, server
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	w.WriteFileHeader(65536, layers.LinkTypeEthernet)
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	packet := func(fromClient, syn, fin bool, data []byte) {
		from := 1
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: server, DstIP: client}
		tcp := &layers.TCP{SrcPort: 80, DstPort: 40000, SYN: syn, FIN: fin, ACK: !(syn && fromClient), PSH: len(data) > 0, Window: 65535}
		if fromClient {
			from = 0
			ip.SrcIP, ip.DstIP = client, server
			tcp.SrcPort, tcp.DstPort = 40000, 80
		}
		tcp.Seq, tcp.Ack = seq[from], seq[1-from]
		seq[from] += uint32(len(data))
		if syn || fin {
			seq[from]++
		}
		tcp.SetNetworkLayerForChecksum(ip)
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
		sb := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(sb, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp, gopacket.Payload(data)); err != nil {
			t.Fatal(err)
		}
		when = when.Add(time.Millisecond)
		w.WritePacket(gopacket.CaptureInfo{Timestamp: when, CaptureLength: len(sb.Bytes()), Length: len(sb.Bytes())}, sb.Bytes())
	}
	packet(true, true, false, nil)
	packet(false, true, false, nil)
	for _, s := range segs {
		for p := s.data; len(p) > 0; { // at most 1400 bytes a packet
			n := min(len(p), 1400)
			packet(s.fromClient, false, false, p[:n])
			p = p[n:]
		}
	}
	packet(false, false, true, nil)
	packet(true, false, true, nil)
	return buf.Bytes()
}
