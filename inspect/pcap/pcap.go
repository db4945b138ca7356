package pcap

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/google/gopacket/reassembly"

	"github.com/wskit/websocket/inspect"
)

// Conn is a TCP connection found in a capture.
type Conn struct {
	// ID numbers the connections in the order their first packet appears,
	// from 1.
	ID int

	// Client and Server are the two ends. For a midstream connection they
	// are a guess until the flow has found its framing.
	Client, Server netip.AddrPort

	// Start is the capture time of the end of the handshake, or of the
	// first bytes decoded midstream.
	Start time.Time

	// Upgrade is the handshake observed, nil for a midstream connection.
	Upgrade *inspect.Upgrade

	// Flow decodes the connection; nil before the handshake is complete and
	// for a connection that is not decoded.
	Flow *inspect.Flow
}

// Options says what to do with the connections found.
type Options struct {
	// Handler returns the handler for a WebSocket connection, once its
	// handshake has been checked (or, midstream, when its first bytes
	// arrive). It must be set.
	Handler func(c *Conn) inspect.Handler

	// Note, when set, is told about a connection whose handshake is not a
	// valid upgrade (the error wraps inspect.ErrNotUpgrade; it is not
	// decoded), and about one whose start is missing from the capture
	// (ErrNoHandshake; decoded from the middle when Midstream is set).
	Note func(c *Conn, t time.Time, err error)

	// Midstream decodes connections whose opening handshake is not in the
	// capture, as inspect.NewMidstreamFlow does.
	Midstream bool
}

// ErrNoHandshake is a connection whose start is not in the capture.
var ErrNoHandshake = errors.New("websocket inspect: capture starts after the opening handshake")

// ErrFormat is a file that is neither pcap nor pcapng, or an unsupported
// link type.
var ErrFormat = errors.New("websocket inspect: not a pcap or pcapng capture")

// ReadFile decodes the capture file at path.
func ReadFile(path string, o *Options) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return Read(f, o)
}

// packetSource is what both file formats give.
type packetSource interface {
	ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	LinkType() layers.LinkType
}

// Read decodes a capture, pcap or pcapng (told apart by their first
// bytes), and calls o's functions for the WebSocket connections in it.
// It returns an error only when the file cannot be read; a damaged
// packet is skipped.
func Read(r io.Reader, o *Options) error {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, err := br.Peek(4)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrFormat, err)
	}
	var src packetSource
	if bytes.Equal(magic, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		src, err = pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
	} else {
		src, err = pcapgo.NewReader(br)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrFormat, err)
	}
	var first gopacket.Decoder
	switch lt := src.LinkType(); lt {
	case layers.LinkTypeEthernet, layers.LinkTypeNull, layers.LinkTypeLoop, layers.LinkTypeRaw,
		layers.LinkTypeLinuxSLL, layers.LinkTypeIPv4, layers.LinkTypeIPv6:
		first = lt
	default:
		return fmt.Errorf("%w: link type %v", ErrFormat, lt)
	}

	d := &decoder{opts: o}
	pool := reassembly.NewStreamPool(d)
	asm := reassembly.NewAssembler(pool)
	// Bound the segments held while waiting for a missing one: past this,
	// the hole is given up as a gap and the stream goes on.
	asm.AssemblerOptions.MaxBufferedPagesPerConnection = 4096
	asm.AssemblerOptions.MaxBufferedPagesTotal = 65536
	var last time.Time
	for {
		data, ci, err := src.ReadPacketData()
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			break // a capture cut off in its last packet ends there
		}
		if err != nil {
			return err
		}
		last = ci.Timestamp
		pkt := gopacket.NewPacket(data, first, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
		tcp, _ := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if tcp == nil || pkt.NetworkLayer() == nil {
			continue
		}
		ctx := &captureContext{ci: ci}
		asm.AssembleWithContext(pkt.NetworkLayer().NetworkFlow(), tcp, ctx)
	}
	asm.FlushAll()
	// Connections still open at the end of the capture.
	for s := range d.open {
		s.close(last)
	}
	return nil
}

// captureContext gives the assembler each packet's capture time.
type captureContext struct{ ci gopacket.CaptureInfo }

func (c *captureContext) GetCaptureInfo() gopacket.CaptureInfo { return c.ci }
