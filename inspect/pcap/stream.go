package pcap

import (
	"bufio"
	"bytes"
	"net/http"
	"net/netip"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/reassembly"

	"github.com/wskit/websocket/handshake"
	"github.com/wskit/websocket/inspect"
)

// maxHead bounds the bytes kept of each half while waiting for the HTTP
// heads of the handshake.
const maxHead = 64 << 10

// decoder makes a stream for each TCP connection.
type decoder struct {
	opts   *Options
	nextID int
	open   map[*stream]struct{}
}

func (d *decoder) New(netFlow, tcpFlow gopacket.Flow, tcp *layers.TCP, ac reassembly.AssemblerContext) reassembly.Stream {
	d.nextID++
	src, _ := netip.AddrFromSlice(netFlow.Src().Raw())
	dst, _ := netip.AddrFromSlice(netFlow.Dst().Raw())
	a := netip.AddrPortFrom(src.Unmap(), uint16(tcp.SrcPort))
	b := netip.AddrPortFrom(dst.Unmap(), uint16(tcp.DstPort))
	s := &stream{d: d, conn: &Conn{ID: d.nextID, Client: a, Server: b}}
	if tcp.SYN && tcp.ACK {
		// The first packet seen is the server's SYN-ACK.
		s.conn.Client, s.conn.Server = b, a
		s.clientHalf = reassembly.TCPDirServerToClient
	}
	if d.open == nil {
		d.open = map[*stream]struct{}{}
	}
	d.open[s] = struct{}{}
	return s
}

// Stream states.
const (
	stHeads   = iota // waiting for the request and the response
	stFlow           // a flow decodes the connection
	stIgnored        // not a WebSocket connection
)

// stream is one TCP connection.
type stream struct {
	d          *decoder
	conn       *Conn
	state      int
	clientHalf reassembly.TCPFlowDirection // the half that sent the request
	heads      [2][]byte                   // by half, until the handshake is complete
	started    [2]bool                     // the half's first bytes were seen
	midstream  bool
	last       time.Time
}

func half(d reassembly.TCPFlowDirection) int {
	if d == reassembly.TCPDirClientToServer {
		return 0
	}
	return 1
}

// Accept takes every segment, and starts a half without a SYN too, so
// that a connection captured midway can be decoded.
func (s *stream) Accept(tcp *layers.TCP, ci gopacket.CaptureInfo, dir reassembly.TCPFlowDirection, nextSeq reassembly.Sequence, start *bool, ac reassembly.AssemblerContext) bool {
	*start = true
	return true
}

// dir maps a TCP half to the direction of the flow.
func (s *stream) dir(h reassembly.TCPFlowDirection) inspect.Dir {
	if h == s.clientHalf {
		return inspect.ClientToServer
	}
	return inspect.ServerToClient
}

func (s *stream) ReassembledSG(sg reassembly.ScatterGather, ac reassembly.AssemblerContext) {
	h, _, end, skip := sg.Info()
	n, _ := sg.Lengths()
	var t time.Time
	if ac != nil {
		t = ac.GetCaptureInfo().Timestamp
	}
	if n > 0 {
		t = sg.CaptureInfo(n - 1).Timestamp
	}
	s.last = t
	data := sg.Fetch(n)
	i := half(h)
	first := !s.started[i]
	if n > 0 {
		s.started[i] = true
	}
	switch s.state {
	case stIgnored:
		return
	case stFlow:
		if skip > 0 {
			s.conn.Flow.Gap(s.dir(h), int64(skip), t)
		}
		s.conn.Flow.Feed(s.dir(h), data, end, t)
		return
	}
	if skip > 0 || (first && skip < 0 && n > 0 && !looksHTTP(data)) {
		// The half's start is not in the capture.
		s.startMidstream(h, data, end, t)
		return
	}
	s.heads[i] = append(s.heads[i], data...)
	if len(s.heads[i]) > maxHead || (len(s.heads[i]) >= 5 && !looksHTTP(s.heads[i])) {
		s.startMidstream(h, nil, end, t)
		return
	}
	s.tryHandshake(t)
}

// looksHTTP reports whether b could start an HTTP request or response.
func looksHTTP(b []byte) bool {
	for _, p := range []string{"GET ", "HTTP/"} {
		k := min(len(b), len(p))
		if bytes.Equal(b[:k], []byte(p[:k])) {
			return true
		}
	}
	return false
}

// tryHandshake starts the flow once both heads are complete.
func (s *stream) tryHandshake(t time.Time) {
	ci := 0
	if !bytes.HasPrefix(s.heads[0], []byte("GET ")) {
		ci = 1
	}
	reqB, respB := s.heads[ci], s.heads[1-ci]
	rn, sn := inspect.HeadLen(reqB), inspect.HeadLen(respB)
	if rn == 0 || sn == 0 {
		return
	}
	if ci == 1 {
		s.clientHalf = reassembly.TCPDirServerToClient
		s.conn.Client, s.conn.Server = s.conn.Server, s.conn.Client
	} else {
		s.clientHalf = reassembly.TCPDirClientToServer
	}
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(reqB[:rn])))
	if err != nil || !handshake.IsUpgradeRequest(req) {
		s.state = stIgnored // plain HTTP, or not HTTP at all
		s.heads = [2][]byte{}
		return
	}
	u, err := inspect.ParseUpgrade(reqB[:rn], respB[:sn])
	if err != nil {
		s.state = stIgnored
		s.heads = [2][]byte{}
		if s.d.opts.Note != nil {
			s.d.opts.Note(s.conn, t, err)
		}
		return
	}
	s.conn.Upgrade = u
	s.conn.Start = t
	flow := inspect.NewFlowFrom(u, s.d.opts.Handler(s.conn))
	s.conn.Flow = flow
	s.state = stFlow
	rest := [2][]byte{reqB[rn:], respB[sn:]}
	s.heads = [2][]byte{}
	flow.Feed(inspect.ClientToServer, rest[0], false, t)
	flow.Feed(inspect.ServerToClient, rest[1], false, t)
}

// startMidstream decodes a connection whose start is missing, or notes it.
func (s *stream) startMidstream(h reassembly.TCPFlowDirection, data []byte, end bool, t time.Time) {
	if s.d.opts.Note != nil {
		s.d.opts.Note(s.conn, t, ErrNoHandshake)
	}
	if !s.d.opts.Midstream {
		s.state = stIgnored
		s.heads = [2][]byte{}
		return
	}
	s.midstream = true
	s.conn.Start = t
	s.conn.Flow = inspect.NewMidstreamFlow(nil, s.d.opts.Handler(s.conn))
	s.state = stFlow
	heads := s.heads
	s.heads = [2][]byte{}
	for i, b := range heads {
		if len(b) > 0 {
			s.conn.Flow.Feed(inspect.Dir(i), b, false, t)
		}
	}
	if len(data) > 0 || end {
		s.conn.Flow.Feed(inspect.Dir(half(h)), data, end, t)
	}
}

func (s *stream) ReassemblyComplete(ac reassembly.AssemblerContext) bool {
	t := s.last
	if ac != nil && ac.GetCaptureInfo().Timestamp.After(t) {
		t = ac.GetCaptureInfo().Timestamp
	}
	if t.Before(s.last) {
		t = s.last
	}
	s.close(t)
	return true
}

func (s *stream) close(t time.Time) {
	if _, ok := s.d.open[s]; !ok {
		return
	}
	delete(s.d.open, s)
	if s.conn.Flow != nil {
		s.conn.Flow.Close(t)
	}
}
