package websocket

// ReleaseIdleCompressor does at once what a connection's idle timer does
// compressionIdle after its last compressed message: the compressor gives
// its working memory back. Benchmarks use it instead of waiting.
func ReleaseIdleCompressor(c *Conn) { c.releaseCompressor() }

// Misaligned reports whether a server writes a frame with payload p and a
// header of hdrLen bytes through a pooled copy rather than writev, when
// the payload is large enough.
func Misaligned(p []byte, hdrLen int) bool { return misaligned(p, hdrLen) }

// AlignedCopyMin is the smallest payload Misaligned applies to.
const AlignedCopyMin = alignedCopyMin
