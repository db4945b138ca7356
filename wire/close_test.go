package wire_test

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wskit/websocket/wire"
)

// RFC 6455 §7.4: which codes may be sent, over the whole 16-bit range.
func TestStatusCodeValidOnWire(t *testing.T) {
	for c := 0; c <= 0xFFFF; c++ {
		want := c >= 1000 && c <= 1003 || c >= 1007 && c <= 1014 || c >= 3000 && c <= 4999
		if got := wire.StatusCode(c).ValidOnWire(); got != want {
			t.Errorf("%d: ValidOnWire = %v", c, got)
		}
	}
}

func TestStatusCodeString(t *testing.T) {
	for c := wire.StatusCode(1000); c <= 1015; c++ {
		if s := c.String(); strings.HasPrefix(s, "status ") {
			t.Errorf("%d has no name", c)
		}
	}
	if s := wire.StatusCode(4001).String(); s != "status 4001" {
		t.Errorf("4001: %q", s)
	}
	if s := wire.StatusGoingAway.String(); s != "going away" {
		t.Errorf("1001: %q", s)
	}
}

func closePayload(code uint16, reason string) []byte {
	return append([]byte{byte(code >> 8), byte(code)}, reason...)
}

// RFC 6455 §5.5.1 and §7.4: parsing close payloads. The codes are the ones
// the conformance cases 7.7 and 7.9 send.
func TestParseClosePayload(t *testing.T) {
	type parseCase struct {
		name   string
		p      []byte
		code   wire.StatusCode
		reason string
		err    error
	}
	tests := []parseCase{
		{"empty", nil, wire.StatusNoStatusRcvd, "", nil},
		{"one byte", []byte{0x03}, 0, "", wire.ErrClosePayloadShort},
		{"code only", closePayload(1000, ""), 1000, "", nil},
		{"code and reason", closePayload(1001, "bye"), 1001, "bye", nil},
		{"reason of 123 bytes", closePayload(1000, strings.Repeat("*", 123)), 1000, strings.Repeat("*", 123), nil},
		{"reason of 124 bytes", closePayload(1000, strings.Repeat("*", 124)), 0, "", wire.ErrControlTooLong},
		{"invalid UTF-8 reason", closePayload(1000, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"), 1000, "", wire.ErrCloseReasonUTF8},
		{"multibyte reason", closePayload(4000, "κόσμε"), 4000, "κόσμε", nil},
	}
	for _, c := range []uint16{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999} {
		tests = append(tests, parseCase{"valid code", closePayload(c, ""), wire.StatusCode(c), "", nil})
	}
	for _, c := range []uint16{0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535} {
		tests = append(tests, parseCase{"invalid code", closePayload(c, "x"), wire.StatusCode(c), "", wire.ErrInvalidCloseCode})
	}
	for _, tt := range tests {
		code, reason, err := wire.ParseClosePayload(tt.p)
		if code != tt.code || reason != tt.reason || err != tt.err {
			t.Errorf("%s % x: got (%d, %q, %v), want (%d, %q, %v)", tt.name, tt.p, code, reason, err, tt.code, tt.reason, tt.err)
		}
	}
}

func TestAppendClosePayload(t *testing.T) {
	if p := wire.AppendClosePayload(nil, wire.StatusNoStatusRcvd, "ignored"); len(p) != 0 {
		t.Errorf("1005 gave % x, want an empty payload", p)
	}
	if p := wire.AppendClosePayload([]byte{0xEE}, 1000, "bye"); !bytes.Equal(p, []byte{0xEE, 0x03, 0xE8, 'b', 'y', 'e'}) {
		t.Errorf("got % x", p)
	}
	if p := wire.AppendClosePayload(nil, 1000, "a\xffb"); string(p[2:]) != "a\uFFFDb" {
		t.Errorf("invalid UTF-8 reason gave %q", p[2:])
	}
	// Reasons around the 123-byte limit, with multibyte runes of every
	// width straddling the cut.
	for _, r := range []string{"é", "€", "😀"} {
		for pad := 115; pad <= 125; pad++ {
			reason := strings.Repeat("a", pad) + strings.Repeat(r, 4)
			p := wire.AppendClosePayload(nil, 1000, reason)
			got := string(p[2:])
			if len(p) > wire.MaxControlPayload || !utf8.ValidString(got) || !strings.HasPrefix(reason, got) {
				t.Fatalf("pad %d rune %q: %d bytes, reason %q", pad, r, len(p), got)
			}
			if len(reason) > 123 && len(got) <= 123-utf8.RuneLen([]rune(r)[0]) {
				t.Fatalf("pad %d rune %q: cut to %d bytes, more than needed", pad, r, len(got))
			}
			if _, back, err := wire.ParseClosePayload(p); err != nil || back != got {
				t.Fatalf("does not parse back: %q %v", back, err)
			}
		}
	}
}
