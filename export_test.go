package websocket

// ReleaseIdleCompressor does at once what a connection's idle timer does
// compressionIdle after its last compressed message: the compressor gives
// its working memory back. Benchmarks use it instead of waiting.
func ReleaseIdleCompressor(c *Conn) { c.releaseCompressor() }
