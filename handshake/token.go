package handshake

import (
	"fmt"
	"net/http"
	"strings"
)

// isTokenChar reports whether c is a tchar, a character allowed in an HTTP
// token (RFC 7230 §3.2.6): visible ASCII except the delimiters
// (),/:;<=>?@[\]{} and the double quote.
func isTokenChar(c byte) bool { return tokenChars[c] }

var tokenChars = func() (t [256]bool) {
	for c := '!'; c <= '~'; c++ {
		t[c] = !strings.ContainsRune(`"(),/:;<=>?@[\]{}`, c)
	}
	return t
}()

// isToken reports whether s is a non-empty HTTP token (RFC 7230 §3.2.6).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

// isOWS reports whether c is optional whitespace, SP or HTAB (RFC 7230 §3.2.3).
func isOWS(c byte) bool { return c == ' ' || c == '\t' }

// trimOWS removes leading and trailing optional whitespace (RFC 7230 §3.2.3).
func trimOWS(s string) string {
	for s != "" && isOWS(s[0]) {
		s = s[1:]
	}
	for s != "" && isOWS(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// listElements calls yield for every element of the comma-separated lists
// (RFC 7230 §7) in values, in order, with optional whitespace removed and
// empty elements skipped. It stops early when yield returns false.
//
// The split is on every comma, which is right for lists whose elements are
// tokens (Connection, Upgrade, Sec-WebSocket-Protocol) and never contain one.
func listElements(values []string, yield func(string) bool) {
	for _, v := range values {
		for elem := range strings.SplitSeq(v, ",") {
			elem = trimOWS(elem)
			if elem == "" {
				continue
			}
			if !yield(elem) {
				return
			}
		}
	}
}

// HeaderHasToken reports whether token is an element, compared
// ASCII-case-insensitively, of the comma-separated list in any line of the
// header name (RFC 7230 §7 lists, §6.1 Connection options; RFC 6455 §4.1
// response checks 2–3 and §4.2.1 items 3–4 compare Upgrade and Connection
// without regard to case).
//
// Whole elements are compared: "upgrades" or "websocket/13" do not contain
// "upgrade" or "websocket". Empty elements never match, so an empty token
// never does. The name is looked up with [http.Header.Values], which expects
// canonical keys as net/http stores them.
func HeaderHasToken(h http.Header, name, token string) bool {
	return hasToken(h.Values(name), token)
}

// hasToken reports whether token is an element of the lists in values, as
// HeaderHasToken does for a header's values.
func hasToken(values []string, token string) bool {
	found := false
	listElements(values, func(elem string) bool {
		found = strings.EqualFold(elem, token)
		return !found
	})
	return found
}

// ParseProtocols returns the subprotocols listed in all Sec-WebSocket-Protocol
// lines of h, in order and as written (RFC 6455 §4.1 item 10, §11.3.4). Empty
// list elements are skipped (RFC 7230 §7); every other element must be a
// token, or the error, which wraps [ErrBadProtocols], quotes the first
// offender. The result is nil when the header is absent or lists nothing.
//
// Duplicates are returned as sent: RFC 6455 §4.1 forbids a client to send
// them but asks nothing of the server, and [SelectProtocol] is unaffected.
func ParseProtocols(h http.Header) ([]string, error) {
	protocols, reason := parseProtocols(h.Values(protocolHeader))
	if reason != "" {
		return nil, fmt.Errorf("%w: %s", ErrBadProtocols, reason)
	}
	return protocols, nil
}

// parseProtocols is ParseProtocols over raw header values; it returns a
// non-empty reason instead of an error.
func parseProtocols(values []string) (protocols []string, reason string) {
	listElements(values, func(elem string) bool {
		if !isToken(elem) {
			reason = "subprotocol " + quote(elem) + " is not a token"
			return false
		}
		protocols = append(protocols, elem)
		return true
	})
	if reason != "" {
		return nil, reason
	}
	return protocols, ""
}

// validFieldValue reports whether v can be written as a header field value:
// no control characters other than HTAB (RFC 7230 §3.2 field-content), so in
// particular no CR or LF that would end the line.
func validFieldValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
