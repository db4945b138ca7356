package wire_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wskit/websocket/wire"
)

// Benchmarks for the UTF-8 validator on typical texts, whole and in 1 KiB
// pieces (which cut code points at the piece edges), with utf8.Valid on the
// same bytes as the baseline.

var utf8BenchTexts = []struct{ name, sample string }{
	{"ASCII", "The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs! 0123456789\n"},
	{"German", "Über die Brücke gehen fünf Bären, während die Größe der Straße täglich wächst; schön öffentlich. "},
	{"CJK", "我能吞下玻璃而不伤身体。天地玄黄，宇宙洪荒。日月盈昃，辰宿列张。寒来暑往，秋收冬藏。"},
	{"Emoji", "😀😃😄😁😆😅🤣😂🙂🙃😉😊😇🥰😍🤩😘😗😚😙🥲😋😛😜🤪😝🤑🤗🤭🫢🫣🤫🤔🫡"},
}

// utf8BenchText repeats sample to exactly n bytes, ending on a code point
// boundary (so a few bytes short of n when a code point would not fit).
func utf8BenchText(sample string, n int) []byte {
	s := strings.Repeat(sample, n/len(sample)+1)[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return []byte(s)
}

func BenchmarkUTF8(b *testing.B) {
	for _, text := range utf8BenchTexts {
		for _, size := range []struct {
			name string
			n    int
		}{{"1KiB", 1 << 10}, {"64KiB", 64 << 10}} {
			data := utf8BenchText(text.sample, size.n)
			prefix := text.name + "/" + size.name + "/"
			b.Run(prefix+"whole", func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				var v wire.UTF8Validator
				for b.Loop() {
					if _, err := v.Validate(data); err != nil {
						b.Fatal(err)
					}
					if err := v.Finish(); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(prefix+"pieces1KiB", func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				var v wire.UTF8Validator
				for b.Loop() {
					for p := data; len(p) > 0; {
						n := min(1<<10, len(p))
						if _, err := v.Validate(p[:n]); err != nil {
							b.Fatal(err)
						}
						p = p[n:]
					}
					if err := v.Finish(); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(prefix+"utf8.Valid", func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				for b.Loop() {
					if !utf8.Valid(data) {
						b.Fatal("invalid")
					}
				}
			})
		}
	}
}
