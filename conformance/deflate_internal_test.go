package conformance

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wskit/websocket/handshake"
)

func ext(s string) []handshake.Extension {
	var exts []handshake.Extension
	for e := range strings.SplitSeq(s, ",") {
		parts := strings.Split(e, ";")
		x := handshake.Extension{Name: strings.TrimSpace(parts[0])}
		for _, p := range parts[1:] {
			name, value, has := strings.Cut(strings.TrimSpace(p), "=")
			x.Params = append(x.Params, handshake.Param{Name: name, Value: value, HasValue: has})
		}
		exts = append(exts, x)
	}
	return exts
}

func TestOfferExtensions(t *testing.T) {
	got := handshake.FormatExtensions(offerExtensions([]DeflateOffer{{NoContextTakeover: true, MaxWindowBits: 9}, {NoContextTakeover: true}, {}}))
	want := "permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=9, " +
		"permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover, " +
		"permessage-deflate; client_no_context_takeover; client_max_window_bits"
	if got != want {
		t.Errorf("offer\n got %s\nwant %s", got, want)
	}
}

// RFC 7692 §7.1: the tester as client checks the server's answer.
func TestAcceptResponse(t *testing.T) {
	def := []DeflateOffer{{}}
	tests := []struct {
		offers []DeflateOffer
		resp   string
		want   string // deflateParams.String(), "nil", or "error"
		notes  string // what the response does not grant
	}{
		{def, "permessage-deflate", "tester: context takeover, window bits 15; peer: context takeover, window bits 15", ""},
		{def, "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12", "tester: context takeover, window bits 12; peer: context takeover, window bits 12", ""},
		{def, "permessage-deflate; client_no_context_takeover; server_no_context_takeover", "tester: no context takeover, window bits 15; peer: no context takeover, window bits 15", ""},
		// Responses that grant less than asked are held to what they say,
		// as the original suite does.
		{[]DeflateOffer{{NoContextTakeover: true}}, "permessage-deflate", "tester: context takeover, window bits 15; peer: context takeover, window bits 15", "server_no_context_takeover"},
		{[]DeflateOffer{{MaxWindowBits: 9}}, "permessage-deflate; server_max_window_bits=10", "tester: context takeover, window bits 15; peer: context takeover, window bits 10", "server_max_window_bits=9"},
		{[]DeflateOffer{{NoContextTakeover: true, MaxWindowBits: 9}}, "permessage-deflate; server_no_context_takeover; client_no_context_takeover", "tester: no context takeover, window bits 15; peer: no context takeover, window bits 15", "server_max_window_bits=9"},
		{[]DeflateOffer{{MaxWindowBits: 9}}, "permessage-deflate; server_max_window_bits=9", "tester: context takeover, window bits 15; peer: context takeover, window bits 9", ""},
		{[]DeflateOffer{{NoContextTakeover: true, MaxWindowBits: 9}, {}}, "permessage-deflate", "tester: context takeover, window bits 15; peer: context takeover, window bits 15", ""},
		{def, "permessage-deflate; client_max_window_bits", "error", ""}, // a response must give a value
		{def, "permessage-deflate; server_max_window_bits=16", "error", ""},
		{def, "permessage-deflate; server_max_window_bits=08", "error", ""},
		{def, "permessage-deflate; foo", "error", ""},
		{def, "permessage-deflate; server_no_context_takeover; server_no_context_takeover", "error", ""},
		{def, "permessage-deflate, permessage-deflate", "error", ""},
		{def, "x-other", "error", ""},
	}
	for _, tt := range tests {
		p, notes, err := acceptResponse(tt.offers, ext(tt.resp))
		got := "nil"
		switch {
		case err != nil:
			got = "error"
		case p != nil:
			got = p.String()
		}
		if got != tt.want || strings.Join(notes, ", ") != tt.notes {
			t.Errorf("acceptResponse(%v, %q) = %s (%v), notes %q; want %s, notes %q", tt.offers, tt.resp, got, err, notes, tt.want, tt.notes)
		}
	}
	if p, _, err := acceptResponse(def, nil); p != nil || err != nil {
		t.Errorf("declined: %v, %v", p, err)
	}
}

// The tester as server answers the client's offers, asking what the case
// wants of the client.
func TestAnswerOffers(t *testing.T) {
	tests := []struct {
		wants   []DeflateOffer
		offered string
		resp    string // "" when nothing is accepted
		params  string
	}{
		{[]DeflateOffer{{}}, "permessage-deflate; client_max_window_bits", "permessage-deflate",
			"tester: context takeover, window bits 15; peer: context takeover, window bits 15"},
		{[]DeflateOffer{{NoContextTakeover: true, MaxWindowBits: 9}}, "permessage-deflate; client_max_window_bits",
			"permessage-deflate; client_no_context_takeover; client_max_window_bits=9",
			"tester: context takeover, window bits 15; peer: no context takeover, window bits 9"},
		{[]DeflateOffer{{NoContextTakeover: true, MaxWindowBits: 9}, {NoContextTakeover: true}}, "permessage-deflate",
			"permessage-deflate; client_no_context_takeover",
			"tester: context takeover, window bits 15; peer: no context takeover, window bits 15"},
		{[]DeflateOffer{{}}, "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11",
			"permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11",
			"tester: no context takeover, window bits 10; peer: context takeover, window bits 11"},
		{[]DeflateOffer{{MaxWindowBits: 9}}, "permessage-deflate", "", ""},
		{[]DeflateOffer{{}}, "permessage-deflate; bogus, permessage-deflate", "permessage-deflate",
			"tester: context takeover, window bits 15; peer: context takeover, window bits 15"},
		{[]DeflateOffer{{}}, "x-webkit-deflate-frame", "", ""},
	}
	for _, tt := range tests {
		resp, p := answerOffers(tt.wants, ext(tt.offered))
		got, params := "", ""
		if resp != nil {
			got, params = resp.String(), p.String()
		}
		if got != tt.resp || params != tt.params {
			t.Errorf("answerOffers(%v, %q) = %q (%s), want %q (%s)", tt.wants, tt.offered, got, params, tt.resp, tt.params)
		}
	}
}

// Every window size and takeover mode round-trips through the tester's
// compressor and decompressor. The decompressor's dictionary is only the
// window, so a message referring further back into earlier ones fails.
func TestDeflateRoundTrip(t *testing.T) {
	var files [][]byte
	for _, name := range []string{"data1.json", "lena512.bmp"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "shared", "conformance", "payloads", name))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b)
	}
	for _, bits := range []int{8, 9, 12, 15} {
		for _, noCtx := range []bool{false, true} {
			c := newCompressor(bits, noCtx)
			d := newDecompressor(bits, noCtx)
			for _, f := range files {
				for _, size := range []int{0, 1, 16, 300, 5000, 70000} {
					msgs, err := cutMessages(f, false, size, 12)
					if err != nil {
						t.Fatal(err)
					}
					for i, m := range msgs {
						z := c.compress(m)
						out, err := d.decompress(nil, z, 1<<20)
						if err != nil || !bytes.Equal(out, m) {
							t.Fatalf("bits %d noCtx %v size %d message %d: %v (equal %v)", bits, noCtx, size, i, err, bytes.Equal(out, m))
						}
					}
				}
			}
		}
	}
}

// Under context takeover the windowed compressor refers into the previous
// message: a repeated message costs a fraction of the first.
// Short and long messages take different encoders at the full window.
func TestDeflateContextTakeover(t *testing.T) {
	fox := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 2)[:80]
	long := fmt.Sprint(rand.New(rand.NewPCG(1, 2)).Perm(60))[:kflateFrom+20] // repeats little within itself
	for _, m := range [][]byte{[]byte(fox), []byte(long)} {
		for _, bits := range []int{9, 12, 15} {
			c := newCompressor(bits, false)
			first := len(c.compress(m))
			second := len(c.compress(m))
			if second*3 > first {
				t.Errorf("%d bytes, bits %d: repeated message compressed to %d bytes after %d", len(m), bits, second, first)
			}
			c = newCompressor(bits, true)
			first = len(c.compress(m))
			if again := len(c.compress(m)); again != first {
				t.Errorf("%d bytes, bits %d without context takeover: %d then %d bytes", len(m), bits, first, again)
			}
		}
	}
}

func TestCutMessagesText(t *testing.T) {
	text := []byte(strings.Repeat("aé€😀", 100))
	for _, size := range []int{1, 2, 3, 4, 7, 100} {
		msgs, err := cutMessages(text, true, size, 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if len(m) != size || !bytes.Equal(bytes.ToValidUTF8(m, nil), m) {
				t.Fatalf("size %d: message %q", size, m)
			}
		}
	}
	if _, err := cutMessages([]byte("éééé"), true, 3, 1); err == nil {
		t.Error("no 3-byte UTF-8 piece of é... but no error")
	}
}
