package wire

// Role is the side of a connection an endpoint plays.
type Role uint8

// The two roles. The zero Role is neither; a [Validator] with it does not
// check masking, as a passive observer that cannot tell may want.
const (
	RoleClient Role = 1
	RoleServer Role = 2
)

func (r Role) String() string {
	switch r {
	case RoleClient:
		return "client"
	case RoleServer:
		return "server"
	}
	return "no role"
}

// Validator checks the headers of the frames one endpoint receives against
// RFC 6455 §5 and keeps the state of the fragmented message in progress. Set
// its fields before the first Check; the zero value checks everything but
// masking and applies no size limit.
//
// Check must see every header the endpoint receives, in order. After Check
// returns an error the connection is to be failed with [CloseCodeFor] of
// that error, and the Validator's state is left as it was before that
// header, so a passive reader may go on.
type Validator struct {
	// Role is the role of the receiving endpoint: a server must receive
	// masked frames and a client unmasked ones (RFC 6455 §5.1).
	Role Role

	// ExtensionRSV holds the RSV bits that a negotiated extension has
	// claimed on the first frame of a data message, such as RSV1 for
	// permessage-deflate (RFC 7692 §6). Any other RSV bit, and any RSV bit
	// on a continuation or control frame, fails with ErrReservedBits.
	ExtensionRSV byte

	// ExtensionOpcodes holds the reserved opcodes a negotiated extension
	// has claimed, one bit per opcode (1<<3 for opcode 3). A claimed
	// opcode from 3 to 7 starts a data message; one from 11 to 15 follows
	// the rules of control frames.
	ExtensionOpcodes uint16

	// MaxFrameSize is the largest payload accepted in one data frame;
	// 0 means no limit. A larger frame fails with ErrFrameTooLarge (1009).
	MaxFrameSize int64

	inMessage bool   // a fragmented message is in progress
	opcode    Opcode // the first frame's opcode of the current message
	rsv       byte   // the first frame's RSV bits of the current message
}

// Check validates the header of the next frame received and, when it is
// valid, advances the message state.
func (v *Validator) Check(h Header) error {
	switch {
	case v.Role == RoleServer && !h.Masked:
		return ErrUnmaskedFrame
	case v.Role == RoleClient && h.Masked:
		return ErrMaskedFrame
	case h.Opcode.IsReserved() && (h.Opcode > 15 || v.ExtensionOpcodes&(1<<h.Opcode) == 0):
		return ErrReservedOpcode
	}
	if h.Opcode.IsControl() {
		switch {
		case h.RSV != 0:
			return ErrReservedBits
		case !h.Fin:
			return ErrFragmentedControl
		case h.Length > MaxControlPayload:
			return ErrControlTooLong
		}
		return nil
	}
	if v.MaxFrameSize > 0 && h.Length > v.MaxFrameSize {
		return ErrFrameTooLarge
	}
	if h.Opcode == OpContinuation {
		switch {
		case !v.inMessage:
			return ErrNoMessageToContinue
		case h.RSV != 0:
			return ErrReservedBits
		}
		v.inMessage = !h.Fin
		return nil
	}
	switch {
	case v.inMessage:
		return ErrMessageNotFinished
	case h.RSV&^v.ExtensionRSV != 0:
		return ErrReservedBits
	}
	v.inMessage = !h.Fin
	v.opcode = h.Opcode
	v.rsv = h.RSV
	return nil
}

// InMessage reports whether a fragmented message has started and its final
// frame has not yet been checked.
func (v *Validator) InMessage() bool { return v.inMessage }

// Message returns the opcode and RSV bits of the first frame of the latest
// data message: the one a continuation frame just checked belongs to.
func (v *Validator) Message() (Opcode, byte) { return v.opcode, v.rsv }

// Reset forgets the message in progress; the settings stay.
func (v *Validator) Reset() {
	v.inMessage, v.opcode, v.rsv = false, 0, 0
}
