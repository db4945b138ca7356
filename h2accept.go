package websocket

import (
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/handshake"
)

// acceptStream answers an HTTP/2 extended CONNECT that Accept found valid
// with 200 (RFC 8441 §5) and makes the stream the Conn's transport: the
// request body carries the client's frames, the response body ours.
func acceptStream(w http.ResponseWriter, r *http.Request, protocol string, exts []handshake.Extension, co *ConnOptions, header http.Header, agreed *deflate.Agreement) (*Conn, error) {
	rc := http.NewResponseController(w)
	for name, values := range handshake.ExtendedConnectHeader(protocol, exts, header) {
		w.Header()[name] = values
	}
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return nil, fmt.Errorf("websocket: sending the extended CONNECT response: %w", err)
	}
	// The http.Server's read and write timeouts would end the stream.
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{})
	local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	remote, _ := net.ResolveTCPAddr("tcp", r.RemoteAddr)
	var remoteAddr net.Addr
	if remote != nil {
		remoteAddr = remote
	}
	send := &flushWriter{w: w, rc: rc}
	// The stream ends when the handler returns (net/http then ends it with
	// END_STREAM); a write blocked when the Conn closes is cut short by
	// resetting the stream.
	end := func(busy bool) {
		if busy {
			rc.SetWriteDeadline(past)
		}
	}
	s := newH2Stream(r.Body, send, end, local, remoteAddr)
	return newConn(s, RoleServer, co, protocol, nil, nil, agreed), nil
}

// flushWriter sends each write at once.
type flushWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func (f *flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err == nil {
		err = f.rc.Flush()
	}
	return n, err
}
