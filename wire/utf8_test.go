package wire_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"unicode/utf8"

	"github.com/wskit/websocket/wire"
)

// Tests for the incremental UTF-8 validator (RFC 6455 §8.1, RFC 3629 §4).
//
// Every verdict is checked against two references written here: the
// definition itself (utf8RefFail: the first byte after which no continuation
// can give valid UTF-8) and one built on unicode/utf8 (utf8StdFail). Results
// must not depend on how the message is cut into pieces.

// utf8Result is what the validator says about a whole message.
type utf8Result struct {
	fail   int   // absolute offset of the failing byte, or -1
	finish error // what Finish returned
}

// utf8Feed validates the pieces of one message in order with a fresh
// validator and reports the absolute failing offset and the Finish result.
// It also checks the contract around a failure: the index is within the
// piece, later calls return (0, ErrInvalidUTF8), and Finish resets.
func utf8Feed(t testing.TB, pieces [][]byte) utf8Result {
	t.Helper()
	var v wire.UTF8Validator
	res := utf8Result{fail: -1}
	off := 0
	for _, p := range pieces {
		n, err := v.Validate(p)
		if res.fail >= 0 {
			if n != 0 || err != wire.ErrInvalidUTF8 {
				t.Fatalf("Validate after a failure = (%d, %v), want (0, ErrInvalidUTF8)", n, err)
			}
			continue
		}
		switch {
		case err == nil:
			if n != len(p) {
				t.Fatalf("Validate(%q) = (%d, nil), want n = %d", p, n, len(p))
			}
		case err == wire.ErrInvalidUTF8:
			if n < 0 || n >= len(p) {
				t.Fatalf("Validate(%q) failed at %d, outside the piece", p, n)
			}
			if v.AtBoundary() {
				t.Fatalf("AtBoundary after a failure = true")
			}
			res.fail = off + n
		default:
			t.Fatalf("Validate(%q) returned error %v", p, err)
		}
		off += len(p)
	}
	if res.fail >= 0 {
		if n, err := v.Validate(nil); n != 0 || err != wire.ErrInvalidUTF8 {
			t.Fatalf("Validate(nil) after a failure = (%d, %v), want (0, ErrInvalidUTF8)", n, err)
		}
	}
	boundary := v.AtBoundary()
	res.finish = v.Finish()
	if boundary != (res.finish == nil) {
		t.Fatalf("AtBoundary = %v before Finish returned %v", boundary, res.finish)
	}
	// Finish resets: the validator is ready for the next message.
	if !v.AtBoundary() {
		t.Fatalf("AtBoundary after Finish = false")
	}
	if n, err := v.Validate([]byte("ok\xC3\xA9")); n != 4 || err != nil || v.Finish() != nil {
		t.Fatalf("validator not reset by Finish: Validate = (%d, %v)", n, err)
	}
	return res
}

// utf8Want is the result the references predict for msg.
func utf8Want(msg []byte) utf8Result {
	fail := utf8RefFail(msg)
	switch {
	case fail >= 0:
		return utf8Result{fail, wire.ErrInvalidUTF8}
	case !utf8.Valid(msg):
		return utf8Result{-1, wire.ErrIncompleteUTF8}
	default:
		return utf8Result{-1, nil}
	}
}

// utf8Completions are the bytes tried after a prefix to see whether it can
// still be completed. The second byte of a sequence is limited by RFC 3629 to
// 80..BF, A0..BF, 80..9F, 90..BF or 80..8F, and later bytes to 80..BF; each of
// these ranges holds one of 80, 90 and A0, so trying those three is enough.
var utf8Completions = []byte{0x80, 0x90, 0xA0}

// utf8CanComplete reports whether b followed by at most three more bytes can
// be valid UTF-8, that is whether b is a prefix of some valid UTF-8 string.
func utf8CanComplete(b []byte) bool {
	buf := make([]byte, len(b), len(b)+3)
	copy(buf, b)
	var try func(buf []byte, more int) bool
	try = func(buf []byte, more int) bool {
		if utf8.Valid(buf) {
			return true
		}
		if more == 0 {
			return false
		}
		for _, c := range utf8Completions {
			if try(append(buf, c), more-1) {
				return true
			}
		}
		return false
	}
	return try(buf, 3)
}

// utf8RefFail is the reference failing offset, straight from the definition:
// the first i such that msg[:i+1] is not a prefix of any valid UTF-8 string,
// or -1. Being such a prefix is inherited by shorter prefixes, so a binary
// search finds the first i.
func utf8RefFail(msg []byte) int {
	if utf8CanComplete(msg) {
		return -1
	}
	lo, hi := 0, len(msg)-1 // msg[:lo] can be completed, msg[:hi+1] cannot
	for lo < hi {
		mid := (lo + hi) / 2
		if utf8CanComplete(msg[:mid+1]) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// utf8StdFail computes the same offset as utf8RefFail with unicode/utf8's
// decoder: it skips whole code points, and where none decodes it extends the
// longest run that utf8.FullRune still calls unfinished (a proper prefix of a
// valid sequence); the byte after that run is the failing one, unless the
// run reaches the end of msg.
func utf8StdFail(msg []byte) int {
	for i := 0; i < len(msg); {
		r, size := utf8.DecodeRune(msg[i:])
		if r != utf8.RuneError || size > 1 {
			i += size
			continue
		}
		k := 0
		for i+k < len(msg) && !utf8.FullRune(msg[i:i+k+1]) {
			k++
		}
		if i+k == len(msg) {
			return -1
		}
		return i + k
	}
	return -1
}

// utf8Splits returns msg whole, one byte at a time, and cut in two at every
// offset, and for short inputs cut in three at every pair of offsets (with
// empty pieces too).
func utf8Splits(msg []byte) [][][]byte {
	ways := [][][]byte{{msg}, {}}
	for i := range msg {
		ways[1] = append(ways[1], msg[i:i+1])
	}
	for i := 0; i <= len(msg); i++ {
		ways = append(ways, [][]byte{msg[:i], msg[i:]})
	}
	if len(msg) <= 12 {
		for i := 0; i <= len(msg); i++ {
			for j := i; j <= len(msg); j++ {
				ways = append(ways, [][]byte{msg[:i], msg[i:j], msg[j:]})
			}
		}
	}
	return ways
}

func TestUTF8Table(t *testing.T) {
	const ok, incomplete = -1, -2 // want values besides a failing offset
	tests := []struct {
		name string
		in   string
		want int // failing offset, ok, or incomplete
	}{
		// Valid, one length at a time, with the edges of each range.
		{"empty", "", ok},
		{"ASCII", "hello, world", ok},
		{"NUL and DEL", "\x00\x7F", ok},
		{"U+0080 first 2-byte", "\xC2\x80", ok},
		{"U+00E9", "\xC3\xA9", ok},
		{"U+07FF last 2-byte", "\xDF\xBF", ok},
		{"U+0800 first 3-byte", "\xE0\xA0\x80", ok},
		{"U+0FFF", "\xE0\xBF\xBF", ok},
		{"U+1000", "\xE1\x80\x80", ok},
		{"U+20AC euro", "\xE2\x82\xAC", ok},
		{"U+D7FF before surrogates", "\xED\x9F\xBF", ok},
		{"U+E000 after surrogates", "\xEE\x80\x80", ok},
		{"U+FFFD replacement char", "\xEF\xBF\xBD", ok},
		{"U+FDD0 non-character", "\xEF\xB7\x90", ok},
		{"U+FDEF non-character", "\xEF\xB7\xAF", ok},
		{"U+FFFE non-character", "\xEF\xBF\xBE", ok},
		{"U+FFFF non-character", "\xEF\xBF\xBF", ok},
		{"U+10000 first 4-byte", "\xF0\x90\x80\x80", ok},
		{"U+1F600 emoji", "\xF0\x9F\x98\x80", ok},
		{"U+3FFFF", "\xF0\xBF\xBF\xBF", ok},
		{"U+40000", "\xF1\x80\x80\x80", ok},
		{"U+FFFFF", "\xF3\xBF\xBF\xBF", ok},
		{"U+100000", "\xF4\x80\x80\x80", ok},
		{"U+10FFFE non-character", "\xF4\x8F\xBF\xBE", ok},
		{"U+10FFFF last code point", "\xF4\x8F\xBF\xBF", ok},
		{"mixed", "h\xC3\xA9llo w\xC3\xB6rld \xE2\x82\xAC \xF0\x9D\x84\x9E!", ok},

		// Truncated: valid so far, but the message ends inside a sequence.
		{"2-byte lead alone", "\xC2", incomplete},
		{"3-byte lead alone", "\xE1", incomplete},
		{"E0 alone", "\xE0", incomplete},
		{"E0 A0", "\xE0\xA0", incomplete},
		{"ED 9F", "\xED\x9F", incomplete},
		{"EF BF", "\xEF\xBF", incomplete},
		{"4-byte lead alone", "\xF1", incomplete},
		{"F0 90", "\xF0\x90", incomplete},
		{"F0 90 80", "\xF0\x90\x80", incomplete},
		{"F4 8F BF", "\xF4\x8F\xBF", incomplete},
		{"ASCII then cut euro", "abc\xE2\x82", incomplete},
		{"emoji then cut emoji", "\xF0\x9F\x98\x80\xF0\x9F\x98", incomplete},

		// Continuation bytes with no lead byte fail at themselves.
		{"lone 80", "\x80", 0},
		{"lone BF", "\xBF", 0},
		{"80 after ASCII", "a\x80", 1},
		{"extra continuation after 2-byte", "\xC3\xA9\x80", 2},
		{"extra continuation after 3-byte", "\xE2\x82\xAC\xAC", 3},
		{"extra continuation after 4-byte", "\xF0\x9F\x98\x80\x80", 4},

		// Bytes that never start a sequence fail at themselves.
		{"C0", "\xC0", 0},
		{"C1", "\xC1", 0},
		{"overlong NUL C0 80", "\xC0\x80", 0},
		{"overlong C1 BF", "\xC1\xBF", 0},
		{"F5", "\xF5", 0},
		{"F5 sequence", "\xF5\x80\x80\x80", 0},
		{"U+1FFFFF as F7", "\xF7\xBF\xBF\xBF", 0},
		{"old 5-byte form", "\xF8\x88\x80\x80\x80", 0},
		{"old 5-byte max", "\xFB\xBF\xBF\xBF\xBF", 0},
		{"old 6-byte form", "\xFC\x84\x80\x80\x80\x80", 0},
		{"old 6-byte max", "\xFD\xBF\xBF\xBF\xBF\xBF", 0},
		{"FE", "\xFE", 0},
		{"FF", "\xFF", 0},
		{"BOM FE FF in UTF-16", "\xFE\xFF", 0},
		{"ASCII then FF", "abc\xFF", 3},

		// Overlong 3- and 4-byte forms fail at the second byte.
		{"overlong 3-byte NUL", "\xE0\x80\x80", 1},
		{"overlong 3-byte U+07FF", "\xE0\x9F\xBF", 1},
		{"overlong E0 80 alone", "\xE0\x80", 1},
		{"overlong 4-byte NUL", "\xF0\x80\x80\x80", 1},
		{"overlong 4-byte U+FFFF", "\xF0\x8F\xBF\xBF", 1},
		{"overlong F0 8F alone", "\xF0\x8F", 1},

		// Surrogates fail at the second byte.
		{"U+D800 first surrogate", "\xED\xA0\x80", 1},
		{"U+DBFF", "\xED\xAF\xBF", 1},
		{"U+DC00", "\xED\xB0\x80", 1},
		{"U+DFFF last surrogate", "\xED\xBF\xBF", 1},
		{"ED A0 alone", "\xED\xA0", 1},
		{"surrogate pair CESU-8", "\xED\xA0\xBD\xED\xB8\x80", 1},

		// Above U+10FFFF fails at the second byte after F4.
		{"U+110000", "\xF4\x90\x80\x80", 1},
		{"F4 90 alone", "\xF4\x90", 1},
		{"F4 BF BF BF", "\xF4\xBF\xBF\xBF", 1},

		// A lead byte followed by something other than a continuation byte
		// fails at that byte.
		{"C2 then ASCII", "\xC2a", 1},
		{"DF then ASCII", "\xDFz", 1},
		{"E1 then ASCII", "\xE1a", 1},
		{"E1 80 then ASCII", "\xE1\x80a", 2},
		{"F1 then ASCII", "\xF1a", 1},
		{"F1 80 then ASCII", "\xF1\x80a", 2},
		{"F1 80 80 then ASCII", "\xF1\x80\x80a", 3},
		{"F0 90 80 then ASCII", "\xF0\x90\x80 ", 3},
		{"C2 then lead", "\xC2\xC2\x80", 1},
		{"E2 82 then lead", "\xE2\x82\xE2\x82\xAC", 2},
		{"F0 9F 98 then FF", "\xF0\x9F\x98\xFF", 3},
		{"lead then NUL", "\xC3\x00", 1},

		// The first failure counts, wherever it is.
		{"late failure", "abc \xE2\x82\xAC def \xF0\x9F\x98\x80 ghi \xED\xB2\x80 jkl", 22},
		{"two failures", "ok\x80\xFF", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := []byte(tt.in)
			want := utf8Result{fail: -1}
			switch tt.want {
			case ok:
			case incomplete:
				want.finish = wire.ErrIncompleteUTF8
			default:
				want = utf8Result{tt.want, wire.ErrInvalidUTF8}
			}
			// The table itself agrees with the references and unicode/utf8.
			if got := utf8Want(msg); got != want {
				t.Fatalf("reference says %+v, table says %+v", got, want)
			}
			if got := utf8StdFail(msg); got != want.fail {
				t.Fatalf("unicode/utf8 reference fails at %d, table says %d", got, want.fail)
			}
			if utf8.Valid(msg) != (tt.want == ok) {
				t.Fatalf("utf8.Valid = %v, table says %d", utf8.Valid(msg), tt.want)
			}
			for _, pieces := range utf8Splits(msg) {
				if got := utf8Feed(t, pieces); got != want {
					t.Fatalf("pieces %q: got %+v, want %+v", pieces, got, want)
				}
			}
		})
	}
}

// TestUTF8Exhaustive compares every 1- and 2-byte input, and every 3-byte
// input starting at E0 or above, with unicode/utf8.
func TestUTF8Exhaustive(t *testing.T) {
	check := func(msg []byte, pieces [][]byte) {
		t.Helper()
		fail := utf8StdFail(msg)
		var v wire.UTF8Validator
		got := -1
		off := 0
		for _, p := range pieces {
			n, err := v.Validate(p)
			if err != nil {
				got = off + n
				break
			}
			off += len(p)
		}
		finish := v.Finish()
		valid := utf8.Valid(msg)
		var want error
		switch {
		case fail >= 0:
			want = wire.ErrInvalidUTF8
		case !valid:
			want = wire.ErrIncompleteUTF8
		}
		if got != fail || finish != want || (finish == nil) != valid {
			t.Fatalf("% X in %d pieces: fails at %d, Finish %v; want %d, %v (utf8.Valid %v)",
				msg, len(pieces), got, finish, fail, want, valid)
		}
	}
	msg := make([]byte, 3)
	for a := range 256 {
		msg[0] = byte(a)
		check(msg[:1], [][]byte{msg[:1]})
		for b := range 256 {
			msg[1] = byte(b)
			m := msg[:2]
			check(m, [][]byte{m})
			check(m, [][]byte{m[:1], m[1:]})
			// The two references agree on every 1- and 2-byte input.
			if r, s := utf8RefFail(m), utf8StdFail(m); r != s {
				t.Fatalf("% X: definition fails at %d, unicode/utf8 at %d", m, r, s)
			}
		}
	}
	if testing.Short() {
		t.Skip("skipping the 3-byte inputs in short mode")
	}
	for a := 0xE0; a < 0x100; a++ {
		msg[0] = byte(a)
		for b := range 256 {
			msg[1] = byte(b)
			for c := range 256 {
				msg[2] = byte(c)
				check(msg, [][]byte{msg})
			}
		}
	}
	// Cut in pieces, on fewer inputs: every second and third byte after
	// each lead byte from E0, with the second byte from 80 to C0.
	for a := 0xE0; a < 0x100; a++ {
		msg[0] = byte(a)
		for b := 0x7F; b <= 0xC0; b++ {
			msg[1] = byte(b)
			for c := range 256 {
				msg[2] = byte(c)
				check(msg, [][]byte{msg[:1], msg[1:]})
				check(msg, [][]byte{msg[:2], msg[2:]})
				check(msg, [][]byte{msg[:1], msg[1:2], msg[2:]})
			}
		}
	}
}

// utf8RandomText returns a valid text of about n bytes mixing ASCII and 2-,
// 3- and 4-byte code points, favouring the edges of each range.
func utf8RandomText(r *rand.Rand, n int) []byte {
	edges := []rune{0, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFD, 0xFFFE, 0xFFFF, 0x10000, 0x10FFFF}
	var b []byte
	for len(b) < n {
		var c rune
		switch r.IntN(9) {
		case 0, 1, 2:
			c = rune(r.IntN(0x80))
		case 3, 4:
			c = 0x80 + rune(r.IntN(0x800-0x80))
		case 5, 6:
			c = 0x800 + rune(r.IntN(0x10000-0x800))
			if 0xD800 <= c && c <= 0xDFFF {
				c -= 0x800
			}
		case 7:
			c = 0x10000 + rune(r.IntN(0x110000-0x10000))
		default:
			c = edges[r.IntN(len(edges))]
		}
		b = utf8.AppendRune(b, c)
	}
	return b
}

// utf8Corrupt spoils msg in one of several ways, or leaves it alone.
func utf8Corrupt(r *rand.Rand, msg []byte) []byte {
	if len(msg) == 0 {
		return msg
	}
	nasty := []byte{0x00, 'a', 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
		0xE0, 0xE1, 0xED, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xF8, 0xFC, 0xFE, 0xFF}
	i := r.IntN(len(msg))
	switch r.IntN(6) {
	case 0: // a random byte
		msg[i] = byte(r.IntN(256))
	case 1: // a byte chosen to hit an edge
		msg[i] = nasty[r.IntN(len(nasty))]
	case 2: // drop a byte
		msg = append(msg[:i], msg[i+1:]...)
	case 3: // insert a byte
		msg = append(msg[:i+1], msg[i:]...)
		msg[i] = nasty[r.IntN(len(nasty))]
	case 4: // cut the end
		msg = msg[:i]
	}
	return msg
}

// utf8RandomSplit cuts msg into pieces of random sizes, some of them empty.
func utf8RandomSplit(r *rand.Rand, msg []byte) [][]byte {
	var pieces [][]byte
	limit := 1 + r.IntN(len(msg)+1)
	for len(msg) > 0 {
		n := min(r.IntN(limit+1), len(msg))
		pieces = append(pieces, msg[:n])
		msg = msg[n:]
	}
	return pieces
}

func TestUTF8Random(t *testing.T) {
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 6455))
	rounds := 3000
	if testing.Short() {
		rounds = 300
	}
	for range rounds {
		msg := utf8Corrupt(r, utf8RandomText(r, r.IntN(300)))
		want := utf8Want(msg)
		if s := utf8StdFail(msg); s != want.fail {
			t.Fatalf("% X: definition fails at %d, unicode/utf8 at %d", msg, want.fail, s)
		}
		whole := utf8Feed(t, [][]byte{msg})
		if whole != want {
			t.Fatalf("% X whole: got %+v, want %+v", msg, whole, want)
		}
		for range 4 {
			pieces := utf8RandomSplit(r, msg)
			if got := utf8Feed(t, pieces); got != want {
				t.Fatalf("% X in pieces %q: got %+v, want %+v", msg, pieces, got, want)
			}
		}
	}
}

// TestUTF8Long checks that a failure far into a long message, in a long
// piece or across pieces, is found at the right offset.
func TestUTF8Long(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	text := utf8RandomText(r, 70000)
	for _, bad := range []string{"\xFF", "\x80", "\xC0\x80", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82a"} {
		for _, at := range []int{0, 1, 7, 8, 15, 16, 31, 1000, 65535, len(text)} {
			for at < len(text) && !utf8.RuneStart(text[at]) {
				at++
			}
			msg := append(append(append([]byte{}, text[:at]...), bad...), text[at:]...)
			// The definition is slow on long inputs; the unicode/utf8
			// reference agrees with it (see the tests above) and is not.
			want := utf8Result{utf8StdFail(msg), wire.ErrInvalidUTF8}
			if want.fail < 0 {
				want.finish = wire.ErrIncompleteUTF8
			}
			if want.fail < at {
				t.Fatalf("bad input %q at %d: reference fails at %d", bad, at, want.fail)
			}
			for _, size := range []int{len(msg), 4096, 1000, 3} {
				var pieces [][]byte
				for p := msg; len(p) > 0; p = p[min(size, len(p)):] {
					pieces = append(pieces, p[:min(size, len(p))])
				}
				if got := utf8Feed(t, pieces); got != want {
					t.Fatalf("%q at %d, pieces of %d: got %+v, want %+v", bad, at, size, got, want)
				}
			}
		}
	}
}

func TestUTF8ValidatorState(t *testing.T) {
	var v wire.UTF8Validator
	if !v.AtBoundary() {
		t.Fatal("zero value: AtBoundary = false")
	}
	if err := v.Finish(); err != nil {
		t.Fatalf("zero value: Finish = %v", err)
	}
	steps := []struct {
		in       string
		boundary bool
	}{
		{"", true},
		{"a", true},
		{"\xF0", false},
		{"", false},
		{"\x9F", false},
		{"\x98", false},
		{"\x80", true},
		{"\xE2\x82", false},
		{"\xAC\xC3", false},
		{"\xA9", true},
	}
	for _, s := range steps {
		if n, err := v.Validate([]byte(s.in)); n != len(s.in) || err != nil {
			t.Fatalf("Validate(%q) = (%d, %v)", s.in, n, err)
		}
		if v.AtBoundary() != s.boundary {
			t.Fatalf("after %q: AtBoundary = %v, want %v", s.in, !s.boundary, s.boundary)
		}
	}

	// A failure sticks until Reset.
	if n, err := v.Validate([]byte("ab\xC3(")); n != 3 || err != wire.ErrInvalidUTF8 {
		t.Fatalf("Validate = (%d, %v), want (3, ErrInvalidUTF8)", n, err)
	}
	for _, p := range []string{"", "a", "\xC3\xA9"} {
		if n, err := v.Validate([]byte(p)); n != 0 || err != wire.ErrInvalidUTF8 {
			t.Fatalf("after failure, Validate(%q) = (%d, %v)", p, n, err)
		}
	}
	if v.AtBoundary() {
		t.Fatal("after failure: AtBoundary = true")
	}
	v.Reset()
	if !v.AtBoundary() {
		t.Fatal("after Reset: AtBoundary = false")
	}
	if n, err := v.Validate([]byte("\xC3\xA9")); n != 2 || err != nil {
		t.Fatalf("after Reset: Validate = (%d, %v)", n, err)
	}

	// Reset also drops a pending sequence.
	v.Validate([]byte("\xE2\x82"))
	v.Reset()
	if err := v.Finish(); err != nil {
		t.Fatalf("Finish after Reset = %v", err)
	}

	// Finish reports and resets.
	v.Validate([]byte("\xE2\x82"))
	if err := v.Finish(); err != wire.ErrIncompleteUTF8 {
		t.Fatalf("Finish = %v, want ErrIncompleteUTF8", err)
	}
	if err := v.Finish(); err != nil {
		t.Fatalf("second Finish = %v, want nil", err)
	}
	v.Validate([]byte("\xFF"))
	if err := v.Finish(); err != wire.ErrInvalidUTF8 {
		t.Fatalf("Finish after failure = %v, want ErrInvalidUTF8", err)
	}
	if n, err := v.Validate([]byte("ok")); n != 2 || err != nil {
		t.Fatalf("Validate after Finish = (%d, %v)", n, err)
	}
}

// TestUTF8Errors checks that both failures are protocol errors that fail the
// connection with 1007 (RFC 6455 §8.1).
func TestUTF8Errors(t *testing.T) {
	for _, err := range []error{wire.ErrInvalidUTF8, wire.ErrIncompleteUTF8} {
		var pe *wire.ProtocolError
		if !errors.As(err, &pe) {
			t.Fatalf("%v is not a *ProtocolError", err)
		}
		if got := wire.CloseCodeFor(fmt.Errorf("reading: %w", err)); got != wire.StatusInvalidFramePayloadData {
			t.Fatalf("CloseCodeFor(%v) = %d, want 1007", err, got)
		}
	}
}

func TestUTF8NoAllocs(t *testing.T) {
	text := utf8RandomText(rand.New(rand.NewPCG(3, 4)), 4096)
	bad := append(append([]byte{}, text[:2000]...), 0xFF)
	var v wire.UTF8Validator
	allocs := testing.AllocsPerRun(100, func() {
		for p := text; len(p) > 0; p = p[min(333, len(p)):] {
			v.Validate(p[:min(333, len(p))])
		}
		v.Finish()
		v.Validate(bad)
		v.Validate(bad)
		v.Finish()
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per run, want 0", allocs)
	}
}
