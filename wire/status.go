package wire

import "strconv"

// StatusCode is a close status code (RFC 6455 §7.4).
type StatusCode uint16

// Status codes of RFC 6455 §7.4.1 and the IANA "WebSocket Close Code Number"
// registry (RFC 6455 §11.7).
const (
	StatusNormalClosure           StatusCode = 1000
	StatusGoingAway               StatusCode = 1001
	StatusProtocolError           StatusCode = 1002
	StatusUnsupportedData         StatusCode = 1003
	StatusReserved                StatusCode = 1004 // reserved; never sent
	StatusNoStatusRcvd            StatusCode = 1005 // a close without a code; never sent
	StatusAbnormalClosure         StatusCode = 1006 // the connection was lost; never sent
	StatusInvalidFramePayloadData StatusCode = 1007
	StatusPolicyViolation         StatusCode = 1008
	StatusMessageTooBig           StatusCode = 1009
	StatusMandatoryExtension      StatusCode = 1010
	StatusInternalError           StatusCode = 1011
	StatusServiceRestart          StatusCode = 1012
	StatusTryAgainLater           StatusCode = 1013
	StatusBadGateway              StatusCode = 1014
	StatusTLSHandshake            StatusCode = 1015 // TLS failed; never sent
)

var statusNames = map[StatusCode]string{
	StatusNormalClosure:           "normal closure",
	StatusGoingAway:               "going away",
	StatusProtocolError:           "protocol error",
	StatusUnsupportedData:         "unsupported data",
	StatusReserved:                "reserved",
	StatusNoStatusRcvd:            "no status received",
	StatusAbnormalClosure:         "abnormal closure",
	StatusInvalidFramePayloadData: "invalid frame payload data",
	StatusPolicyViolation:         "policy violation",
	StatusMessageTooBig:           "message too big",
	StatusMandatoryExtension:      "mandatory extension",
	StatusInternalError:           "internal error",
	StatusServiceRestart:          "service restart",
	StatusTryAgainLater:           "try again later",
	StatusBadGateway:              "bad gateway",
	StatusTLSHandshake:            "TLS handshake",
}

// String returns the registry's name for c, such as "normal closure", or
// "status 4001" for a code without one.
func (c StatusCode) String() string {
	if s, ok := statusNames[c]; ok {
		return s
	}
	return "status " + strconv.Itoa(int(c))
}

// ValidOnWire reports whether c may appear in a close frame (RFC 6455 §7.4):
// 1000–1003, 1007–1014 and 3000–4999. 1004–1006 and 1015 are reserved for
// local use, 0–999 are unused and 1016–2999 and 5000 and above are not
// assigned.
func (c StatusCode) ValidOnWire() bool {
	switch {
	case c >= 1000 && c <= 1003:
		return true
	case c >= 1007 && c <= 1014:
		return true
	case c >= 3000 && c <= 4999:
		return true
	}
	return false
}
