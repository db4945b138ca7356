package conformance

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/wskit/websocket/wire"
)

// DefaultCaseTimeout bounds a case whose specification gives no limit of its
// own.
const DefaultCaseTimeout = 60 * time.Second

var (
	casesOnce sync.Once
	allCases  []Case
)

// Cases returns the 517 cases in the order of the original suite, groups 1
// to 7, 9, 10, 12 and 13. The slice is new on every call, but the cases
// share their payloads: treat them as read-only.
func Cases() []Case {
	casesOnce.Do(func() {
		var cs []Case
		cs = append(cs, framingCases()...)
		cs = append(cs, pingCases()...)
		cs = append(cs, reservedBitCases()...)
		cs = append(cs, opcodeCases()...)
		cs = append(cs, fragmentationCases()...)
		cs = append(cs, utf8Cases()...)
		cs = append(cs, closeCases()...)
		cs = append(cs, limitCases()...)
		cs = append(cs, autoFragmentCases()...)
		cs = append(cs, compressionCases()...)
		allCases = cs
	})
	return append([]Case(nil), allCases...)
}

// Frame and step builders, to keep the tables below short.

func fr(op wire.Opcode, payload []byte) Frame { return Frame{Opcode: op, Fin: true, Payload: payload} }

func frag(op wire.Opcode, payload []byte) Frame { return Frame{Opcode: op, Payload: payload} }

func rsv(f Frame, n byte) Frame { f.RSV = n << 4; return f }

func send(frames ...Frame) Step { return Step{Kind: StepSend, Frames: frames} }

func sendChopped(chop int, frames ...Frame) Step {
	return Step{Kind: StepSend, Frames: frames, Chop: chop}
}

func sendFrameWise(frames ...Frame) Step {
	return Step{Kind: StepSend, Frames: frames, FrameWise: true}
}

func sendClosing(frames ...Frame) Step {
	return Step{Kind: StepSend, Frames: frames, Closing: true}
}

func wait(tag string) Step { return Step{Kind: StepWait, Tag: tag} }

func msg(op wire.Opcode, p []byte) Event { return Event{Kind: EventMessage, Opcode: op, Payload: p} }

func pong(p []byte) Event { return Event{Kind: EventPong, Payload: p} }

func timeout(tag string) Event { return Event{Kind: EventTimeout, Tag: tag} }

func closePayload(code uint16, reason []byte) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic("conformance: bad hex in case table: " + s)
	}
	return b
}

func codes(c ...wire.StatusCode) []wire.StatusCode { return c }

// The close expectations shared by many cases.
var (
	// The tester closes with 1000 and the peer answers in kind.
	closeNormal = CloseExpect{ByTester: true, Codes: codes(wire.StatusNormalClosure), Clean: true}
	// The peer must fail the connection with 1002, or drop TCP.
	failProtocol = CloseExpect{Codes: codes(wire.StatusProtocolError)}
	// The peer must fail the connection for bad UTF-8: 1007, or 1002 less
	// precisely, or drop TCP; never noticing fails the case outright.
	failUTF8 = CloseExpect{
		Codes:            codes(wire.StatusInvalidFramePayloadData),
		LaxCodes:         codes(wire.StatusProtocolError),
		WrongCloserFatal: true,
	}
)

const (
	helloWorld = "Hello, world!"
	hasFailed  = "The peer fails the connection at once (1002), or drops TCP."
)

// textPattern returns n bytes of printable ASCII, a pattern that does not
// repeat on short cycles so that misplaced pieces show up.
func textPattern(n int) []byte {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?-"
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = alphabet[x%uint32(len(alphabet))]
	}
	return b
}

// binaryPattern returns n pseudo-random bytes, the same on every call.
func binaryPattern(n int) []byte {
	b := make([]byte, n)
	x := uint64(0x9E3779B97F4A7C15)
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x >> 24)
	}
	return b
}

func opName(op wire.Opcode) string {
	if op == wire.OpText {
		return "text"
	}
	return "binary"
}

// Group 1: text and binary messages of the lengths where the length encoding
// changes (RFC 6455 §5.2: 7-bit up to 125, 16-bit up to 65535, 64-bit above).
func framingCases() []Case {
	var cs []Case
	for g, op := range []wire.Opcode{wire.OpText, wire.OpBinary} {
		for i, n := range []int{0, 125, 126, 127, 128, 65535, 65536, 65536} {
			p := textPattern(n)
			if op == wire.OpBinary {
				p = binaryPattern(n)
			}
			c := Case{
				ID:          fmt.Sprintf("1.%d.%d", g+1, i+1),
				Description: fmt.Sprintf("A %s message of %d bytes in one frame.", opName(op), n),
				Expectation: "The message comes back as sent; the peer answers the tester's close with 1000.",
				Steps:       []Step{send(fr(op, p))},
				Expect:      Expect{OK: []Event{msg(op, p)}},
				Close:       closeNormal,
			}
			if i == 7 {
				c.Description = fmt.Sprintf("A %s message of %d bytes in one frame, written in TCP pieces of 997 bytes.", opName(op), n)
				c.Steps[0].Chop = 997
			}
			cs = append(cs, c)
		}
	}
	return cs
}

// Group 2: pings and pongs (RFC 6455 §5.5.2, §5.5.3).
func pingCases() []Case {
	binary8 := []byte{0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff}
	p125 := binaryPattern(125)
	p126 := binaryPattern(126)
	pingBack := "A pong with the same payload comes back; the peer answers the tester's close with 1000."
	var tenPings []Frame
	var tenPongs []Event
	for i := range 10 {
		p := fmt.Appendf(nil, "ping number %d", i)
		tenPings = append(tenPings, fr(wire.OpPing, p))
		tenPongs = append(tenPongs, pong(p))
	}
	unsolicited := []byte("an unsolicited pong")
	cs := []Case{
		{ID: "2.1", Description: "A ping without payload.", Expectation: pingBack,
			Steps: []Step{send(fr(wire.OpPing, nil))}, Expect: Expect{OK: []Event{pong(nil)}}},
		{ID: "2.2", Description: "A ping with a short text payload.", Expectation: pingBack,
			Steps: []Step{send(fr(wire.OpPing, []byte(helloWorld)))}, Expect: Expect{OK: []Event{pong([]byte(helloWorld))}}},
		{ID: "2.3", Description: "A ping with a short payload that is not UTF-8.", Expectation: pingBack,
			Steps: []Step{send(fr(wire.OpPing, binary8))}, Expect: Expect{OK: []Event{pong(binary8)}}},
		{ID: "2.4", Description: "A ping with 125 bytes of payload, the most a control frame may carry.", Expectation: pingBack,
			Steps: []Step{send(fr(wire.OpPing, p125))}, Expect: Expect{OK: []Event{pong(p125)}}},
		{ID: "2.5", Description: "A ping with 126 bytes of payload, one more than a control frame may carry.",
			Expectation: "The peer fails the connection at once (1002), or drops TCP: control frames carry at most 125 bytes (RFC 6455 §5.5).",
			Steps:       []Step{send(fr(wire.OpPing, p126))}, Close: failProtocol},
		{ID: "2.6", Description: "A ping with 125 bytes of payload, written one byte per TCP write.",
			Expectation: "A pong with the same payload comes back, however the bytes were split; the peer answers the tester's close with 1000.",
			Steps:       []Step{sendChopped(1, fr(wire.OpPing, p125))}, Expect: Expect{OK: []Event{pong(p125)}}},
		{ID: "2.7", Description: "An unsolicited pong without payload, then a wait.",
			Expectation: "Nothing comes back; the peer answers the tester's close with 1000.",
			Steps:       []Step{send(fr(wire.OpPong, nil))}, Expect: Expect{Quiet: true}},
		{ID: "2.8", Description: "An unsolicited pong with a payload, then a wait.",
			Expectation: "Nothing comes back; the peer answers the tester's close with 1000.",
			Steps:       []Step{send(fr(wire.OpPong, unsolicited))}, Expect: Expect{Quiet: true}},
		{ID: "2.9", Description: "An unsolicited pong with a payload, then a ping with another payload.",
			Expectation: "Only the pong for the ping comes back; the peer answers the tester's close with 1000.",
			Steps:       []Step{send(fr(wire.OpPong, unsolicited), fr(wire.OpPing, []byte(helloWorld)))},
			Expect:      Expect{OK: []Event{pong([]byte(helloWorld))}}},
		{ID: "2.10", Description: "Ten pings with different payloads in one TCP write.",
			Expectation: "Ten pongs come back in order (answering only the last of pings in a row is allowed and graded NON-STRICT); the peer answers the tester's close with 1000.",
			Steps:       []Step{send(tenPings...)}, Expect: Expect{OK: tenPongs, NonStrict: tenPongs, CoalescedPongs: true}},
		{ID: "2.11", Description: "Ten pings with different payloads, written one byte per TCP write.",
			Expectation: "Ten pongs come back in order (answering only the last of pings in a row is allowed and graded NON-STRICT); the peer answers the tester's close with 1000.",
			Steps:       []Step{sendChopped(1, tenPings...)}, Expect: Expect{OK: tenPongs, NonStrict: tenPongs, CoalescedPongs: true}},
	}
	for i := range cs {
		if cs[i].ID != "2.5" {
			cs[i].Close = closeNormal
		}
	}
	return cs
}

// Group 3: RSV bits set with no extension negotiated (RFC 6455 §5.2). The
// value n of "RSV = n" sets the three bits as the binary number RSV1 RSV2
// RSV3, so RSV = 1 is RSV3 and RSV = 4 is RSV1.
func reservedBitCases() []Case {
	hello := []byte(helloWorld)
	then := func(n byte) []Frame {
		return []Frame{fr(wire.OpText, hello), rsv(fr(wire.OpText, hello), n), fr(wire.OpPing, hello)}
	}
	echoThenFail := "The first message comes back, then the peer fails the connection (1002) or drops TCP; no pong comes back. Failing before the echo is NON-STRICT."
	echoFirst := Expect{OK: []Event{msg(wire.OpText, hello)}, NonStrict: []Event{}}
	failNow := "The peer fails the connection at once (1002), or drops TCP: no extension gives the RSV bits a meaning."
	cs := []Case{
		{ID: "3.1", Description: "A short text message with RSV = 1.", Expectation: failNow,
			Steps: []Step{send(rsv(fr(wire.OpText, hello), 1))}},
		{ID: "3.2", Description: "A short text message, the same with RSV = 2, then a ping.", Expectation: echoThenFail,
			Steps: []Step{send(then(2)...)}, Expect: echoFirst},
		{ID: "3.3", Description: "A short text message, the same with RSV = 3, then a ping, one TCP write per frame.", Expectation: echoThenFail,
			Steps: []Step{sendFrameWise(then(3)...)}, Expect: echoFirst},
		{ID: "3.4", Description: "A short text message, the same with RSV = 4, then a ping, one byte per TCP write.", Expectation: echoThenFail,
			Steps: []Step{sendChopped(1, then(4)...)}, Expect: echoFirst},
		{ID: "3.5", Description: "A short binary message with RSV = 5.", Expectation: failNow,
			Steps: []Step{send(rsv(fr(wire.OpBinary, []byte{0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff}), 5))}},
		{ID: "3.6", Description: "A ping with RSV = 6.", Expectation: failNow,
			Steps: []Step{send(rsv(fr(wire.OpPing, hello), 6))}},
		{ID: "3.7", Description: "A close frame (1000) with RSV = 7.", Expectation: failNow,
			Steps: []Step{send(rsv(fr(wire.OpClose, closePayload(1000, nil)), 7))}},
	}
	for i := range cs {
		cs[i].Close = failProtocol
	}
	return cs
}

// Group 4: reserved opcodes, data (3-7) and control (11-15) (RFC 6455 §5.2).
func opcodeCases() []Case {
	hello := []byte(helloWorld)
	payload := []byte("payload of a reserved opcode")
	var cs []Case
	for g, first := range []wire.Opcode{3, 11} {
		kind := "data"
		if g == 1 {
			kind = "control"
		}
		for i := range 5 {
			op := first + wire.Opcode(i)
			c := Case{ID: fmt.Sprintf("4.%d.%d", g+1, i+1), Close: failProtocol}
			var p []byte
			with := ""
			if i != 0 && i != 2 {
				p, with = payload, " and a payload"
			}
			if i < 2 {
				c.Description = fmt.Sprintf("A frame with the reserved %s opcode %d%s.", kind, op, with)
				c.Expectation = "The peer fails the connection at once (1002), or drops TCP."
				c.Steps = []Step{send(fr(op, p))}
			} else {
				c.Description = fmt.Sprintf("A short text message, a frame with the reserved %s opcode %d%s, then a ping.", kind, op, with)
				c.Expectation = "The message comes back, then the peer fails the connection (1002) or drops TCP; no pong comes back. Failing before the echo is NON-STRICT."
				c.Steps = []Step{send(fr(wire.OpText, hello), fr(op, p), fr(wire.OpPing, hello))}
				c.Expect = Expect{OK: []Event{msg(wire.OpText, hello)}, NonStrict: []Event{}}
			}
			cs = append(cs, c)
		}
	}
	return cs
}

// Group 5: fragmentation (RFC 6455 §5.4).
func fragmentationCases() []Case {
	f1, f2 := []byte("fragment1"), []byte("fragment2")
	f12 := []byte("fragment1fragment2")
	pingP := []byte("ping in the middle")
	hello := []byte(helloWorld)
	stray := []byte("continuation of nothing")

	echoBack := "The message comes back whole; the peer answers the tester's close with 1000."
	pongThenEcho := "A pong comes back, then the whole message; the peer answers the tester's close with 1000."
	noMessage := "The peer fails the connection at once (1002), or drops TCP: there is no message to continue."
	ways := []struct {
		how  string
		step func(...Frame) Step
	}{
		{"in one TCP write", send},
		{"one TCP write per frame", sendFrameWise},
		{"one byte per TCP write", func(f ...Frame) Step { return sendChopped(1, f...) }},
	}

	cs := []Case{
		{ID: "5.1", Description: "A ping in two fragments.",
			Expectation: "The peer fails the connection at once (1002), or drops TCP: control frames must not be fragmented.",
			Steps:       []Step{send(frag(wire.OpPing, f1), fr(wire.OpContinuation, f2))}, Close: failProtocol},
		{ID: "5.2", Description: "A pong in two fragments.",
			Expectation: "The peer fails the connection at once (1002), or drops TCP: control frames must not be fragmented.",
			Steps:       []Step{send(frag(wire.OpPong, f1), fr(wire.OpContinuation, f2))}, Close: failProtocol},
	}
	for i, w := range ways {
		cs = append(cs, Case{ID: fmt.Sprintf("5.%d", 3+i),
			Description: "A text message in two fragments, " + w.how + ".", Expectation: echoBack,
			Steps:  []Step{w.step(frag(wire.OpText, f1), fr(wire.OpContinuation, f2))},
			Expect: Expect{OK: []Event{msg(wire.OpText, f12)}}, Close: closeNormal})
	}
	for i, w := range ways {
		cs = append(cs, Case{ID: fmt.Sprintf("5.%d", 6+i),
			Description: "A text message in two fragments with a ping between them, " + w.how + ".", Expectation: pongThenEcho,
			Steps:  []Step{w.step(frag(wire.OpText, f1), fr(wire.OpPing, pingP), fr(wire.OpContinuation, f2))},
			Expect: Expect{OK: []Event{pong(pingP), msg(wire.OpText, f12)}}, Close: closeNormal})
	}
	id := 9
	for _, final := range []bool{true, false} { // 5.9-5.11, then 5.12-5.14
		for _, w := range ways {
			cont, what := frag(wire.OpContinuation, stray), "non-final"
			if final {
				cont, what = fr(wire.OpContinuation, stray), "final"
			}
			cs = append(cs, Case{ID: fmt.Sprintf("5.%d", id),
				Description: fmt.Sprintf("A %s continuation frame with no message to continue, then a text message, %s.", what, w.how),
				Expectation: noMessage, Steps: []Step{w.step(cont, fr(wire.OpText, hello))}, Close: failProtocol})
			id++
		}
	}

	twice := func(fin bool) []Frame {
		c := frag(wire.OpContinuation, f1)
		c.Fin = fin
		one := []Frame{c, frag(wire.OpText, f2), fr(wire.OpContinuation, []byte("fragment3"))}
		return append(one, one...)
	}
	cs = append(cs,
		Case{ID: "5.15", Description: "A text message in two fragments, a non-final continuation frame with nothing to continue, then a text message, in one TCP write.",
			Expectation: "The first message comes back, then the peer fails the connection (1002) or drops TCP; failing before the echo is NON-STRICT.",
			Steps:       []Step{send(frag(wire.OpText, f1), fr(wire.OpContinuation, f2), frag(wire.OpContinuation, []byte("fragment3")), fr(wire.OpText, []byte("fragment4")))},
			Expect:      Expect{OK: []Event{msg(wire.OpText, f12)}, NonStrict: []Event{}}, Close: failProtocol},
		Case{ID: "5.16", Description: "Twice: a non-final continuation frame with nothing to continue, then a text message in two fragments.",
			Expectation: noMessage, Steps: []Step{send(twice(false)...)}, Close: failProtocol},
		Case{ID: "5.17", Description: "Twice: a final continuation frame with nothing to continue, then a text message in two fragments.",
			Expectation: noMessage, Steps: []Step{send(twice(true)...)}, Close: failProtocol},
		Case{ID: "5.18", Description: "A text message in two fragments whose second frame has opcode text instead of continuation.",
			Expectation: "The peer fails the connection at once (1002), or drops TCP: a message's later frames must be continuation frames.",
			Steps:       []Step{send(frag(wire.OpText, f1), fr(wire.OpText, f2))}, Close: failProtocol},
	)

	ping1, ping2 := []byte("first ping"), []byte("second ping")
	parts := func(step func(...Frame) Step) []Step {
		return []Step{
			step(frag(wire.OpText, []byte("fragment1")), frag(wire.OpContinuation, []byte("fragment2")), fr(wire.OpPing, ping1)),
			wait("first ping answered"),
			step(frag(wire.OpContinuation, []byte("fragment3")), frag(wire.OpContinuation, []byte("fragment4")),
				fr(wire.OpPing, ping2), fr(wire.OpContinuation, []byte("fragment5"))),
		}
	}
	whole := []byte("fragment1fragment2fragment3fragment4fragment5")
	expect := Expect{OK: []Event{pong(ping1), timeout("first ping answered"), pong(ping2), msg(wire.OpText, whole)}}
	cs = append(cs,
		Case{ID: "5.19", Description: "A text message in five fragments: two fragments and a ping, a one-second wait, two more fragments, a ping and the last fragment.",
			Expectation: "The first pong comes back during the wait, before the message is complete; then the second pong and the whole message; the peer answers the tester's close with 1000.",
			Steps:       parts(send), Expect: expect, Close: closeNormal},
		Case{ID: "5.20", Description: "As 5.19, with one TCP write per frame.",
			Expectation: "As 5.19: how the bytes are split must not matter.",
			Steps:       parts(sendFrameWise), Expect: expect, Close: closeNormal},
	)
	return cs
}

// utf8Groups are the single-frame UTF-8 cases 6.5 to 6.23: each payload is
// sent as one text frame, and whether it must come back or fail the
// connection follows from RFC 3629 (Go's utf8.Valid applies the same rules).
var utf8Groups = []struct {
	group    int
	what     string
	payloads []string
}{
	{5, "valid UTF-8 in several scripts", []string{"68656c6c6f24776f726c64", "68656c6c6fc2a2776f726c64", "68656c6c6fe282ac776f726c64", "68656c6c6ff0a4ada2776f726c64", "cebae1bdb9cf83cebcceb5"}},
	{6, "a Greek word cut after each byte", nil}, // filled from kosme below
	{7, "the first code point of each sequence length", []string{"00", "c280", "e0a080", "f0908080"}},
	{8, "5- and 6-byte forms, which UTF-8 no longer allows", []string{"f888808080", "fc8480808080"}},
	{9, "the last code point of each sequence length", []string{"7f", "dfbf", "efbfbf", "f48fbfbf"}},
	{10, "old 4-, 5- and 6-byte maxima beyond U+10FFFF", []string{"f7bfbfbf", "fbbfbfbfbf", "fdbfbfbfbfbf"}},
	{11, "boundaries around the surrogates and U+10FFFF", []string{"ed9fbf", "ee8080", "efbfbd", "f48fbfbf", "f4908080"}},
	{12, "lone continuation bytes", []string{"80", "bf", "80bf", "80bf80", "80bf80bf", "80bf80bf80", "80bf80bf80bf", "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbe"}},
	{13, "lead bytes each followed by a space", []string{"c020c120c220c320c420c520c620c720c820c920ca20cb20cc20cd20ce20cf20d020d120d220d320d420d520d620d720d820d920da20db20dc20dd20de20", "e020e120e220e320e420e520e620e720e820e920ea20eb20ec20ed20ee20", "f020f120f220f320f420f520f620", "f820f920fa20", "fc20"}},
	{14, "sequences missing their last byte", []string{"c0", "e080", "f08080", "f8808080", "fc80808080", "df", "efbf", "f7bfbf", "fbbfbfbf", "fdbfbfbfbf"}},
	{15, "all the incomplete sequences of 6.14 in a row", []string{"c0e080f08080f8808080fc80808080dfefbff7bfbffbbfbfbffdbfbfbfbf"}},
	{16, "bytes that never appear in UTF-8", []string{"fe", "ff", "fefeffff"}},
	{17, "overlong forms of '/'", []string{"c0af", "e080af", "f08080af", "f8808080af", "fc80808080af"}},
	{18, "the largest overlong form of each length", []string{"c1bf", "e09fbf", "f08fbfbf", "f887bfbfbf", "fc83bfbfbfbf"}},
	{19, "overlong forms of NUL", []string{"c080", "e08080", "f0808080", "f880808080", "fc8080808080"}},
	{20, "single UTF-16 surrogates", []string{"eda080", "edadbf", "edae80", "edafbf", "edb080", "edbe80", "edbfbf"}},
	{21, "paired UTF-16 surrogates", []string{"eda080edb080", "eda080edbfbf", "edadbfedb080", "edadbfedbfbf", "edae80edb080", "edae80edbfbf", "edafbfedb080", "edafbfedbfbf"}},
	{22, "non-characters U+xFFFE and U+xFFFF of each plane", nil}, // generated below
	{23, "the specials U+FFF9 to U+FFFF", []string{"efbfb9", "efbfba", "efbfbb", "efbfbc", "efbfbd", "efbfbe", "efbfbf"}},
}

// kosme is the Greek word κόσμε, the classic UTF-8 test string.
const kosme = "cebae1bdb9cf83cebcceb5"

// Group 6: UTF-8 in text messages (RFC 6455 §8.1, §5.6).
func utf8Cases() []Case {
	echo := "The message comes back as sent; the peer answers the tester's close with 1000."
	fail := "The peer fails the connection (1007, or 1002 less precisely) or drops TCP, at the first invalid byte or at the end of the frame."
	empty := []byte{}
	middle := []byte("middle fragment")
	cs := []Case{
		{ID: "6.1.1", Description: "An empty text message.", Expectation: echo,
			Steps: []Step{send(fr(wire.OpText, empty))}, Expect: Expect{OK: []Event{msg(wire.OpText, empty)}}},
		{ID: "6.1.2", Description: "A text message in three empty fragments.", Expectation: echo,
			Steps:  []Step{send(frag(wire.OpText, empty), frag(wire.OpContinuation, empty), fr(wire.OpContinuation, empty))},
			Expect: Expect{OK: []Event{msg(wire.OpText, empty)}}},
		{ID: "6.1.3", Description: "A text message in three fragments, the first and last empty.", Expectation: echo,
			Steps:  []Step{send(frag(wire.OpText, empty), frag(wire.OpContinuation, middle), fr(wire.OpContinuation, empty))},
			Expect: Expect{OK: []Event{msg(wire.OpText, middle)}}},
	}

	greeting := mustHex("48656c6c6f2dc2b540c39fc3b6c3a4c3bcc3a0c3a12d5554462d382121") // Hello-µ@ßöäüàá-UTF-8!!
	perByte := func(p []byte) []Frame {
		fs := make([]Frame, len(p))
		for i := range p {
			op := wire.OpContinuation
			if i == 0 {
				op = wire.OpText
			}
			fs[i] = Frame{Opcode: op, Fin: i == len(p)-1, Payload: p[i : i+1]}
		}
		return fs
	}
	k := mustHex(kosme)
	bad := mustHex(kosme + "eda080656469746564") // κόσμε, a surrogate, "edited"
	cs = append(cs,
		Case{ID: "6.2.1", Description: "Valid UTF-8 text (0x" + hex.EncodeToString(greeting) + ") in one frame.", Expectation: echo,
			Steps: []Step{send(fr(wire.OpText, greeting))}, Expect: Expect{OK: []Event{msg(wire.OpText, greeting)}}},
		Case{ID: "6.2.2", Description: "The same valid UTF-8 text in two fragments split between code points.", Expectation: echo,
			Steps:  []Step{send(frag(wire.OpText, greeting[:15]), fr(wire.OpContinuation, greeting[15:]))},
			Expect: Expect{OK: []Event{msg(wire.OpText, greeting)}}},
		Case{ID: "6.2.3", Description: "The same valid UTF-8 text in one-byte fragments, most ending inside a code point, one TCP write per frame.", Expectation: echo,
			Steps: []Step{sendFrameWise(perByte(greeting)...)}, Expect: Expect{OK: []Event{msg(wire.OpText, greeting)}}},
		Case{ID: "6.2.4", Description: "Valid UTF-8 text (0x" + kosme + ") in one-byte fragments, one TCP write per frame.", Expectation: echo,
			Steps: []Step{sendFrameWise(perByte(k)...)}, Expect: Expect{OK: []Event{msg(wire.OpText, k)}}},
		Case{ID: "6.3.1", Description: "Invalid UTF-8 text (0x" + hex.EncodeToString(bad) + ", with a surrogate) in one frame.", Expectation: fail,
			Steps: []Step{send(fr(wire.OpText, bad))}, Close: failUTF8},
		Case{ID: "6.3.2", Description: "The same invalid UTF-8 text in one-byte fragments, one TCP write per frame.", Expectation: fail,
			Steps: []Step{sendFrameWise(perByte(bad)...)}, Close: failUTF8},
	)

	// 6.4: fail fast. Valid first part, a wait, the part that makes the
	// text invalid, a wait, the rest. A peer that fails during the second
	// wait fails fast (OK); one that fails only once the message or frame
	// is complete is NON-STRICT.
	failFast := "The first part is accepted (the first wait times out); the peer fails the connection (1007, or 1002) as soon as the second part arrives. Failing only after the third part is NON-STRICT."
	parts := []struct{ a, b, c string }{
		{kosme, "f4908080", "656469746564"},
		{kosme + "f4", "90", "8080656469746564"},
	}
	for i := range 4 {
		p := parts[i%2]
		a, b, c := mustHex(p.a), mustHex(p.b), mustHex(p.c)
		if i == 3 {
			c = nil // 6.4.4 ends the frame with the invalid byte
		}
		var steps []Step
		var desc string
		if i < 2 {
			desc = fmt.Sprintf("Invalid UTF-8 text in three frames, with a wait after each of the first two: 0x%s, 0x%s, 0x%s.", p.a, p.b, hex.EncodeToString(c))
			steps = []Step{send(frag(wire.OpText, a)), wait("first part"), send(frag(wire.OpContinuation, b)), wait("second part"), send(fr(wire.OpContinuation, c))}
		} else {
			desc = fmt.Sprintf("Invalid UTF-8 text in one frame written in three TCP writes, with a wait after each of the first two: 0x%s, 0x%s, 0x%s.", p.a, p.b, hex.EncodeToString(c))
			whole := fr(wire.OpText, append(append(append([]byte{}, a...), b...), c...))
			steps = []Step{{Kind: StepSend, Frames: []Frame{whole}, Part: len(a)}, wait("first part"),
				{Kind: StepSend, Part: len(b)}, wait("second part"), {Kind: StepSend}}
		}
		cs = append(cs, Case{ID: fmt.Sprintf("6.4.%d", i+1), Description: desc, Expectation: failFast, Steps: steps,
			Expect: Expect{OK: []Event{timeout("first part")}, NonStrict: []Event{timeout("first part"), timeout("second part")}},
			Close:  failUTF8})
	}

	for _, g := range utf8Groups {
		payloads := g.payloads
		switch g.group {
		case 6:
			for n := 1; n <= len(kosme)/2; n++ {
				payloads = append(payloads, kosme[:2*n])
			}
		case 22:
			for lead := 0xf0; lead <= 0xf4; lead++ {
				for second := 0x8f; second <= 0xbf; second += 0x10 {
					if lead == 0xf0 && second == 0x8f || lead == 0xf4 && second > 0x8f {
						continue // overlong, or beyond U+10FFFF
					}
					for _, last := range []string{"be", "bf"} {
						payloads = append(payloads, fmt.Sprintf("%02x%02xbf%s", lead, second, last))
					}
				}
			}
			payloads = append([]string{"efbfbe", "efbfbf"}, payloads...)
		}
		for i, h := range payloads {
			p := mustHex(h)
			c := Case{ID: fmt.Sprintf("6.%d.%d", g.group, i+1), Steps: []Step{send(fr(wire.OpText, p))}}
			if utf8.Valid(p) {
				c.Description = fmt.Sprintf("Valid UTF-8 text in one frame (%s): 0x%s.", g.what, h)
				c.Expectation, c.Expect.OK, c.Close = echo, []Event{msg(wire.OpText, p)}, closeNormal
			} else {
				c.Description = fmt.Sprintf("Invalid UTF-8 text in one frame (%s): 0x%s.", g.what, h)
				c.Expectation, c.Close = fail, failUTF8
			}
			cs = append(cs, c)
		}
	}
	for i := range cs {
		if cs[i].Close.Codes == nil {
			cs[i].Close = closeNormal
		}
	}
	return cs
}

// Group 7: the closing handshake (RFC 6455 §5.5.1, §7).
func closeCases() []Case {
	hello := []byte(helloWorld)
	normal := closePayload(1000, nil)
	answered := "The peer answers the close with 1000 and closes; nothing else comes back."
	cs := []Case{
		{ID: "7.1.1", Description: "A text message, then a close (1000) once the message is back.",
			Expectation: "The message comes back, then the peer answers the close with 1000. (7.1.6 sends the close without waiting.)",
			Steps:       []Step{send(fr(wire.OpText, hello))}, Expect: Expect{OK: []Event{msg(wire.OpText, hello)}}},
		{ID: "7.1.2", Description: "Two close frames (1000).", Expectation: answered + " The second close is ignored.",
			Steps: []Step{sendClosing(fr(wire.OpClose, normal), fr(wire.OpClose, normal))}},
		{ID: "7.1.3", Description: "A close (1000), then a ping.", Expectation: answered + " No pong.",
			Steps: []Step{sendClosing(fr(wire.OpClose, normal), fr(wire.OpPing, hello))}},
		{ID: "7.1.4", Description: "A close (1000), then a text message.", Expectation: answered + " The message is ignored.",
			Steps: []Step{sendClosing(fr(wire.OpClose, normal), fr(wire.OpText, hello))}},
		{ID: "7.1.5", Description: "The first fragment of a text message, a close (1000), then the last fragment.", Expectation: answered,
			Steps: []Step{sendClosing(frag(wire.OpText, []byte("fragment1")), fr(wire.OpClose, normal), fr(wire.OpContinuation, []byte("fragment2")))}},
		{ID: "7.1.6", Description: "A 256 KiB text message, a close (1000) and a ping, back to back.",
			Expectation: "Implementation-defined: a peer that handles the close before it has echoed the message may echo part of it or none. Recorded, not judged.",
			Steps:       []Step{sendClosing(fr(wire.OpText, textPattern(256<<10)), fr(wire.OpClose, normal), fr(wire.OpPing, hello))},
			Expect:      Expect{Informational: true}},
		{ID: "7.3.1", Description: "A close with an empty payload (no code, no reason).", Expectation: "The peer answers the close and closes (1000 or no code).",
			Steps: []Step{sendClosing(fr(wire.OpClose, nil))}},
		{ID: "7.3.2", Description: "A close with a 1-byte payload, which cannot hold a code.",
			Expectation: "The peer fails the connection with 1002, or drops TCP (RFC 6455 §5.5.1).",
			Steps:       []Step{sendClosing(fr(wire.OpClose, []byte("a")))}},
		{ID: "7.3.3", Description: "A close with code 1000 and no reason.", Expectation: answered,
			Steps: []Step{sendClosing(fr(wire.OpClose, normal))}},
		{ID: "7.3.4", Description: "A close with code 1000 and a reason.", Expectation: answered,
			Steps: []Step{sendClosing(fr(wire.OpClose, closePayload(1000, []byte("Hello World!"))))}},
		{ID: "7.3.5", Description: "A close with code 1000 and a 123-byte reason, the most that fits.", Expectation: answered,
			Steps: []Step{sendClosing(fr(wire.OpClose, closePayload(1000, []byte(strings.Repeat("*", 123)))))}},
		{ID: "7.3.6", Description: "A close with code 1000 and a 124-byte reason: a 126-byte control frame.",
			Expectation: "The peer fails the connection with 1002, or drops TCP: control frames carry at most 125 bytes.",
			Steps:       []Step{sendClosing(fr(wire.OpClose, closePayload(1000, []byte(strings.Repeat("*", 124)))))}},
		{ID: "7.5.1", Description: "A close with code 1000 and a reason that is not UTF-8 (0x" + kosme + "eda080656469746564).",
			Expectation: "The peer fails the connection with 1002 or 1007, or drops TCP (RFC 6455 §5.5.1).",
			Steps:       []Step{sendClosing(fr(wire.OpClose, closePayload(1000, mustHex(kosme+"eda080656469746564"))))}},
	}
	for i := range cs {
		switch cs[i].ID {
		case "7.3.2", "7.3.6":
			cs[i].Close = CloseExpect{ByTester: true, Codes: codes(wire.StatusProtocolError)}
		case "7.5.1":
			cs[i].Close = CloseExpect{ByTester: true, Codes: codes(wire.StatusProtocolError, wire.StatusInvalidFramePayloadData)}
		case "7.1.6":
			cs[i].Close = closeNormal
			cs[i].Close.Informational = true
		default:
			cs[i].Close = closeNormal
		}
	}
	for i, code := range []uint16{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999} {
		cs = append(cs, Case{ID: fmt.Sprintf("7.7.%d", i+1),
			Description: fmt.Sprintf("A close with the valid code %d.", code),
			Expectation: fmt.Sprintf("The peer answers the close with 1000 or %d and closes.", code),
			Steps:       []Step{sendClosing(fr(wire.OpClose, closePayload(code, nil)))},
			Close:       CloseExpect{ByTester: true, Codes: codes(wire.StatusNormalClosure, wire.StatusCode(code)), Clean: true}})
	}
	for i, code := range []uint16{0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999} {
		cs = append(cs, Case{ID: fmt.Sprintf("7.9.%d", i+1),
			Description: fmt.Sprintf("A close with the code %d, which may not be sent.", code),
			Expectation: "The peer fails the connection with 1002, or drops TCP (RFC 6455 §7.4).",
			Steps:       []Step{sendClosing(fr(wire.OpClose, closePayload(code, nil)))},
			Close:       CloseExpect{ByTester: true, Codes: codes(wire.StatusProtocolError)}})
	}
	for i, code := range []uint16{5000, 65535} {
		cs = append(cs, Case{ID: fmt.Sprintf("7.13.%d", i+1),
			Description: fmt.Sprintf("A close with the code %d, outside every range RFC 6455 defines.", code),
			Expectation: "Undefined by the specification; recorded, not judged.",
			Steps:       []Step{sendClosing(fr(wire.OpClose, closePayload(code, nil)))},
			Expect:      Expect{Informational: true},
			Close:       CloseExpect{ByTester: true, Informational: true}})
	}
	return cs
}

func sizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func tripCase(id string, t RoundTrip, timeout time.Duration, desc string) Case {
	return Case{
		ID:          id,
		Description: desc,
		Expectation: "Every message comes back as sent; the peer answers the tester's close with 1000.",
		Steps:       []Step{{Kind: StepRoundTrip, Trip: &t}},
		Expect:      Expect{OK: []Event{{Kind: EventEchoed, Count: t.Count}}},
		Close:       closeNormal,
		Timeout:     timeout,
	}
}

// Group 9: large messages, many frames, small TCP writes and round-trip
// time.
func limitCases() []Case {
	var cs []Case
	for g, op := range []wire.Opcode{wire.OpText, wire.OpBinary} {
		for i, n := range []int{64 << 10, 256 << 10, 1 << 20, 4 << 20, 8 << 20, 16 << 20} {
			cs = append(cs, tripCase(fmt.Sprintf("9.%d.%d", g+1, i+1),
				RoundTrip{Count: 1, Size: n, Opcode: op, Window: 1}, 0,
				fmt.Sprintf("A %s message of %s in one frame.", opName(op), sizeName(n))))
		}
	}
	for g, op := range []wire.Opcode{wire.OpText, wire.OpBinary} {
		for i, f := range []int{64, 256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20} {
			cs = append(cs, tripCase(fmt.Sprintf("9.%d.%d", g+3, i+1),
				RoundTrip{Count: 1, Size: 4 << 20, Opcode: op, FrameSize: f, Window: 1}, 0,
				fmt.Sprintf("A %s message of 4 MiB in frames of %s.", opName(op), sizeName(f))))
		}
	}
	for g, op := range []wire.Opcode{wire.OpText, wire.OpBinary} {
		for i, chop := range []int{64, 128, 256, 512, 1024, 2048} {
			c := tripCase(fmt.Sprintf("9.%d.%d", g+5, i+1),
				RoundTrip{Count: 1, Size: 1 << 20, Opcode: op, Window: 1}, 0,
				fmt.Sprintf("A %s message of 1 MiB in one frame, written in TCP pieces of %d bytes.", opName(op), chop))
			c.Steps[0].Chop = chop
			cs = append(cs, c)
		}
	}
	limits := []time.Duration{60, 60, 60, 120, 240, 480}
	for g, op := range []wire.Opcode{wire.OpText, wire.OpBinary} {
		for i, n := range []int{0, 16, 64, 256, 1024, 4096} {
			cs = append(cs, tripCase(fmt.Sprintf("9.%d.%d", g+7, i+1),
				RoundTrip{Count: 1000, Size: n, Opcode: op, Window: 1}, limits[i]*time.Second,
				fmt.Sprintf("1000 %s messages of %s, each sent when the previous one is back (round-trip time).", opName(op), sizeName(n))))
		}
	}
	return cs
}

// Group 10: a message the tester fragments itself.
func autoFragmentCases() []Case {
	return []Case{tripCase("10.1.1", RoundTrip{Count: 1, Size: 65536, Opcode: wire.OpText, FrameSize: 1300, Window: 1}, 0,
		"A text message of 64 KiB in frames of 1300 bytes.")}
}

// compressionSizes are the 18 message sizes and fragment sizes of each
// compression group, with their time limits.
var compressionSizes = []struct {
	size, frame int
	limit       time.Duration
}{
	{16, 0, 60}, {64, 0, 60}, {256, 0, 120}, {1024, 0, 240}, {4096, 0, 480},
	{8192, 0, 480}, {16384, 0, 480}, {32768, 0, 480}, {65536, 0, 480}, {131072, 0, 480},
	{8192, 256, 480}, {16384, 256, 480}, {32768, 256, 480}, {65536, 256, 480}, {131072, 256, 480},
	{131072, 1024, 480}, {131072, 4096, 480}, {131072, 32768, 480},
}

// PayloadFiles are the files under the payload directory that groups 12 and
// 13 cut their messages from; the text files are sent as text messages. As
// in the original suite, the German prose goes as binary: only the JSON and
// HTML documents are text.
var PayloadFiles = []struct {
	Name string
	Text bool
	What string
}{
	{"data1.json", true, "a JSON document"},
	{"lena512.bmp", false, "a 512x512 bitmap"},
	{"pg2229.txt", false, "German prose (UTF-8)"},
	{"data1.html", true, "an HTML page"},
	{"10.1.1.105.5439.pdf", false, "a PDF document"},
}

// compressionWindow is how many messages the compression cases keep in
// flight.
const compressionWindow = 8

// Groups 12 and 13: permessage-deflate (RFC 7692).
func compressionCases() []Case {
	var cs []Case
	add := func(id string, file int, offers []DeflateOffer, offerText string) {
		pf := PayloadFiles[file]
		op := wire.OpBinary
		if pf.Text {
			op = wire.OpText
		}
		for i, s := range compressionSizes {
			frames := "unfragmented"
			if s.frame > 0 {
				frames = fmt.Sprintf("in frames of at most %d bytes", s.frame)
			}
			c := tripCase(fmt.Sprintf("%s.%d", id, i+1),
				RoundTrip{Count: 1000, Size: s.size, Opcode: op, FrameSize: s.frame, Source: pf.Name, Window: compressionWindow},
				s.limit*time.Second,
				fmt.Sprintf("1000 compressed %s messages of %s cut from %s (%s), %s; permessage-deflate %s.",
					opName(op), sizeName(s.size), pf.Name, pf.What, frames, offerText))
			c.Deflate = offers
			c.Expectation = "permessage-deflate is negotiated and every message comes back as sent; the peer answers the tester's close with 1000. A peer that declines the extension is UNIMPLEMENTED."
			cs = append(cs, c)
		}
	}
	for f := range PayloadFiles {
		add(fmt.Sprintf("12.%d", f+1), f, []DeflateOffer{{}}, "with the default parameters")
	}
	for g, offers := range [][]DeflateOffer{
		{{}},
		{{NoContextTakeover: true}},
		{{MaxWindowBits: 9}},
		{{MaxWindowBits: 15}},
		{{NoContextTakeover: true, MaxWindowBits: 9}},
		{{NoContextTakeover: true, MaxWindowBits: 15}},
		{{NoContextTakeover: true, MaxWindowBits: 9}, {NoContextTakeover: true}, {}},
	} {
		var parts []string
		for _, o := range offers {
			parts = append(parts, o.String())
		}
		add(fmt.Sprintf("13.%d", g+1), 0, offers, "asking the peer for "+strings.Join(parts, "; or "))
	}
	return cs
}
