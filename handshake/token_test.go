package handshake_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/wskit/websocket/handshake"
)

// RFC 7230 §7 comma lists and §3.2.6 tokens, as used by RFC 6455 §4.1 response
// checks 2–3 and §4.2.1 items 3–4 for Upgrade and Connection.
func TestRFC7230Section7HeaderHasToken(t *testing.T) {
	const conn, upg = "Connection", "Upgrade"
	tests := []struct {
		name  string
		h     http.Header
		field string
		token string
		want  bool
	}{
		{"exact", header(conn, "Upgrade"), conn, "upgrade", true},
		{"upper case", header(conn, "UPGRADE"), conn, "upgrade", true},
		{"mixed case token argument", header(upg, "websocket"), upg, "WebSocket", true},
		{"second element", header(conn, "keep-alive, Upgrade"), conn, "upgrade", true},
		{"first element", header(conn, "Upgrade, keep-alive"), conn, "upgrade", true},
		{"no spaces", header(conn, "keep-alive,Upgrade"), conn, "upgrade", true},
		{"tabs and spaces", header(conn, "keep-alive \t,\t Upgrade \t"), conn, "upgrade", true},
		{"second line", header(conn, "keep-alive", conn, "Upgrade"), conn, "upgrade", true},
		{"empty elements", header(conn, ", ,,keep-alive,, Upgrade ,"), conn, "upgrade", true},
		{"several lines with empties", header(conn, ",", conn, " , upgrade"), conn, "upgrade", true},
		{"lower-case field name", header(conn, "Upgrade"), "connection", "upgrade", true},
		{"absent", header(upg, "websocket"), conn, "upgrade", false},
		{"empty value", header(conn, ""), conn, "upgrade", false},
		{"only commas", header(conn, ", ,"), conn, "upgrade", false},
		{"longer token", header(conn, "upgrades"), conn, "upgrade", false},
		{"prefix token", header(conn, "upgrade-insecure"), conn, "upgrade", false},
		{"shorter token", header(conn, "upgrad"), conn, "upgrade", false},
		{"inside another token", header(conn, "keep-alive-upgrade"), conn, "upgrade", false},
		{"space-separated, not comma", header(conn, "keep-alive Upgrade"), conn, "upgrade", false},
		{"with version", header(upg, "websocket/13"), upg, "websocket", false},
		{"quoted", header(upg, `"websocket"`), upg, "websocket", false},
		{"token in another header", header(upg, "upgrade"), conn, "upgrade", false},
		{"empty token never matches", header(conn, ", ,"), conn, "", false},
		{"nil header", nil, conn, "upgrade", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := handshake.HeaderHasToken(tt.h, tt.field, tt.token); got != tt.want {
				t.Errorf("HeaderHasToken(%v, %q, %q) = %v, want %v", tt.h, tt.field, tt.token, got, tt.want)
			}
		})
	}
}

// RFC 6455 §4.1 item 10 and §11.3.4: Sec-WebSocket-Protocol is a comma list of
// tokens, possibly over several lines.
func TestRFC6455Section4_1ParseProtocols(t *testing.T) {
	tests := []struct {
		name    string
		h       http.Header
		want    []string
		wantErr string // substring of the error text; "" for success
	}{
		{"absent", header(), nil, ""},
		{"one", header("Sec-WebSocket-Protocol", "chat"), []string{"chat"}, ""},
		{"rfc sample", header("Sec-WebSocket-Protocol", "chat, superchat"), []string{"chat", "superchat"}, ""},
		{"several lines", header("Sec-WebSocket-Protocol", "a, b", "Sec-WebSocket-Protocol", "c"), []string{"a", "b", "c"}, ""},
		{"whitespace and empties", header("Sec-WebSocket-Protocol", " ,a ,\t, b\t,"), []string{"a", "b"}, ""},
		{"case kept", header("Sec-WebSocket-Protocol", "Chat.V2, mqtt"), []string{"Chat.V2", "mqtt"}, ""},
		{"duplicates kept", header("Sec-WebSocket-Protocol", "a, a"), []string{"a", "a"}, ""},
		{"empty value", header("Sec-WebSocket-Protocol", ""), nil, ""},
		{"separator inside", header("Sec-WebSocket-Protocol", "chat/1"), nil, `"chat/1"`},
		{"space inside", header("Sec-WebSocket-Protocol", "a b"), nil, `"a b"`},
		{"quoted", header("Sec-WebSocket-Protocol", `"chat"`), nil, `"\"chat\""`},
		{"non-ascii", header("Sec-WebSocket-Protocol", "chät"), nil, "is not a token"},
		{"bad in second line", header("Sec-WebSocket-Protocol", "a", "Sec-WebSocket-Protocol", "b;c"), nil, `"b;c"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := handshake.ParseProtocols(tt.h)
			if tt.wantErr != "" {
				if !errors.Is(err, handshake.ErrBadProtocols) {
					t.Fatalf("ParseProtocols = %q, %v; want ErrBadProtocols", got, err)
				}
				checkErrorText(t, err, "websocket: ", tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("ParseProtocols: %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ParseProtocols = %q, want %q", got, tt.want)
			}
		})
	}
}

// RFC 6455 §4.2.2 /subprotocol/: the server picks one of the client's
// subprotocols, by its own preference; RFC 7936 §2: case-sensitive.
func TestRFC6455Section4_2_2SelectProtocol(t *testing.T) {
	tests := []struct {
		name               string
		offered, supported []string
		want               string
	}{
		{"server preference wins", []string{"chat", "superchat"}, []string{"superchat", "chat"}, "superchat"},
		{"only common one", []string{"a", "b", "c"}, []string{"x", "c"}, "c"},
		{"none common", []string{"a"}, []string{"b"}, ""},
		{"nothing offered", nil, []string{"a"}, ""},
		{"nothing supported", []string{"a"}, nil, ""},
		{"case-sensitive", []string{"Chat"}, []string{"chat"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := handshake.SelectProtocol(tt.offered, tt.supported); got != tt.want {
				t.Errorf("SelectProtocol(%q, %q) = %q, want %q", tt.offered, tt.supported, got, tt.want)
			}
		})
	}
}

// RFC 7230 §3.2.6: exactly the tchars make up a token, checked byte by byte.
func TestRFC7230Section3_2_6TokenChars(t *testing.T) {
	for c := 0; c < 256; c++ {
		if c == ',' {
			continue // a list separator, not part of an element
		}
		s := "a" + string(rune(c)) + "b"
		if c >= 0x80 {
			s = "a" + string([]byte{byte(c)}) + "b"
		}
		_, err := handshake.ParseProtocols(header("Sec-WebSocket-Protocol", s))
		want := c > ' ' && c < 0x7f && !strings.ContainsRune(`"(),/:;<=>?@[\]{}`, rune(c))
		if (err == nil) != want {
			t.Errorf("byte %#02x: ParseProtocols(%q) error %v, want token %v", c, s, err, want)
		}
	}
}
