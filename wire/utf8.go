package wire

import "unicode/utf8"

// UTF8Validator checks a text message given in pieces split anywhere, even
// inside a code point (RFC 6455 §8.1: text payloads must be UTF-8, and an
// endpoint fails the connection with 1007 as soon as they are not). The rules
// are those of RFC 3629 §4: overlong forms, surrogates (U+D800–U+DFFF) and
// code points above U+10FFFF are invalid; non-characters such as U+FFFE are
// valid.
//
// The zero value is ready to use. A UTF8Validator holds one byte of state and
// is not safe for concurrent use.
type UTF8Validator struct {
	state uint8 // utf8Boundary, a pending-sequence state, or utf8Failed
}

// The states of the validator between bytes. utf8Boundary means no sequence
// is pending. Each pending state fixes the range the next byte must fall in
// and the state it leads to; the ranges of RFC 3629 §4 that are narrower than
// 80..BF are the second bytes after E0 (no overlong), ED (no surrogate), F0 (no
// overlong) and F4 (nothing above U+10FFFF).
const (
	utf8Boundary = iota // no sequence pending
	utf8Need1           // one more 80..BF
	utf8Need2           // two more 80..BF
	utf8Need3           // three more 80..BF
	utf8AfterE0         // A0..BF, then one more
	utf8AfterED         // 80..9F, then one more
	utf8AfterF0         // 90..BF, then two more
	utf8AfterF4         // 80..8F, then two more
	utf8Failed          // sticky until Reset or Finish
)

// utf8Pending gives, for each pending state, the lowest and highest byte
// allowed next and the state that byte leads to.
var utf8Pending = [utf8Failed][3]uint8{
	utf8Need1:   {0x80, 0xBF, utf8Boundary},
	utf8Need2:   {0x80, 0xBF, utf8Need1},
	utf8Need3:   {0x80, 0xBF, utf8Need2},
	utf8AfterE0: {0xA0, 0xBF, utf8Need1},
	utf8AfterED: {0x80, 0x9F, utf8Need1},
	utf8AfterF0: {0x90, 0xBF, utf8Need2},
	utf8AfterF4: {0x80, 0x8F, utf8Need2},
}

// utf8Lead maps a byte read on a code point boundary to the state it leads
// to: utf8Boundary for ASCII, utf8Failed for bytes that never start a
// sequence (continuation bytes 80..BF, C0 and C1 which could only start
// overlong forms, and F5..FF which could only start code points above
// U+10FFFF or the old 5- and 6-byte forms).
var utf8Lead = func() (t [256]uint8) {
	for b := range 256 {
		switch {
		case b < 0x80:
			t[b] = utf8Boundary
		case b < 0xC2:
			t[b] = utf8Failed
		case b < 0xE0:
			t[b] = utf8Need1
		case b == 0xE0:
			t[b] = utf8AfterE0
		case b == 0xED:
			t[b] = utf8AfterED
		case b < 0xF0:
			t[b] = utf8Need2
		case b == 0xF0:
			t[b] = utf8AfterF0
		case b < 0xF4:
			t[b] = utf8Need3
		case b == 0xF4:
			t[b] = utf8AfterF4
		default:
			t[b] = utf8Failed
		}
	}
	return t
}()

// utf8Step is the state after byte b read in state s (s != utf8Failed).
func utf8Step(s, b uint8) uint8 {
	if s == utf8Boundary {
		return utf8Lead[b]
	}
	r := &utf8Pending[s]
	if b < r[0] || b > r[1] {
		return utf8Failed
	}
	return r[2]
}

// Validate checks the next piece p of the message. It returns len(p) and nil
// when the message is still valid UTF-8 or a prefix of it. Otherwise it
// returns ErrInvalidUTF8 and the index in p of the first byte at which the
// message can no longer be completed to valid UTF-8 (the message up to and
// including that byte is not a prefix of any valid text): for "\xE0\x80"
// (overlong) that is the \x80, for "\xED\xA0" (surrogate) the \xA0, for
// "\xF4\x90" (above U+10FFFF) the \x90, and a byte that can never start a
// sequence (a lone continuation byte, C0, C1, F5..FF) fails at itself. Once
// it has failed, Validate returns 0 and ErrInvalidUTF8 until Reset or Finish.
//
// Validate does not keep p.
func (v *UTF8Validator) Validate(p []byte) (int, error) {
	s := v.state
	if s == utf8Failed {
		return 0, ErrInvalidUTF8
	}
	i := 0
	// Complete the sequence left open by the previous piece, byte by byte.
	for s != utf8Boundary {
		if i == len(p) {
			v.state = s
			return i, nil
		}
		s = utf8Step(s, p[i])
		if s == utf8Failed {
			v.state = utf8Failed
			return i, ErrInvalidUTF8
		}
		i++
	}
	// On a boundary. utf8.Valid is fast, so hand it all of p except a
	// sequence that its last bytes start and do not finish. If that part is
	// invalid, go back to where it began and let the byte-wise state machine
	// find the failing byte; otherwise the state machine only sees the
	// unfinished sequence (at most three bytes) and fails early if it must.
	end := i + utf8Complete(p[i:])
	if !utf8.Valid(p[i:end]) {
		end = i
	}
	for i = end; i < len(p); i++ {
		s = utf8Step(s, p[i])
		if s == utf8Failed {
			v.state = utf8Failed
			return i, ErrInvalidUTF8
		}
	}
	v.state = s
	return len(p), nil
}

// Finish ends the message. It returns nil when everything validated so far
// is valid UTF-8 ending on a code point boundary, ErrIncompleteUTF8 when the
// message stops inside a sequence, and ErrInvalidUTF8 when Validate has
// failed. In every case it resets v for the next message.
func (v *UTF8Validator) Finish() error {
	s := v.state
	v.state = utf8Boundary
	switch s {
	case utf8Boundary:
		return nil
	case utf8Failed:
		return ErrInvalidUTF8
	default:
		return ErrIncompleteUTF8
	}
}

// Reset forgets any message in progress, including a failure.
func (v *UTF8Validator) Reset() { v.state = utf8Boundary }

// AtBoundary reports whether everything validated so far ends on a code point
// boundary, with no partial sequence pending. It is false after a failure.
func (v *UTF8Validator) AtBoundary() bool { return v.state == utf8Boundary }

// utf8Complete returns the length of p without the sequence its last bytes
// start and do not finish, if any: it looks for a lead byte among the last
// three bytes whose sequence would need bytes beyond the end of p. Bytes that
// are invalid anyway may be cut or kept; either way the caller finds them.
func utf8Complete(p []byte) int {
	n := len(p)
	for k := 1; k <= 3 && k <= n; k++ {
		b := p[n-k]
		if b < 0xC0 {
			if b < 0x80 {
				return n // ASCII ends the search: nothing is open
			}
			continue // continuation byte: its lead is further back
		}
		size := 2
		if b >= 0xF0 {
			size = 4
		} else if b >= 0xE0 {
			size = 3
		}
		if size > k {
			return n - k
		}
		return n
	}
	return n
}
