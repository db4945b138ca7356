package wire

import "strconv"

// Opcode is the 4-bit frame type of RFC 6455 §5.2.
type Opcode byte

// The opcodes of RFC 6455 §11.8. Opcodes 3–7 are reserved for further data
// frames and 11–15 for further control frames.
const (
	OpContinuation Opcode = 0x0
	OpText         Opcode = 0x1
	OpBinary       Opcode = 0x2
	OpClose        Opcode = 0x8
	OpPing         Opcode = 0x9
	OpPong         Opcode = 0xA
)

// IsControl reports whether o is a control opcode (8–15), defined or reserved.
func (o Opcode) IsControl() bool { return o&0x8 != 0 }

// IsData reports whether o is a data opcode (0–7), defined or reserved.
func (o Opcode) IsData() bool { return o&0x8 == 0 && o < 0x10 }

// IsReserved reports whether o is one of the reserved opcodes 3–7 and 11–15
// (or not a 4-bit value at all).
func (o Opcode) IsReserved() bool {
	switch o {
	case OpContinuation, OpText, OpBinary, OpClose, OpPing, OpPong:
		return false
	}
	return true
}

var opcodeNames = [...]string{
	OpContinuation: "continuation",
	OpText:         "text",
	OpBinary:       "binary",
	OpClose:        "close",
	OpPing:         "ping",
	OpPong:         "pong",
}

func (o Opcode) String() string {
	if int(o) < len(opcodeNames) && opcodeNames[o] != "" {
		return opcodeNames[o]
	}
	return "opcode(" + strconv.Itoa(int(o)) + ")"
}
