package deflate_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/handshake"
)

// RFC 7692 §7.1: every parameter, alone and together, parses and formats
// back to the same text.
func TestRFC7692Section7_1ParseParams(t *testing.T) {
	tests := []struct {
		header string
		want   deflate.Params
		canon  string // the formatted form, when it differs from header
	}{
		{"permessage-deflate", deflate.Params{}, ""},
		{"permessage-deflate; server_no_context_takeover", deflate.Params{ServerNoContextTakeover: true}, ""},
		{"permessage-deflate; client_no_context_takeover", deflate.Params{ClientNoContextTakeover: true}, ""},
		{"permessage-deflate; server_max_window_bits=8", deflate.Params{ServerMaxWindowBits: 8}, ""},
		{"permessage-deflate; server_max_window_bits=15", deflate.Params{ServerMaxWindowBits: 15}, ""},
		{"permessage-deflate; client_max_window_bits", deflate.Params{ClientMaxWindowBits: deflate.NoValue}, ""},
		{"permessage-deflate; client_max_window_bits=9", deflate.Params{ClientMaxWindowBits: 9}, ""},
		{"permessage-deflate; client_max_window_bits=15", deflate.Params{ClientMaxWindowBits: 15}, ""},
		{`permessage-deflate; server_max_window_bits="10"`, deflate.Params{ServerMaxWindowBits: 10},
			"permessage-deflate; server_max_window_bits=10"},
		{"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12",
			deflate.Params{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 10, ClientMaxWindowBits: 12}, ""},
		{"permessage-deflate; client_max_window_bits; server_max_window_bits=11; client_no_context_takeover",
			deflate.Params{ClientNoContextTakeover: true, ServerMaxWindowBits: 11, ClientMaxWindowBits: deflate.NoValue},
			"permessage-deflate; client_no_context_takeover; server_max_window_bits=11; client_max_window_bits"},
		{"PerMessage-Deflate; Server_No_Context_Takeover; CLIENT_MAX_WINDOW_BITS=14",
			deflate.Params{ServerNoContextTakeover: true, ClientMaxWindowBits: 14},
			"permessage-deflate; server_no_context_takeover; client_max_window_bits=14"},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			exts := parseHeader(t, tt.header)
			got, err := deflate.ParseParams(exts[0])
			if err != nil {
				t.Fatalf("ParseParams: %v", err)
			}
			if got != tt.want {
				t.Fatalf("ParseParams = %+v, want %+v", got, tt.want)
			}
			canon := tt.canon
			if canon == "" {
				canon = tt.header
			}
			if s := got.Extension().String(); s != canon {
				t.Errorf("Extension() = %q, want %q", s, canon)
			}
			again, err := deflate.ParseParams(got.Extension())
			if err != nil || again != got {
				t.Errorf("round trip = %+v, %v", again, err)
			}
		})
	}
}

// RFC 7692 §7.1: unknown parameters, duplicates and bad values are errors
// that say what is wrong.
func TestRFC7692Section7_1ParseParamsMalformed(t *testing.T) {
	tests := []struct {
		name string
		ext  handshake.Extension
		want string
	}{
		{"other extension", ext("x-webkit-deflate-frame"), `"x-webkit-deflate-frame" is not permessage-deflate`},
		{"unknown param", ext("permessage-deflate", flag("mem_level")), `unknown parameter "mem_level"`},
		{"unknown param with value", ext("permessage-deflate", kv("max_window_bits", "10")), `unknown parameter "max_window_bits"`},
		{"duplicate flag", ext("permessage-deflate", flag("server_no_context_takeover"), flag("server_no_context_takeover")), "given twice"},
		{"duplicate across case", ext("permessage-deflate", flag("client_no_context_takeover"), flag("Client_No_Context_Takeover")), "given twice"},
		{"duplicate window", ext("permessage-deflate", kv("server_max_window_bits", "10"), kv("server_max_window_bits", "10")), "given twice"},
		{"duplicate client window", ext("permessage-deflate", flag("client_max_window_bits"), kv("client_max_window_bits", "10")), "given twice"},
		{"flag with value", ext("permessage-deflate", kv("server_no_context_takeover", "1")), `takes no value, got "1"`},
		{"client flag with value", ext("permessage-deflate", kv("client_no_context_takeover", "")), "takes no value"},
		{"server window without value", ext("permessage-deflate", flag("server_max_window_bits")), "needs a value from 8 to 15"},
		{"server window 7", ext("permessage-deflate", kv("server_max_window_bits", "7")), `value "7", want 8 to 15`},
		{"server window 16", ext("permessage-deflate", kv("server_max_window_bits", "16")), `value "16"`},
		{"server window 0", ext("permessage-deflate", kv("server_max_window_bits", "0")), `value "0"`},
		{"server window leading zero", ext("permessage-deflate", kv("server_max_window_bits", "010")), `value "010"`},
		{"server window 08", ext("permessage-deflate", kv("server_max_window_bits", "08")), `value "08"`},
		{"server window sign", ext("permessage-deflate", kv("server_max_window_bits", "+9")), `value "+9"`},
		{"server window negative", ext("permessage-deflate", kv("server_max_window_bits", "-9")), `value "-9"`},
		{"server window abc", ext("permessage-deflate", kv("server_max_window_bits", "abc")), `value "abc"`},
		{"server window empty", ext("permessage-deflate", kv("server_max_window_bits", "")), `value ""`},
		{"server window huge", ext("permessage-deflate", kv("server_max_window_bits", "99999999999999999999")), "want 8 to 15"},
		{"client window 7", ext("permessage-deflate", kv("client_max_window_bits", "7")), `value "7"`},
		{"client window 16", ext("permessage-deflate", kv("client_max_window_bits", "16")), `value "16"`},
		{"client window abc", ext("permessage-deflate", kv("client_max_window_bits", "abc")), `value "abc"`},
		{"client window 1.5", ext("permessage-deflate", kv("client_max_window_bits", "1.5")), `value "1.5"`},
		{"long value quoted short", ext("permessage-deflate", kv("client_max_window_bits", strings.Repeat("9", 100))), `"...`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := deflate.ParseParams(tt.ext)
			if err == nil {
				t.Fatalf("ParseParams(%v) = %+v, want an error", tt.ext, p)
			}
			if !errors.Is(err, deflate.ErrBadParams) {
				t.Errorf("error %v does not wrap ErrBadParams", err)
			}
			if !strings.HasPrefix(err.Error(), "websocket: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if p != (deflate.Params{}) {
				t.Errorf("ParseParams returned %+v with its error", p)
			}
		})
	}
}

// RFC 7692 §7.1.1, §7.1.2: what a response means for each direction.
func TestRFC7692Section7_1ParamsFlows(t *testing.T) {
	client, server := deflate.Params{}.Flows()
	if want := (deflate.Flow{WindowBits: 15}); client != want || server != want {
		t.Errorf("Flows of no params = %+v, %+v", client, server)
	}
	p := deflate.Params{ServerNoContextTakeover: true, ServerMaxWindowBits: 9, ClientMaxWindowBits: 12}
	client, server = p.Flows()
	if client != (deflate.Flow{WindowBits: 12}) || server != (deflate.Flow{NoContextTakeover: true, WindowBits: 9}) {
		t.Errorf("Flows of %+v = %+v, %+v", p, client, server)
	}
	p = deflate.Params{ClientNoContextTakeover: true, ClientMaxWindowBits: deflate.NoValue}
	client, server = p.Flows()
	if client != (deflate.Flow{NoContextTakeover: true, WindowBits: 15}) || server != (deflate.Flow{WindowBits: 15}) {
		t.Errorf("Flows of %+v = %+v, %+v", p, client, server)
	}
}
