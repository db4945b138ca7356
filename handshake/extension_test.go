package handshake_test

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/wskit/websocket/handshake"
)

func extHeader(lines ...string) http.Header {
	return headerLines("Sec-WebSocket-Extensions", lines...)
}

func ext(name string, params ...handshake.Param) handshake.Extension {
	return handshake.Extension{Name: name, Params: params}
}

func flag(name string) handshake.Param { return handshake.Param{Name: name} }

func kv(name, value string) handshake.Param {
	return handshake.Param{Name: name, Value: value, HasValue: true}
}

// RFC 6455 §9.1: the Sec-WebSocket-Extensions grammar.
func TestRFC6455Section9_1ParseExtensions(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  []handshake.Extension
	}{
		{"absent", nil, nil},
		{"empty line", []string{""}, nil},
		{"only commas and spaces", []string{" , ,\t"}, nil},
		{"plain", []string{"permessage-deflate"}, []handshake.Extension{ext("permessage-deflate")}},
		{"param without value", []string{"permessage-deflate; client_max_window_bits"},
			[]handshake.Extension{ext("permessage-deflate", flag("client_max_window_bits"))}},
		{"param with value", []string{"permessage-deflate; server_max_window_bits=10"},
			[]handshake.Extension{ext("permessage-deflate", kv("server_max_window_bits", "10"))}},
		{"mixed params", []string{"foo; a; b=1; c"},
			[]handshake.Extension{ext("foo", flag("a"), kv("b", "1"), flag("c"))}},
		{"quoted value", []string{`foo; bar="10"`}, []handshake.Extension{ext("foo", kv("bar", "10"))}},
		{"quoted value with escapes", []string{`foo; bar="a\bc\-d"`}, []handshake.Extension{ext("foo", kv("bar", "abc-d"))}},
		{"quoted token with specials", []string{`foo; bar="!#$%&'*+-.^_|~` + "`" + `"`},
			[]handshake.Extension{ext("foo", kv("bar", "!#$%&'*+-.^_|~`"))}},
		{"several offers", []string{"permessage-deflate; client_max_window_bits, permessage-deflate, x-webkit-deflate-frame"},
			[]handshake.Extension{
				ext("permessage-deflate", flag("client_max_window_bits")),
				ext("permessage-deflate"),
				ext("x-webkit-deflate-frame"),
			}},
		{"several lines", []string{"a; x=1", "b", "c; y"},
			[]handshake.Extension{ext("a", kv("x", "1")), ext("b"), ext("c", flag("y"))}},
		{"no whitespace", []string{"a;x=1;y,b"}, []handshake.Extension{ext("a", kv("x", "1"), flag("y")), ext("b")}},
		{"whitespace everywhere", []string{" \ta \t; \tx \t= \t1 \t; y \t, \tb\t "},
			[]handshake.Extension{ext("a", kv("x", "1"), flag("y")), ext("b")}},
		{"whitespace around quoted value", []string{`a; x = "1" ; y`}, []handshake.Extension{ext("a", kv("x", "1"), flag("y"))}},
		{"empty elements", []string{",a,, ,b,", ","}, []handshake.Extension{ext("a"), ext("b")}},
		{"case kept", []string{"PerMessage-Deflate; Client_Max_Window_Bits=15"},
			[]handshake.Extension{ext("PerMessage-Deflate", kv("Client_Max_Window_Bits", "15"))}},
		{"duplicate params kept", []string{"a; x=1; x=2"}, []handshake.Extension{ext("a", kv("x", "1"), kv("x", "2"))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := handshake.ParseExtensions(extHeader(tt.lines...))
			if err != nil {
				t.Fatalf("ParseExtensions(%q): %v", tt.lines, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParseExtensions(%q) =\n %#v\nwant\n %#v", tt.lines, got, tt.want)
			}
			// The canonical form parses back to the same value.
			again, err := handshake.ParseExtensions(extHeader(handshake.FormatExtensions(got)))
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("round trip of %q through %q = %#v, %v", tt.lines, handshake.FormatExtensions(got), again, err)
			}
		})
	}
}

// RFC 6455 §9.1: malformed Sec-WebSocket-Extensions values are rejected with
// an error that says what is wrong and quotes the offending text.
func TestRFC6455Section9_1ParseExtensionsMalformed(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  []string // substrings of the error text
	}{
		{"empty name before params", []string{"; x=1"}, []string{"expected an extension name", `"; x=1"`}},
		{"empty name after comma", []string{"a, ;x"}, []string{"expected an extension name", `";x"`}},
		{"name starts with =", []string{"=a"}, []string{"expected an extension name", `"=a"`}},
		{"trailing semicolon", []string{"foo;"}, []string{"expected a parameter name", `"foo"`, `"foo;"`}},
		{"trailing semicolon and space", []string{"foo; "}, []string{"expected a parameter name"}},
		{"semicolon then comma", []string{"foo;, bar"}, []string{"expected a parameter name", `", bar"`}},
		{"double semicolon", []string{"foo;;x"}, []string{"expected a parameter name", `";x"`}},
		{"empty param name", []string{"foo; =1"}, []string{"expected a parameter name", `"=1"`}},
		{"equals without value", []string{"foo; x="}, []string{`expected a value after "=" for parameter "x"`}},
		{"equals then semicolon", []string{"foo; x=; y"}, []string{`for parameter "x"`, `"; y"`}},
		{"equals then comma", []string{"foo; x=, bar"}, []string{`for parameter "x"`}},
		{"double equals", []string{"foo; x==1"}, []string{`for parameter "x"`, `"=1"`}},
		{"unterminated quote", []string{`foo; x="10`}, []string{"unterminated quoted-string", `"\"10"`}},
		{"unterminated after escape", []string{`foo; x="10\`}, []string{"unterminated quoted-string"}},
		{"empty quoted value", []string{`foo; x=""`}, []string{"not a token once unescaped", `"x"`}},
		{"quoted value with space", []string{`foo; x="1 0"`}, []string{"not a token once unescaped", `"\"1 0\""`}},
		{"quoted value with separator", []string{`foo; x="a,b"`}, []string{"not a token once unescaped"}},
		{"quoted value with escaped quote", []string{`foo; x="a\"b"`}, []string{"not a token once unescaped"}},
		{"control char in quotes", []string{"foo; x=\"a\x01b\""}, []string{"invalid character in quoted-string"}},
		{"control char after backslash", []string{"foo; x=\"a\\\x01\""}, []string{`invalid character after "\"`}},
		{"text after quoted value", []string{`foo; x="1"2`}, []string{"unexpected character", `"2"`}},
		{"space inside name", []string{"foo bar"}, []string{"unexpected character", `"foo"`, `"bar"`}},
		{"space inside value", []string{"foo; x=1 2"}, []string{"unexpected character", `"2"`}},
		{"slash in name", []string{"foo/1"}, []string{"unexpected character", `"/1"`}},
		{"bad char in param name", []string{"foo; x@y=1"}, []string{"unexpected character", `"@y=1"`}},
		{"bad char in value", []string{"foo; x=a:b"}, []string{"unexpected character", `":b"`}},
		{"non-ascii", []string{"föo"}, []string{"unexpected character"}},
		{"nul byte", []string{"foo\x00"}, []string{"unexpected character", `"\x00"`}},
		{"quote as name", []string{`"foo"`}, []string{"expected an extension name"}},
		{"bad second line", []string{"ok", "bad;"}, []string{"expected a parameter name", `"bad;"`}},
		{"long input is cut", []string{"a " + strings.Repeat("b", 200)}, []string{"unexpected character", "..."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := handshake.ParseExtensions(extHeader(tt.lines...))
			if !errors.Is(err, handshake.ErrBadExtensions) {
				t.Fatalf("ParseExtensions(%q) = %#v, %v; want ErrBadExtensions", tt.lines, got, err)
			}
			if got != nil {
				t.Errorf("ParseExtensions(%q) returned %#v with the error", tt.lines, got)
			}
			checkErrorText(t, err, "websocket: malformed Sec-WebSocket-Extensions header: ", tt.want...)
			if msg := err.Error(); len(msg) > 300 {
				t.Errorf("error is %d bytes long", len(msg))
			}
		})
	}
}

// RFC 6455 §9.1: String and FormatExtensions write the canonical form.
func TestRFC6455Section9_1FormatExtensions(t *testing.T) {
	tests := []struct {
		name string
		exts []handshake.Extension
		want string
	}{
		{"none", nil, ""},
		{"plain", []handshake.Extension{ext("foo")}, "foo"},
		{"params", []handshake.Extension{ext("foo", flag("p1"), kv("p2", "v"))}, "foo; p1; p2=v"},
		{"several", []handshake.Extension{ext("a", kv("x", "1")), ext("b")}, "a; x=1, b"},
		{"non-token value quoted", []handshake.Extension{ext("a", kv("x", `1 "2" \3`))}, `a; x="1 \"2\" \\3"`},
		{"empty value quoted", []handshake.Extension{ext("a", kv("x", ""))}, `a; x=""`},
		{"value without HasValue ignored", []handshake.Extension{ext("a", handshake.Param{Name: "x", Value: "1"})}, "a; x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := handshake.FormatExtensions(tt.exts); got != tt.want {
				t.Errorf("FormatExtensions = %q, want %q", got, tt.want)
			}
			if len(tt.exts) == 1 {
				if got := tt.exts[0].String(); got != tt.want {
					t.Errorf("String = %q, want %q", got, tt.want)
				}
			}
		})
	}
}

func TestExtensionParam(t *testing.T) {
	e := ext("permessage-deflate", flag("client_max_window_bits"), kv("Server_Max_Window_Bits", "10"), kv("server_max_window_bits", "11"))
	tests := []struct {
		name                  string
		value                 string
		hasValue, wantPresent bool
	}{
		{"client_max_window_bits", "", false, true},
		{"CLIENT_MAX_WINDOW_BITS", "", false, true},
		{"server_max_window_bits", "10", true, true}, // the first one wins
		{"server_no_context_takeover", "", false, false},
	}
	for _, tt := range tests {
		value, hasValue, present := e.Param(tt.name)
		if value != tt.value || hasValue != tt.hasValue || present != tt.wantPresent {
			t.Errorf("Param(%q) = %q, %v, %v; want %q, %v, %v", tt.name, value, hasValue, present, tt.value, tt.hasValue, tt.wantPresent)
		}
	}
}
