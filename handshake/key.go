package handshake

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"slices"
)

// Version is the value of Sec-WebSocket-Version this package speaks and
// accepts (RFC 6455 §4.1 item 9, §4.2.1 item 6).
const Version = "13"

// GUID is the fixed string appended to the client's key before hashing it
// into Sec-WebSocket-Accept (RFC 6455 §1.3).
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// keyBytes is the size of the nonce carried by Sec-WebSocket-Key, and keyLen
// the length of its padded standard base64 form (RFC 6455 §4.1 item 7).
const (
	keyBytes = 16
	keyLen   = 24
)

// NewKey returns a fresh Sec-WebSocket-Key: 16 bytes from crypto/rand in
// padded standard base64, always 24 characters (RFC 6455 §4.1 item 7, which
// requires the nonce to be chosen randomly for each connection).
func NewKey() (string, error) {
	var nonce [keyBytes]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(nonce[:]), nil
}

// AcceptKey returns the Sec-WebSocket-Accept value that answers key: the
// padded standard base64 of the SHA-1 of key followed by [GUID] (RFC 6455
// §4.2.2 item 5, §1.3). The key is hashed exactly as written, without
// decoding it, so AcceptKey answers any string.
func AcceptKey(key string) string {
	if len(key) != keyLen {
		return acceptAnyKey(key)
	}
	var out [acceptLen]byte
	return string(appendAcceptKey(out[:0], key))
}

// acceptLen is the length of Sec-WebSocket-Accept: the base64 of 20 bytes.
const acceptLen = 28

// appendAcceptKey appends AcceptKey(key) to dst, for a key of keyLen
// bytes: the key is hashed from a buffer on the stack, and the answer is
// encoded in place.
func appendAcceptKey(dst []byte, key string) []byte {
	var in [keyLen + len(GUID)]byte
	copy(in[copy(in[:], key):], GUID)
	sum := sha1.Sum(in[:])
	dst = slices.Grow(dst, acceptLen)
	n := len(dst)
	dst = dst[:n+acceptLen]
	base64.StdEncoding.Encode(dst[n:], sum[:])
	return dst
}

// acceptAnyKey is AcceptKey for a key of any length.
func acceptAnyKey(key string) string {
	sum := sha1.Sum([]byte(key + GUID))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// ValidKey reports whether key is a well-formed Sec-WebSocket-Key: padded
// standard base64 (not the URL alphabet, no line breaks, canonical padding
// bits) that decodes to exactly 16 bytes (RFC 6455 §4.1 item 7, §4.2.1 item
// 5).
func ValidKey(key string) bool {
	if len(key) != keyLen || key[keyLen-2] != '=' || key[keyLen-1] != '=' {
		return false
	}
	for i := 0; i < keyLen-2; i++ {
		if !isBase64Char(key[i]) {
			return false
		}
	}
	// 16 bytes are 128 bits: 21 characters of 6 bits, then the top 2 bits
	// of the 22nd, whose 4 low bits are padding and must be zero in the
	// canonical form. Of the alphabet, only A, Q, g and w (0, 16, 32, 48)
	// have them so.
	switch key[keyLen-3] {
	case 'A', 'Q', 'g', 'w':
		return true
	}
	return false
}

// isBase64Char reports whether c is in the standard base64 alphabet of
// RFC 4648 §4 (padding excluded).
func isBase64Char(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/'
}
