package conformance_test

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wskit/websocket/handshake"
	"github.com/wskit/websocket/wire"
)

// A small raw echo endpoint on wire and handshake, written here apart from
// the tester so that the tester is checked against something it does not
// share code with. With no bugs it is a correct RFC 6455 / RFC 7692 echo
// peer; each bug breaks it in one way the suite must catch.
type bugs struct {
	noUTF8       bool            // never checks UTF-8, in messages or close reasons
	lateUTF8     bool            // checks UTF-8 only once a message is complete
	noChecks     bool            // no frame header rules: RSV bits, reserved opcodes, control frame and fragmentation rules
	closeCode    wire.StatusCode // answers every close with this code
	noCloseCheck bool            // answers any close payload, valid or not, with the same code
	neverClose   bool            // ignores close frames and never fails the connection
	linger       bool            // as server, leaves closing TCP to the client after the closing handshake
	noPong       bool            // does not answer pings
	maxMessage   int             // fails messages larger than this with 1009 (0: no limit)
	noDeflate    bool            // declines permessage-deflate
	lieNoContext bool            // grants server_no_context_takeover but keeps using context
	lieWindow    bool            // grants a small window but compresses with 32 KiB
	ignoreWindow bool            // answers server_max_window_bits without it and compresses with 32 KiB, as gorilla does
	hintBinding  bool            // takes client_no_context_takeover in an offer as binding but leaves it out of the response
}

// peerDeflate is the echo peer's permessage-deflate, apart from the
// tester's: a flate.Writer kept across messages (reset per message without
// context takeover; Huffman-only under a window limit), and inflation with
// the previous 32 KiB as dictionary.
type peerDeflate struct {
	w        *flate.Writer
	out      bytes.Buffer
	resetOut bool // compress each message on its own
	resetIn  bool // the other side compresses each message on its own
	dict     []byte
}

func newPeerDeflate(resetOut, small, resetIn bool) *peerDeflate {
	d := &peerDeflate{resetOut: resetOut, resetIn: resetIn}
	level := flate.DefaultCompression
	if small {
		level = flate.HuffmanOnly // no back-references: fits any window
	}
	d.w, _ = flate.NewWriter(&d.out, level)
	return d
}

func (d *peerDeflate) compress(p []byte) []byte {
	d.out.Reset()
	if d.resetOut {
		d.w.Reset(&d.out)
	}
	d.w.Write(p)
	d.w.Flush()
	return bytes.TrimSuffix(d.out.Bytes(), []byte{0, 0, 0xff, 0xff})
}

func (d *peerDeflate) inflate(p []byte) ([]byte, error) {
	src := append(bytes.Clone(p), 0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff)
	var dict []byte
	if !d.resetIn {
		dict = d.dict
	}
	out, err := io.ReadAll(flate.NewReaderDict(bytes.NewReader(src), dict))
	if err != nil {
		return nil, err
	}
	d.dict = append(d.dict, out...)
	if len(d.dict) > 32768 {
		d.dict = d.dict[len(d.dict)-32768:]
	}
	return out, nil
}

// peer is one end of an echo connection.
type peer struct {
	nc   net.Conn
	r    io.Reader
	role wire.Role
	b    bugs
	defl *peerDeflate
	// quiet peers do not echo; got receives each message.
	quiet bool
	got   func(op wire.Opcode, p []byte)
}

func (p *peer) frame(op wire.Opcode, rsv byte, payload []byte) []byte {
	h := wire.Header{Fin: true, RSV: rsv, Opcode: op}
	if p.role == wire.RoleClient {
		h.Masked = true
		k := rand.Uint32()
		h.Mask = [4]byte{byte(k), byte(k >> 8), byte(k >> 16), byte(k >> 24)}
	}
	return wire.AppendFrame(nil, h, payload)
}

// failWith fails the connection (RFC 6455 §7.1.7), unless the peer never
// closes, in which case it swallows everything until the tester gives up.
func (p *peer) failWith(code wire.StatusCode) {
	if p.b.neverClose {
		io.Copy(io.Discard, p.r)
		return
	}
	p.nc.Write(p.frame(wire.OpClose, 0, wire.AppendClosePayload(nil, code, "")))
	p.closeTCP()
}

// closeTCP ends the connection: a server at once, a client once the server
// has (RFC 6455 §7.1.1). A lingering server waits for the tester to close,
// bounded well past the tester's own wait for it.
func (p *peer) closeTCP() {
	if p.role == wire.RoleClient || p.b.linger {
		wait := 2 * time.Second
		if p.b.linger {
			wait = 10 * time.Second
		}
		p.nc.SetReadDeadline(time.Now().Add(wait))
		io.Copy(io.Discard, p.r)
	}
	p.nc.Close()
}

// run echoes until the connection ends.
func (p *peer) run() {
	defer p.nc.Close()
	buf := make([]byte, 64<<10)
	var (
		dec     wire.Decoder
		ev      wire.Event
		val     = wire.Validator{Role: p.role}
		utf     wire.UTF8Validator
		msg     []byte
		msgOp   wire.Opcode
		msgRSV  byte
		inMsg   bool
		control []byte
	)
	if p.defl != nil {
		val.ExtensionRSV = wire.RSV1
	}
	for {
		n, rerr := p.r.Read(buf)
		for data := buf[:n]; len(data) > 0; {
			used, err := dec.Decode(data, &ev)
			if err != nil {
				p.failWith(wire.CloseCodeFor(err))
				return
			}
			data = data[used:]
			h := ev.Header
			compressed := msgRSV&wire.RSV1 != 0 && p.defl != nil
			switch ev.Kind {
			case wire.EventHeader:
				if !p.b.noChecks {
					if err := val.Check(h); err != nil {
						p.failWith(wire.CloseCodeFor(err))
						return
					}
				}
				switch {
				case h.Opcode.IsControl():
					control = control[:0]
				case h.Opcode == wire.OpContinuation && inMsg:
				default: // a new message (or, without checks, whatever comes)
					msg, msgOp, msgRSV, inMsg = msg[:0], h.Opcode, h.RSV, true
					if msgOp == wire.OpContinuation {
						msgOp = wire.OpText
					}
					utf.Reset()
				}
				if p.b.maxMessage > 0 && !h.Opcode.IsControl() && len(msg)+int(h.Length) > p.b.maxMessage {
					p.failWith(wire.StatusMessageTooBig)
					return
				}
			case wire.EventPayload:
				if h.Opcode.IsControl() {
					control = append(control, ev.Payload...)
					break
				}
				msg = append(msg, ev.Payload...)
				compressed = msgRSV&wire.RSV1 != 0 && p.defl != nil
				if msgOp == wire.OpText && !compressed && !p.b.noUTF8 && !p.b.lateUTF8 {
					if _, err := utf.Validate(ev.Payload); err != nil {
						p.failWith(wire.StatusInvalidFramePayloadData)
						return
					}
				}
			}
			if !ev.FrameEnd() {
				continue
			}
			if h.Opcode.IsControl() {
				if !p.control(h.Opcode, control) {
					return
				}
				continue
			}
			if !h.Fin {
				continue
			}
			inMsg = false
			payload := msg
			if compressed {
				out, err := p.defl.inflate(payload)
				if err != nil {
					p.failWith(wire.StatusProtocolError)
					return
				}
				payload = out
			}
			if msgOp == wire.OpText && !p.b.noUTF8 {
				if compressed || p.b.lateUTF8 {
					if !utf8.Valid(payload) {
						p.failWith(wire.StatusInvalidFramePayloadData)
						return
					}
				} else if utf.Finish() != nil {
					p.failWith(wire.StatusInvalidFramePayloadData)
					return
				}
			}
			if p.got != nil {
				p.got(msgOp, bytes.Clone(payload))
			}
			if p.quiet {
				continue
			}
			rsv := byte(0)
			if p.b.noChecks {
				rsv = msgRSV
			}
			if p.defl != nil {
				payload, rsv = p.defl.compress(payload), wire.RSV1
			}
			if _, err := p.nc.Write(p.frame(msgOp, rsv, payload)); err != nil {
				return
			}
		}
		if rerr != nil {
			return
		}
	}
}

// control handles a control frame; it returns false when the connection
// is over.
func (p *peer) control(op wire.Opcode, payload []byte) bool {
	switch op {
	case wire.OpPing:
		if !p.b.noPong {
			p.nc.Write(p.frame(wire.OpPong, 0, payload))
		}
	case wire.OpClose:
		if p.b.neverClose {
			return true
		}
		// Answer with the same code (none for none), the failure's code
		// for a bad payload, or the bug's code.
		var cp []byte
		if len(payload) >= 2 {
			cp = payload[:2]
		}
		_, _, err := wire.ParseClosePayload(payload)
		if err != nil && !p.b.noCloseCheck && !(p.b.noUTF8 && errors.Is(err, wire.ErrCloseReasonUTF8)) {
			cp = wire.AppendClosePayload(nil, wire.CloseCodeFor(err), "")
		}
		if p.b.closeCode != 0 {
			cp = wire.AppendClosePayload(nil, p.b.closeCode, "")
		}
		p.nc.Write(p.frame(wire.OpClose, 0, cp))
		p.closeTCP()
		return false
	}
	return true
}

// negotiatePeer is the echo server's permessage-deflate answer to the
// client's offers (RFC 7692 §7.1): the first offer, granting what it asks.
func negotiatePeer(b bugs, offers []handshake.Extension) ([]handshake.Extension, *peerDeflate) {
	if b.noDeflate {
		return nil, nil
	}
	for _, o := range offers {
		if !strings.EqualFold(o.Name, "permessage-deflate") {
			continue
		}
		resp := handshake.Extension{Name: o.Name}
		_, _, noCtx := o.Param("server_no_context_takeover")
		bits, _, limited := o.Param("server_max_window_bits")
		if b.ignoreWindow {
			limited = false
		}
		small := limited && bits != "15"
		if noCtx || b.lieNoContext {
			resp.Params = append(resp.Params, handshake.Param{Name: "server_no_context_takeover"})
		}
		if b.lieWindow && !small {
			bits, small = "9", true
		}
		if limited || small {
			resp.Params = append(resp.Params, handshake.Param{Name: "server_max_window_bits", Value: bits, HasValue: true})
		}
		// client_no_context_takeover in an offer is a hint (RFC 7692
		// §7.1.1.2): only the response makes it binding.
		_, _, clientNoCtx := o.Param("client_no_context_takeover")
		if clientNoCtx && !b.hintBinding {
			resp.Params = append(resp.Params, handshake.Param{Name: "client_no_context_takeover"})
		}
		return []handshake.Extension{resp}, newPeerDeflate(noCtx && !b.lieNoContext, small && !b.lieWindow, clientNoCtx)
	}
	return nil, nil
}

// startEchoServer starts a raw echo server with the given bugs on
// 127.0.0.1 and returns its ws:// URL. It stops at the end of the test.
func startEchoServer(t testing.TB, b bugs) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[nc] = true
			mu.Unlock()
			wg.Go(func() {
				defer func() {
					nc.Close()
					mu.Lock()
					delete(conns, nc)
					mu.Unlock()
				}()
				serveEcho(nc, b)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for nc := range conns {
			nc.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "ws://" + ln.Addr().String() + "/"
}

func serveEcho(nc net.Conn, b bugs) {
	br := bufio.NewReader(nc)
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	offer, err := handshake.CheckRequest(req)
	if err != nil {
		fmt.Fprintf(nc, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
		return
	}
	exts, defl := negotiatePeer(b, offer.Extensions)
	if _, err := nc.Write(handshake.AppendResponse(nil, offer.Key, "", exts, nil)); err != nil {
		return
	}
	nc.SetDeadline(time.Time{})
	(&peer{nc: nc, r: br, role: wire.RoleServer, b: b, defl: defl}).run()
}

// dialPeer connects a raw client to url, offering permessage-deflate, and
// returns the client end ready to run.
func dialPeer(ctx context.Context, rawURL string, b bugs) (*peer, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, err
	}
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	cr := &handshake.ClientRequest{URL: u}
	if !b.noDeflate {
		cr.Extensions = []handshake.Extension{{Name: "permessage-deflate", Params: []handshake.Param{{Name: "client_max_window_bits"}}}}
	}
	req, err := cr.HTTPRequest(ctx)
	if err == nil {
		err = req.Write(nc)
	}
	br := bufio.NewReader(nc)
	var resp *http.Response
	if err == nil {
		resp, err = http.ReadResponse(br, req)
	}
	var res *handshake.ClientResult
	if err == nil {
		res, err = cr.Verify(resp)
	}
	if err != nil {
		nc.Close()
		return nil, err
	}
	nc.SetDeadline(time.Time{})
	p := &peer{nc: nc, r: br, role: wire.RoleClient, b: b}
	for _, e := range res.Extensions {
		_, _, outNoCtx := e.Param("client_no_context_takeover")
		_, _, small := e.Param("client_max_window_bits")
		_, _, inNoCtx := e.Param("server_no_context_takeover")
		p.defl = newPeerDeflate(outNoCtx, small, inNoCtx)
	}
	return p, nil
}

// runEchoClient plays a client under test against the tester at base, the
// way the original suite's clients do: case count, every case, report.
func runEchoClient(ctx context.Context, base, agent string, b bugs) error {
	p, err := dialPeer(ctx, base+"/getCaseCount", bugs{noDeflate: true})
	if err != nil {
		return err
	}
	var count int
	p.quiet = true
	p.got = func(_ wire.Opcode, m []byte) { count, _ = strconv.Atoi(string(m)) }
	p.run()
	if count == 0 {
		return errors.New("no case count")
	}
	for i := 1; i <= count; i++ {
		p, err := dialPeer(ctx, fmt.Sprintf("%s/runCase?case=%d&agent=%s", base, i, agent), b)
		if err != nil {
			return fmt.Errorf("case %d: %w", i, err)
		}
		p.run()
	}
	p, err = dialPeer(ctx, base+"/updateReports?agent="+agent, bugs{noDeflate: true})
	if err != nil {
		return err
	}
	p.quiet = true
	p.run()
	return nil
}
