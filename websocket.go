package websocket

import (
	"strconv"

	"github.com/wskit/websocket/wire"
)

// MessageType is the type of a data message: text (valid UTF-8) or binary
// (RFC 6455 §5.6). Its values are the opcodes of the first frame.
type MessageType int

// The two message types.
const (
	MessageText   MessageType = MessageType(wire.OpText)
	MessageBinary MessageType = MessageType(wire.OpBinary)
)

func (t MessageType) String() string {
	switch t {
	case MessageText:
		return "text"
	case MessageBinary:
		return "binary"
	}
	return "message type " + strconv.Itoa(int(t))
}

// Role is the side of the connection this endpoint plays. A client masks
// every frame it sends; a server never does (RFC 6455 §5.1).
type Role = wire.Role

// The two roles.
const (
	RoleClient = wire.RoleClient
	RoleServer = wire.RoleServer
)

// StatusCode is a close status code (RFC 6455 §7.4).
type StatusCode = wire.StatusCode

// The close status codes of RFC 6455 §7.4.1 and the IANA registry. 1005,
// 1006 and 1015 are reported to the application but never sent.
const (
	StatusNormalClosure           = wire.StatusNormalClosure
	StatusGoingAway               = wire.StatusGoingAway
	StatusProtocolError           = wire.StatusProtocolError
	StatusUnsupportedData         = wire.StatusUnsupportedData
	StatusNoStatusRcvd            = wire.StatusNoStatusRcvd
	StatusAbnormalClosure         = wire.StatusAbnormalClosure
	StatusInvalidFramePayloadData = wire.StatusInvalidFramePayloadData
	StatusPolicyViolation         = wire.StatusPolicyViolation
	StatusMessageTooBig           = wire.StatusMessageTooBig
	StatusMandatoryExtension      = wire.StatusMandatoryExtension
	StatusInternalError           = wire.StatusInternalError
	StatusServiceRestart          = wire.StatusServiceRestart
	StatusTryAgainLater           = wire.StatusTryAgainLater
	StatusBadGateway              = wire.StatusBadGateway
	StatusTLSHandshake            = wire.StatusTLSHandshake
)

// State is where a connection is in its life (RFC 6455 §4, §7).
type State int32

// The states of a connection. A Conn returned by Dial, Accept or NewConn is
// already open; StateConnecting is reported only by code that holds a Conn
// before its handshake ends, such as a server toolkit.
const (
	StateConnecting State = iota
	StateOpen             // messages flow both ways
	StateClosing          // a close frame was sent or received; the handshake is not over
	StateClosed           // the TCP connection is closed
)

func (s State) String() string {
	switch s {
	case StateConnecting:
		return "connecting"
	case StateOpen:
		return "open"
	case StateClosing:
		return "closing"
	case StateClosed:
		return "closed"
	}
	return "state " + strconv.Itoa(int(s))
}
