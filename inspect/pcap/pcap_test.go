package pcap_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/wskit/websocket/handshake"
	"github.com/wskit/websocket/inspect"
	"github.com/wskit/websocket/inspect/pcap"
	"github.com/wskit/websocket/wire"
)

// segment is one TCP segment of a synthetic capture.
type segment struct {
	fromClient bool
	seq        uint32 // offset in its direction's stream
	data       []byte
	syn, fin   bool
}

var (
	clientAddr = net.IPv4(10, 0, 0, 1)
	serverAddr = net.IPv4(10, 0, 0, 2)
)

const clientPort, serverPort = 50000, 9999

// conversation returns the two streams of a WebSocket connection: the
// handshake, then n text messages each way, then closes.
func conversation(n int, accept string) (c2s, s2c []byte, texts []string) {
	key := "dGhlIHNhbXBsZSBub25jZQ=="
	if accept == "" {
		accept = handshake.AcceptKey(key)
	}
	c2s = []byte("GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n")
	s2c = []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n")
	for i := range n {
		text := strings.Repeat(string(rune('a'+i%26)), 50+i*37)
		texts = append(texts, text)
		c2s = wire.AppendFrame(c2s, wire.Header{Fin: true, Opcode: wire.OpText, Masked: true, Mask: [4]byte{9, 8, 7, byte(i)}}, []byte(text))
		s2c = wire.AppendFrame(s2c, wire.Header{Fin: true, Opcode: wire.OpText}, []byte(text))
	}
	c2s = wire.AppendFrame(c2s, wire.Header{Fin: true, Opcode: wire.OpClose, Masked: true}, wire.AppendClosePayload(nil, 1000, "done"))
	s2c = wire.AppendFrame(s2c, wire.Header{Fin: true, Opcode: wire.OpClose}, wire.AppendClosePayload(nil, 1000, "done"))
	return c2s, s2c, texts
}

// segments cuts the streams into segments of at most size bytes, SYNs
// first, then the two directions alternating, FINs last.
func segments(c2s, s2c []byte, size int) []segment {
	segs := []segment{{fromClient: true, syn: true}, {fromClient: false, syn: true}}
	var ci, si int
	for ci < len(c2s) || si < len(s2c) {
		if ci < len(c2s) {
			k := min(size, len(c2s)-ci)
			segs = append(segs, segment{fromClient: true, seq: uint32(ci), data: c2s[ci : ci+k]})
			ci += k
		}
		if si < len(s2c) {
			k := min(size, len(s2c)-si)
			segs = append(segs, segment{fromClient: false, seq: uint32(si), data: s2c[si : si+k]})
			si += k
		}
	}
	return append(segs, segment{fromClient: true, seq: uint32(len(c2s)), fin: true}, segment{fromClient: false, seq: uint32(len(s2c)), fin: true})
}

// packets turns segments into Ethernet frames.
func packets(t *testing.T, segs []segment) [][]byte {
	const clientISN, serverISN = 1000, 5000000
	var out [][]byte
	for _, s := range segs {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: clientAddr, DstIP: serverAddr}
		tcp := &layers.TCP{SrcPort: clientPort, DstPort: serverPort, SYN: s.syn, FIN: s.fin, ACK: !s.syn, PSH: len(s.data) > 0, Window: 65535}
		isn := uint32(clientISN)
		if !s.fromClient {
			ip.SrcIP, ip.DstIP = serverAddr, clientAddr
			tcp.SrcPort, tcp.DstPort = serverPort, clientPort
			isn = serverISN
			tcp.ACK = true // the SYN-ACK too
		}
		tcp.Seq = isn + 1 + s.seq
		if s.syn {
			tcp.Seq = isn
		}
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
		tcp.SetNetworkLayerForChecksum(ip)
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp, gopacket.Payload(s.data)); err != nil {
			t.Fatal(err)
		}
		out = append(out, bytes.Clone(buf.Bytes()))
	}
	return out
}

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// writePcap writes packets as a pcap file, or pcapng.
func writePcap(t *testing.T, pkts [][]byte, ng bool) []byte {
	var b bytes.Buffer
	if ng {
		w, err := pcapgo.NewNgWriter(&b, layers.LinkTypeEthernet)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range pkts {
			ci := gopacket.CaptureInfo{Timestamp: epoch.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(p), Length: len(p)}
			if err := w.WritePacket(ci, p); err != nil {
				t.Fatal(err)
			}
		}
		w.Flush()
		return b.Bytes()
	}
	w := pcapgo.NewWriter(&b)
	w.WriteFileHeader(65536, layers.LinkTypeEthernet)
	for i, p := range pkts {
		ci := gopacket.CaptureInfo{Timestamp: epoch.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(p), Length: len(p)}
		if err := w.WritePacket(ci, p); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// result is what decoding a capture gave.
type result struct {
	texts    [2][]string
	closes   int
	findings []*inspect.Finding
	notes    []error
	conns    []*pcap.Conn
	ends     int
}

type handler struct {
	r   *result
	cur [2][]byte
}

func (h *handler) Control(dir inspect.Dir, p []byte, _ time.Time, fi *inspect.FrameInfo) {
	if fi == nil {
		h.r.ends++
	} else if fi.Header.Opcode == wire.OpClose {
		h.r.closes++
	}
}

func (h *handler) Data(dir inspect.Dir, p []byte, eom bool, _ time.Time, fi *inspect.FrameInfo) {
	if fi.First {
		h.cur[dir] = nil
	}
	h.cur[dir] = append(h.cur[dir], p...)
	if eom {
		h.r.texts[dir] = append(h.r.texts[dir], string(h.cur[dir]))
	}
}

func (h *handler) Finding(f *inspect.Finding) { h.r.findings = append(h.r.findings, f) }

func decode(t *testing.T, file []byte, midstream bool) *result {
	t.Helper()
	r := &result{}
	err := pcap.Read(bytes.NewReader(file), &pcap.Options{
		Midstream: midstream,
		Handler: func(c *pcap.Conn) inspect.Handler {
			r.conns = append(r.conns, c)
			return &handler{r: r}
		},
		Note: func(c *pcap.Conn, _ time.Time, err error) { r.notes = append(r.notes, err) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReadInOrder(t *testing.T) {
	c2s, s2c, texts := conversation(8, "")
	for _, ng := range []bool{false, true} {
		r := decode(t, writePcap(t, packets(t, segments(c2s, s2c, 100)), ng), false)
		check(t, r, texts, texts)
		if len(r.conns) != 1 || r.conns[0].Client.Port() != clientPort || r.conns[0].Server.Port() != serverPort || r.conns[0].Upgrade == nil {
			t.Errorf("connections %+v", r.conns)
		}
	}
}

func check(t *testing.T, r *result, c2s, s2c []string) {
	t.Helper()
	for _, f := range r.findings {
		t.Errorf("finding: %v", f)
	}
	for _, n := range r.notes {
		t.Errorf("note: %v", n)
	}
	if !equal(r.texts[0], c2s) || !equal(r.texts[1], s2c) {
		t.Errorf("decoded %d and %d messages, want %d and %d, or different", len(r.texts[0]), len(r.texts[1]), len(c2s), len(s2c))
	}
	if r.closes != 2 || r.ends != 2 {
		t.Errorf("%d closes and %d ends, want 2 each", r.closes, r.ends)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestReadReorderedAndRetransmitted(t *testing.T) {
	c2s, s2c, texts := conversation(8, "")
	segs := segments(c2s, s2c, 60)
	r := rand.New(rand.NewPCG(7, 7))
	// Swap neighbours after the SYNs, and send some segments twice.
	for i := 2; i+1 < len(segs)-2; i += 2 + r.IntN(3) {
		segs[i], segs[i+1] = segs[i+1], segs[i]
	}
	var out []segment
	for i, s := range segs {
		out = append(out, s)
		if i > 2 && i%5 == 0 && !s.fin {
			out = append(out, s) // a retransmission
		}
	}
	res := decode(t, writePcap(t, packets(t, out), false), false)
	check(t, res, texts, texts)
}

func TestReadGap(t *testing.T) {
	c2s, s2c, texts := conversation(10, "")
	segs := segments(c2s, s2c, 40)
	// Drop one server segment in the middle of the messages.
	drop := -1
	for i := len(segs) / 2; i < len(segs); i++ {
		if !segs[i].fromClient && len(segs[i].data) > 0 {
			drop = i
			break
		}
	}
	segs = append(segs[:drop], segs[drop+1:]...)
	res := decode(t, writePcap(t, packets(t, segs), false), false)
	gaps := 0
	for _, f := range res.findings {
		if errors.Is(f, inspect.ErrGap) {
			gaps++
		}
	}
	if gaps != 1 {
		t.Errorf("findings %v, want one gap", res.findings)
	}
	if !equal(res.texts[0], texts) {
		t.Errorf("client messages damaged by a server gap")
	}
	if n := len(res.texts[1]); n < len(texts)-2 {
		t.Errorf("%d server messages decoded around the gap, want at least %d", n, len(texts)-2)
	}
}

func TestReadMidstream(t *testing.T) {
	c2s, s2c, texts := conversation(10, "")
	segs := segments(c2s, s2c, 80)
	segs = segs[2+2*4:] // no SYNs, no handshake, and part of the first messages
	for _, midstream := range []bool{false, true} {
		res := decode(t, writePcap(t, packets(t, segs), false), midstream)
		if len(res.notes) != 1 || !errors.Is(res.notes[0], pcap.ErrNoHandshake) {
			t.Errorf("notes %v, want ErrNoHandshake", res.notes)
		}
		if !midstream {
			if len(res.texts[0])+len(res.texts[1]) != 0 {
				t.Errorf("decoded without --midstream")
			}
			continue
		}
		for _, dir := range []int{0, 1} {
			got := res.texts[dir]
			if len(got) < len(texts)-3 || !equal(got, texts[len(texts)-len(got):]) {
				t.Errorf("dir %d: %d messages decoded midstream, want the last %d or more", dir, len(got), len(texts)-3)
			}
		}
	}
}

func TestReadBadHandshake(t *testing.T) {
	c2s, s2c, _ := conversation(2, "AAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	res := decode(t, writePcap(t, packets(t, segments(c2s, s2c, 1000)), false), true)
	if len(res.notes) != 1 || !errors.Is(res.notes[0], inspect.ErrNotUpgrade) || !errors.Is(res.notes[0], handshake.ErrBadAccept) {
		t.Errorf("notes %v, want a bad accept", res.notes)
	}
	if len(res.conns) != 0 {
		t.Errorf("a connection with a bad handshake was decoded")
	}
}

func TestReadNotACapture(t *testing.T) {
	if err := pcap.Read(strings.NewReader("hello, this is not a capture"), &pcap.Options{}); !errors.Is(err, pcap.ErrFormat) {
		t.Errorf("got %v, want ErrFormat", err)
	}
}
