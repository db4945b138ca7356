package wire

// AppendFrame appends a whole frame to dst: h with its Length set to
// len(payload), then the payload, masked with h.Mask when h.Masked (the
// caller's payload is not changed). Like [AppendHeader] it writes what it is
// given, valid or not.
func AppendFrame(dst []byte, h Header, payload []byte) []byte {
	h.Length = int64(len(payload))
	dst = AppendHeader(dst, h)
	start := len(dst)
	dst = append(dst, payload...)
	if h.Masked {
		MaskBytes(h.Mask, 0, dst[start:])
	}
	return dst
}
