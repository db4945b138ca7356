package handshake

import (
	"fmt"
	"net/http"
	"strings"
)

// Param is one extension parameter: a bare name, or name=value (RFC 6455
// §9.1). A value sent as a quoted-string is stored unquoted and unescaped.
type Param struct {
	Name     string
	Value    string
	HasValue bool
}

// Extension is one element of a Sec-WebSocket-Extensions list: an extension
// name and its parameters, in the order written (RFC 6455 §9.1). Names are
// kept as written; compare them with strings.EqualFold.
//
// Parameter negotiation belongs to each extension (RFC 6455 §9.1; for
// permessage-deflate, RFC 7692 §7); this package only parses and formats.
type Extension struct {
	Name   string
	Params []Param
}

// Param looks up the first parameter of e whose name matches name
// ASCII-case-insensitively. present reports whether there is one; hasValue
// whether it has a value, and value that value.
func (e Extension) Param(name string) (value string, hasValue, present bool) {
	for _, p := range e.Params {
		if strings.EqualFold(p.Name, name) {
			return p.Value, p.HasValue, true
		}
	}
	return "", false, false
}

// String returns e in the canonical form of RFC 6455 §9.1, parameters
// separated by "; ", as in "permessage-deflate; client_max_window_bits;
// server_max_window_bits=10". A value that is not a token is written as a
// quoted-string (RFC 7230 §3.2.6); such a value is not valid in this header
// (RFC 6455 §9.1), so [ParseExtensions] would reject the result.
func (e Extension) String() string {
	var b strings.Builder
	writeExtension(&b, e)
	return b.String()
}

// FormatExtensions returns the Sec-WebSocket-Extensions value listing exts in
// order, each in the form of [Extension.String], joined by ", " (RFC 6455
// §9.1). It returns "" for an empty list.
func FormatExtensions(exts []Extension) string {
	var b strings.Builder
	for i, e := range exts {
		if i > 0 {
			b.WriteString(", ")
		}
		writeExtension(&b, e)
	}
	return b.String()
}

func writeExtension(b *strings.Builder, e Extension) {
	b.WriteString(e.Name)
	for _, p := range e.Params {
		b.WriteString("; ")
		b.WriteString(p.Name)
		if !p.HasValue {
			continue
		}
		b.WriteByte('=')
		if isToken(p.Value) {
			b.WriteString(p.Value)
			continue
		}
		b.WriteByte('"')
		for i := 0; i < len(p.Value); i++ {
			if c := p.Value[i]; c == '"' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(p.Value[i])
		}
		b.WriteByte('"')
	}
}

// ParseExtensions returns the extensions listed in all
// Sec-WebSocket-Extensions lines of h, in order (RFC 6455 §9.1):
//
//	extension-list = 1#extension
//	extension      = token *( ";" param )
//	param          = token [ "=" ( token / quoted-string ) ]
//
// Optional whitespace is allowed around ";", "," and "=", and empty list
// elements are skipped (RFC 7230 §7). A quoted-string value is unescaped and
// must then be a token (RFC 6455 §9.1). Names and values are returned as
// written. The result is nil when the header is absent or lists nothing.
//
// Malformed input gives an error that wraps [ErrBadExtensions], says what is
// wrong and quotes the text where parsing stopped.
func ParseExtensions(h http.Header) ([]Extension, error) {
	exts, reason := parseExtensions(h.Values(extensionsHeader))
	if reason != "" {
		return nil, fmt.Errorf("%w: %s", ErrBadExtensions, reason)
	}
	return exts, nil
}

// parseExtensions is ParseExtensions over raw header values; it returns a
// non-empty reason instead of an error.
func parseExtensions(values []string) ([]Extension, string) {
	var exts []Extension
	for _, v := range values {
		p := extParser{s: v}
		for {
			e, ok, reason := p.next()
			if reason != "" {
				return nil, reason
			}
			if !ok {
				break
			}
			exts = append(exts, e)
		}
	}
	return exts, ""
}

// extParser scans one header line of a Sec-WebSocket-Extensions list.
type extParser struct {
	s   string
	pos int
}

// next returns the next extension of the line; ok is false at the end of the
// line. A non-empty reason describes a syntax error.
func (p *extParser) next() (e Extension, ok bool, reason string) {
	// Skip empty list elements (RFC 7230 §7).
	for {
		p.skipOWS()
		if p.pos == len(p.s) {
			return Extension{}, false, ""
		}
		if p.s[p.pos] != ',' {
			break
		}
		p.pos++
	}

	e.Name = p.token()
	if e.Name == "" {
		return Extension{}, false, p.fail("expected an extension name")
	}
	p.skipOWS()
	for p.pos < len(p.s) && p.s[p.pos] == ';' {
		p.pos++
		p.skipOWS()
		var prm Param
		prm.Name = p.token()
		if prm.Name == "" {
			return Extension{}, false, p.fail("expected a parameter name after \";\" in extension " + quote(e.Name))
		}
		p.skipOWS()
		if p.pos < len(p.s) && p.s[p.pos] == '=' {
			p.pos++
			p.skipOWS()
			prm.HasValue = true
			if p.pos < len(p.s) && p.s[p.pos] == '"' {
				start := p.pos
				v, reason := p.quotedString()
				if reason != "" {
					return Extension{}, false, reason
				}
				if !isToken(v) {
					return Extension{}, false, "quoted value " + quote(p.s[start:p.pos]) + " of parameter " + quote(prm.Name) + " is not a token once unescaped"
				}
				prm.Value = v
			} else {
				prm.Value = p.token()
				if prm.Value == "" {
					return Extension{}, false, p.fail("expected a value after \"=\" for parameter " + quote(prm.Name))
				}
			}
			p.skipOWS()
		}
		e.Params = append(e.Params, prm)
	}
	if p.pos < len(p.s) && p.s[p.pos] != ',' {
		return Extension{}, false, p.fail("unexpected character in extension " + quote(e.Name))
	}
	return e, true, ""
}

// fail returns a reason naming the problem and quoting the text from the
// current position.
func (p *extParser) fail(what string) string {
	if p.pos >= len(p.s) {
		return what + " at end of " + quote(p.s)
	}
	return what + " at " + quote(p.s[p.pos:])
}

func (p *extParser) skipOWS() {
	for p.pos < len(p.s) && isOWS(p.s[p.pos]) {
		p.pos++
	}
}

// token consumes and returns the longest run of tchars, possibly empty.
func (p *extParser) token() string {
	start := p.pos
	for p.pos < len(p.s) && isTokenChar(p.s[p.pos]) {
		p.pos++
	}
	return p.s[start:p.pos]
}

// quotedString consumes a quoted-string starting at the opening quote and
// returns its unescaped content (RFC 7230 §3.2.6).
func (p *extParser) quotedString() (string, string) {
	start := p.pos
	p.pos++ // opening quote
	var b strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case c == '"':
			p.pos++
			return b.String(), ""
		case c == '\\':
			if p.pos+1 == len(p.s) {
				return "", "unterminated quoted-string " + quote(p.s[start:])
			}
			c = p.s[p.pos+1]
			if !isQuotedPairChar(c) {
				p.pos++
				return "", p.fail("invalid character after \"\\\" in quoted-string")
			}
			b.WriteByte(c)
			p.pos += 2
		case isQdtext(c):
			b.WriteByte(c)
			p.pos++
		default:
			return "", p.fail("invalid character in quoted-string")
		}
	}
	return "", "unterminated quoted-string " + quote(p.s[start:])
}

// isQdtext reports whether c may appear unescaped in a quoted-string (RFC
// 7230 §3.2.6 qdtext, obs-text included).
func isQdtext(c byte) bool {
	return c == '\t' || c == ' ' || c == 0x21 || 0x23 <= c && c <= 0x5b || 0x5d <= c && c <= 0x7e || c >= 0x80
}

// isQuotedPairChar reports whether c may follow a backslash in a
// quoted-string (RFC 7230 §3.2.6 quoted-pair).
func isQuotedPairChar(c byte) bool {
	return c == '\t' || c == ' ' || 0x21 <= c && c <= 0x7e || c >= 0x80
}
