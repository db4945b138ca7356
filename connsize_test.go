package websocket

import (
	"testing"
	"unsafe"
)

// TestConnSize keeps the Conn within the allocator's 1152-byte size class:
// every connection allocates one, and an object with pointers of more than
// 512 bytes carries an 8-byte header, so the Conn may take 1144. A byte
// more would cost 128 (the next class is 1280), for each idle connection
// and at each handshake.
func TestConnSize(t *testing.T) {
	if size := unsafe.Sizeof(Conn{}); size > 1152-8 {
		t.Errorf("Conn is %d bytes; with its 8-byte header that is over the 1152-byte size class", size)
	}
}
