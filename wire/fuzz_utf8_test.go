package wire_test

import (
	"math/rand/v2"
	"testing"
	"unicode/utf8"

	"github.com/wskit/websocket/wire"
)

// FuzzUTF8 validates data cut into pieces chosen by split and checks the
// verdict against unicode/utf8 and the failing offset against the definition
// (utf8RefFail in utf8_test.go). The seed corpus is in
// testdata/fuzz/FuzzUTF8.
func FuzzUTF8(f *testing.F) {
	f.Add([]byte("hello, world"), uint64(0))
	f.Add([]byte("Gr\xC3\xBC\xC3\x9Fe \xE2\x82\xAC \xF0\x9F\x98\x80"), uint64(1))
	f.Add([]byte("\xE0\x80\xAF"), uint64(2))
	f.Add([]byte("\xED\xA0\x80\xED\xB0\x80"), uint64(3))
	f.Add([]byte("abc\xF0\x9F\x98"), uint64(4))
	f.Add([]byte("\xF4\x90\x80\x80"), uint64(5))
	f.Add([]byte("\xEF\xBF\xBE\xEF\xBF\xBF\xF4\x8F\xBF\xBF"), uint64(6))
	f.Fuzz(func(t *testing.T, data []byte, split uint64) {
		// split picks the piece sizes: 0 means whole, 1 one byte at a
		// time, anything else random sizes up to a limit it also picks.
		var pieces [][]byte
		switch split {
		case 0:
			pieces = [][]byte{data}
		case 1:
			for i := range data {
				pieces = append(pieces, data[i:i+1])
			}
		default:
			r := rand.New(rand.NewPCG(split, split>>32))
			limit := 1 + int(split%17)
			for p := data; len(p) > 0; {
				n := min(r.IntN(limit+1), len(p))
				pieces = append(pieces, p[:n])
				p = p[n:]
			}
		}

		got := utf8Feed(t, pieces)
		if (got.finish == nil) != utf8.Valid(data) {
			t.Fatalf("% X: Finish = %v, utf8.Valid = %v", data, got.finish, utf8.Valid(data))
		}
		want := utf8Want(data)
		if got != want {
			t.Fatalf("% X in %d pieces: got %+v, want %+v", data, len(pieces), got, want)
		}
		if want.fail >= 0 && want.finish != wire.ErrInvalidUTF8 {
			t.Fatalf("reference inconsistent: %+v", want)
		}
		if s := utf8StdFail(data); s != want.fail {
			t.Fatalf("% X: definition fails at %d, unicode/utf8 at %d", data, want.fail, s)
		}
	})
}
