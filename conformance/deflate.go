package conformance

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	kflate "github.com/klauspost/compress/flate"

	"github.com/wskit/websocket/handshake"
)

// The tester's own permessage-deflate (RFC 7692), written independently of
// the implementation under test; it inflates with compress/flate.

const deflateName = "permessage-deflate"

// deflateParams are the negotiated parameters, seen from the tester.
type deflateParams struct {
	testerNoContext bool // the tester compresses each message on its own
	testerBits      int  // the tester's LZ77 window, 8..15
	peerNoContext   bool // the peer promised no context takeover
	peerBits        int  // the peer's LZ77 window, 8..15
}

func (p *deflateParams) String() string {
	f := func(noCtx bool, bits int) string {
		s := "context takeover"
		if noCtx {
			s = "no context takeover"
		}
		return s + ", window bits " + strconv.Itoa(bits)
	}
	return "tester: " + f(p.testerNoContext, p.testerBits) + "; peer: " + f(p.peerNoContext, p.peerBits)
}

// offerExtensions returns the tester's offers as client, made as the
// original suite makes them: for each parameter set, permessage-deflate
// accepting that the server forbids the tester context takeover and limits
// its window (client_no_context_takeover and client_max_window_bits
// without a value, RFC 7692 §7.1.1.2, §7.1.2.2), and asking the server for
// no context takeover and a window when the set says so.
func offerExtensions(offers []DeflateOffer) []handshake.Extension {
	exts := make([]handshake.Extension, 0, len(offers))
	for _, o := range offers {
		e := handshake.Extension{Name: deflateName, Params: []handshake.Param{
			{Name: "client_no_context_takeover"}, {Name: "client_max_window_bits"},
		}}
		if o.NoContextTakeover {
			e.Params = append(e.Params, handshake.Param{Name: "server_no_context_takeover"})
		}
		if o.MaxWindowBits != 0 {
			e.Params = append(e.Params, handshake.Param{Name: "server_max_window_bits", Value: strconv.Itoa(o.MaxWindowBits), HasValue: true})
		}
		exts = append(exts, e)
	}
	return exts
}

// deflateParamSet is the parsed parameters of one permessage-deflate offer
// or response.
type deflateParamSet struct {
	serverNoContext, clientNoContext bool
	serverBits, clientBits           int  // 0 when absent
	clientBitsBare                   bool // client_max_window_bits without a value
}

func parseWindowBits(name, v string, has bool) (int, error) {
	if !has {
		return 0, fmt.Errorf("%s without a value", name)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 8 || n > 15 || strconv.Itoa(n) != v {
		return 0, fmt.Errorf("%s=%q is not 8 to 15", name, v)
	}
	return n, nil
}

// parseDeflateParams checks an extension's parameters (RFC 7692 §7.1):
// known names, each once, values where required. clientBitsBareOK allows
// client_max_window_bits without a value, as in an offer.
func parseDeflateParams(e handshake.Extension, clientBitsBareOK bool) (deflateParamSet, error) {
	var s deflateParamSet
	seen := map[string]bool{}
	for _, p := range e.Params {
		name := strings.ToLower(p.Name)
		if seen[name] {
			return s, fmt.Errorf("parameter %s given twice", name)
		}
		seen[name] = true
		var err error
		switch name {
		case "server_no_context_takeover", "client_no_context_takeover":
			if p.HasValue {
				return s, fmt.Errorf("%s with a value", name)
			}
			if name == "server_no_context_takeover" {
				s.serverNoContext = true
			} else {
				s.clientNoContext = true
			}
		case "server_max_window_bits":
			s.serverBits, err = parseWindowBits(name, p.Value, p.HasValue)
		case "client_max_window_bits":
			if !p.HasValue && clientBitsBareOK {
				s.clientBitsBare = true
				continue
			}
			s.clientBits, err = parseWindowBits(name, p.Value, p.HasValue)
		default:
			return s, fmt.Errorf("unknown parameter %s", p.Name)
		}
		if err != nil {
			return s, err
		}
	}
	return s, nil
}

// acceptResponse checks the server's answer to offerExtensions and returns
// the negotiated parameters, or nil when the server declined
// permessage-deflate. Like the original suite, it accepts any well-formed
// response (RFC 7692 §7.1: known parameters, each once, valid values) and
// then holds both sides to what the response says, not to what was asked:
// the tester compresses with context takeover unless the response has
// client_no_context_takeover, within the window of client_max_window_bits
// (15 when absent), and inflates the server's messages with the window of
// server_max_window_bits (15 when absent), keeping context unless the
// response has server_no_context_takeover. A response that grants less
// than an offer asked (a server that ignores server_max_window_bits, say)
// is noted in ignored, one line per parameter; it does not fail the case.
func acceptResponse(offers []DeflateOffer, exts []handshake.Extension) (p *deflateParams, ignored []string, err error) {
	var found *handshake.Extension
	for i := range exts {
		if !strings.EqualFold(exts[i].Name, deflateName) {
			return nil, nil, fmt.Errorf("server accepted an extension that was not offered: %s", exts[i].Name)
		}
		if found != nil {
			return nil, nil, errors.New("server accepted permessage-deflate twice")
		}
		found = &exts[i]
	}
	if found == nil {
		return nil, nil, nil
	}
	s, err := parseDeflateParams(*found, false)
	if err != nil {
		return nil, nil, fmt.Errorf("bad permessage-deflate response %q: %v", found.String(), err)
	}
	// Note what the best fitting offer asked and the response left out.
	for i, o := range offers {
		var miss []string
		if o.NoContextTakeover && !s.serverNoContext {
			miss = append(miss, "server_no_context_takeover")
		}
		if o.MaxWindowBits != 0 && (s.serverBits == 0 || s.serverBits > o.MaxWindowBits) {
			miss = append(miss, "server_max_window_bits="+strconv.Itoa(o.MaxWindowBits))
		}
		if i == 0 || len(miss) < len(ignored) {
			ignored = miss
		}
	}
	p = &deflateParams{
		testerNoContext: s.clientNoContext,
		testerBits:      15,
		peerNoContext:   s.serverNoContext,
		peerBits:        15,
	}
	if s.clientBits != 0 {
		p.testerBits = s.clientBits
	}
	if s.serverBits != 0 {
		p.peerBits = s.serverBits
	}
	return p, ignored, nil
}

// answerOffers is the tester as server: it picks the first of the client's
// permessage-deflate offers it can accept while asking the client for the
// first of wants that the offer allows, and returns its response and the
// negotiated parameters. It returns nil when the client offered nothing
// usable.
func answerOffers(wants []DeflateOffer, offered []handshake.Extension) (*handshake.Extension, *deflateParams) {
	for _, want := range wants {
		for _, e := range offered {
			if !strings.EqualFold(e.Name, deflateName) {
				continue
			}
			s, err := parseDeflateParams(e, true)
			if err != nil {
				continue // an offer the server cannot accept is declined (RFC 7692 §5)
			}
			if want.MaxWindowBits != 0 && !s.clientBitsBare && s.clientBits == 0 {
				continue // the client cannot limit its window
			}
			resp := handshake.Extension{Name: deflateName}
			p := &deflateParams{testerBits: 15, peerBits: 15}
			if s.serverNoContext {
				resp.Params = append(resp.Params, handshake.Param{Name: "server_no_context_takeover"})
				p.testerNoContext = true
			}
			if s.serverBits != 0 {
				resp.Params = append(resp.Params, handshake.Param{Name: "server_max_window_bits", Value: strconv.Itoa(s.serverBits), HasValue: true})
				p.testerBits = s.serverBits
			}
			if want.NoContextTakeover || s.clientNoContext {
				resp.Params = append(resp.Params, handshake.Param{Name: "client_no_context_takeover"})
				p.peerNoContext = true
			}
			bits := s.clientBits
			if want.MaxWindowBits != 0 && (bits == 0 || want.MaxWindowBits < bits) {
				bits = want.MaxWindowBits
			}
			if bits != 0 {
				resp.Params = append(resp.Params, handshake.Param{Name: "client_max_window_bits", Value: strconv.Itoa(bits), HasValue: true})
				p.peerBits = bits
			}
			return &resp, p
		}
	}
	return nil, nil
}

// deflateTail is what RFC 7692 §7.2.1 strips from the end of each
// compressed message: the empty stored block a sync flush ends with.
var deflateTail = []byte{0x00, 0x00, 0xff, 0xff}

// compressor compresses the tester's messages (RFC 7692 §7.2.1). With the
// full 32 KiB window it uses a DEFLATE stream kept across messages under
// context takeover (so a message may refer into earlier ones) or reset for
// each message. With a smaller window it uses [lz77], whose references
// never reach further back than the window the peer allocated.
//
// The stream's encoder is chosen by the first message, as the messages of
// one case share a size: compress/flate for short ones, since
// klauspost/compress writes a message under 128 bytes without references
// and forgets its history; klauspost/compress for the rest, 2 to 20 times
// faster on the suite's payloads (incompressible ones most), which is most
// of the tester's CPU time in groups 12 and 13.
type compressor struct {
	w     flateWriter
	out   bytes.Buffer
	lz    *lz77
	noCtx bool
}

// flateWriter is what compress/flate's and klauspost/compress's writers
// share.
type flateWriter interface {
	Write([]byte) (int, error)
	Flush() error
	Reset(io.Writer)
}

// flateLevel is the level of both encoders: fast, and unlike BestSpeed it
// refers back across flushes for short messages too.
const flateLevel = 2

// kflateFrom is the shortest message klauspost/compress encodes with
// references instead of as literals.
const kflateFrom = 128

func newCompressor(bits int, noContext bool) *compressor {
	c := &compressor{noCtx: noContext}
	if bits < 15 {
		c.lz = newLZ77(bits)
	}
	return c
}

// compress returns the compressed form of msg, valid until the next call.
func (c *compressor) compress(msg []byte) []byte {
	if c.lz != nil {
		return c.lz.compress(msg, !c.noCtx)
	}
	c.out.Reset()
	switch {
	case c.w == nil && len(msg) < kflateFrom:
		c.w, _ = flate.NewWriter(&c.out, flateLevel) // a valid level: no error
	case c.w == nil:
		c.w, _ = kflate.NewWriter(&c.out, flateLevel)
	case c.noCtx:
		c.w.Reset(&c.out)
	}
	c.w.Write(msg) // writes to a bytes.Buffer cannot fail
	c.w.Flush()
	return bytes.TrimSuffix(c.out.Bytes(), deflateTail)
}

// decompressor inflates the peer's messages (RFC 7692 §7.2.2). Under
// context takeover each message starts with the last 2^bits bytes of the
// ones before as its dictionary; without, with none, so a peer that
// promised no context takeover and refers back anyway produces an error
// here.
type decompressor struct {
	r       io.ReadCloser
	in      bytes.Reader
	buf     []byte
	window  int
	noCtx   bool
	history []byte
	last    int // the length of the last message inflated
}

func newDecompressor(bits int, noContext bool) *decompressor {
	return &decompressor{window: 1 << bits, noCtx: noContext}
}

// deflateEnd is appended to a compressed message: the tail the sender
// stripped, then an empty final stored block so that the reader ends
// cleanly.
var deflateEnd = []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// decompress appends the inflated form of payload to dst. limit bounds the
// output: a message that inflates to more is an error.
func (d *decompressor) decompress(dst, payload []byte, limit int) ([]byte, error) {
	d.buf = append(append(d.buf[:0], payload...), deflateEnd...)
	d.in.Reset(d.buf)
	var dict []byte
	if !d.noCtx {
		dict = d.history
	}
	if d.r == nil {
		d.r = flate.NewReaderDict(&d.in, dict)
	} else if err := d.r.(flate.Resetter).Reset(&d.in, dict); err != nil {
		return dst, err
	}
	start := len(dst)
	// The messages of a case share a size: room for the last one's, and
	// for the read that finds the end, saves regrowing for each.
	dst = slices.Grow(dst, d.last+4096)
	for {
		if cap(dst)-len(dst) < 4096 {
			dst = slices.Grow(dst, max(4096, len(dst)))
		}
		n, err := d.r.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if len(dst)-start > limit {
			return dst, fmt.Errorf("message inflates to more than %d bytes", limit)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return dst, fmt.Errorf("bad compressed data: %v", err)
		}
	}
	if d.in.Len() > len(deflateEnd) {
		return dst, errors.New("compressed data goes on after a final block")
	}
	d.last = len(dst) - start
	if !d.noCtx {
		out := dst[start:]
		if len(out) >= d.window {
			d.history = append(d.history[:0], out[len(out)-d.window:]...)
		} else {
			d.history = append(d.history, out...)
			if len(d.history) > d.window {
				d.history = append(d.history[:0], d.history[len(d.history)-d.window:]...)
			}
		}
	}
	return dst, nil
}
