package handshake_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/wskit/websocket/handshake"
)

// The sample key of RFC 6455 §1.3 and §4.2.2, and its accept value.
const (
	sampleKey    = "dGhlIHNhbXBsZSBub25jZQ=="
	sampleAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
)

// RFC 6455 §1.3: the server concatenates the key with the GUID, hashes it with
// SHA-1 and base64-encodes the 20-byte digest.
func TestRFC6455Section1_3AcceptKey(t *testing.T) {
	if got := handshake.AcceptKey(sampleKey); got != sampleAccept {
		t.Fatalf("AcceptKey(%q) = %q, want %q", sampleKey, got, sampleAccept)
	}
	if handshake.GUID != "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" {
		t.Fatalf("GUID = %q", handshake.GUID)
	}
	// The key is hashed as written, so any change alters the answer.
	if got := handshake.AcceptKey(strings.ToLower(sampleKey)); got == sampleAccept {
		t.Fatal("AcceptKey ignores the case of the key")
	}
}

// RFC 6455 §4.1 item 7: the key is a fresh random 16-byte nonce, base64-encoded.
func TestRFC6455Section4_1NewKey(t *testing.T) {
	k1, err := handshake.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	k2, err := handshake.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{k1, k2} {
		if len(k) != 24 {
			t.Errorf("NewKey() = %q, %d characters, want 24", k, len(k))
		}
		raw, err := base64.StdEncoding.DecodeString(k)
		if err != nil || len(raw) != 16 {
			t.Errorf("NewKey() = %q decodes to %d bytes (err %v), want 16", k, len(raw), err)
		}
		if !handshake.ValidKey(k) {
			t.Errorf("ValidKey(NewKey() = %q) = false", k)
		}
	}
	if k1 == k2 {
		t.Errorf("two calls to NewKey returned the same key %q", k1)
	}
}

// RFC 6455 §4.2.1 item 5: the key must decode to exactly 16 bytes.
func TestRFC6455Section4_2_1ValidKey(t *testing.T) {
	b64 := func(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }
	tests := []struct {
		name string
		key  string
		want bool
	}{
		{"rfc sample", sampleKey, true},
		{"16 zero bytes", b64(16), true},
		{"all 0xff", base64.StdEncoding.EncodeToString([]byte(strings.Repeat("\xff", 16))), true},
		{"empty", "", false},
		{"15 bytes", b64(15), false},
		{"17 bytes", b64(17), false},
		{"32 bytes", b64(32), false},
		{"unpadded", strings.TrimRight(sampleKey, "="), false},
		{"one pad only", sampleKey[:23], false},
		{"too long", sampleKey + "A", false},
		{"url alphabet", "-_-_-_-_-_-_-_-_-_-_-A==", false},
		{"url alphabet, unpadded", base64.RawURLEncoding.EncodeToString([]byte(strings.Repeat("\xfb", 16))), false},
		{"bad character", "dGhlIHNhbXBsZSBub25jZ!==", false},
		{"space inside", "dGhlIHNhbXBsZSBub25j ZQ=", false},
		{"newline inside", "dGhlIHNhbXBsZSBub25j\nZQ=", false},
		{"leading space", " dGhlIHNhbXBsZSBub25jZQ=", false},
		{"pad in the middle", "dGhlIHNhbX=sZSBub25jZQ==", false},
		{"non-zero padding bits", "dGhlIHNhbXBsZSBub25jZR==", false},
		{"24 chars, 18 bytes", "dGhlIHNhbXBsZSBub25jZQAA", false},
		{"non-ascii", "dGhlIHNhbXBsZSBub25jZé=", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := handshake.ValidKey(tt.key); got != tt.want {
				t.Errorf("ValidKey(%q) = %v, want %v", tt.key, got, tt.want)
			}
		})
	}
}

// ValidKey judges by the characters alone; the standard library's strict
// decoder is the reference it must agree with: for every character in
// every position of a valid key, and for every ending of the last data
// character.
func TestValidKeyAgreesWithStrictDecoder(t *testing.T) {
	reference := func(key string) bool {
		raw, err := base64.StdEncoding.Strict().DecodeString(key)
		return err == nil && len(raw) == 16 && len(key) == 24
	}
	check := func(key string) {
		t.Helper()
		if got, want := handshake.ValidKey(key), reference(key); got != want {
			t.Errorf("ValidKey(%q) = %v, the strict decoder says %v", key, got, want)
		}
	}
	for pos := range len(sampleKey) {
		for c := range 256 {
			b := []byte(sampleKey)
			b[pos] = byte(c)
			check(string(b))
		}
	}
	// Every pair of the last data character and the one before it.
	for c1 := range 256 {
		for c2 := range 256 {
			b := []byte(sampleKey)
			b[20], b[21] = byte(c1), byte(c2)
			check(string(b))
		}
	}
}

// A well-formed key is answered with one allocation, the answer itself,
// and a response built into a buffer large enough makes none.
func TestAcceptKeyAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { handshake.AcceptKey(sampleKey) }); n != 1 {
		t.Errorf("AcceptKey: %v allocations, want 1", n)
	}
	dst := make([]byte, 0, 512)
	if n := testing.AllocsPerRun(100, func() { handshake.AppendResponse(dst, sampleKey, "chat", nil, nil) }); n != 0 {
		t.Errorf("AppendResponse: %v allocations, want 0", n)
	}
	if got := string(handshake.AppendResponse(dst, sampleKey, "", nil, nil)); !strings.Contains(got, "\r\nSec-WebSocket-Accept: "+sampleAccept+"\r\n") {
		t.Errorf("AppendResponse = %q, no accept line for the sample key", got)
	}
}
