//go:build !linux

package server

import (
	"context"
	"errors"
	"net"
	"net/http"

	"github.com/wskit/websocket"
)

// evDriver is the event-loop driver, which needs Linux.
type evDriver struct{}

func newEvDriver(*Server) (*evDriver, error) {
	return nil, errors.New("server: event-loop mode needs Linux (epoll)")
}

func (d *evDriver) serve(http.ResponseWriter, *http.Request, *route, *websocket.AcceptOptions, bool) {
}
func (d *evDriver) serveLoop(net.Listener) error                           { return nil }
func (d *evDriver) shutdown(context.Context) error                         { return nil }
func (d *evDriver) sendNow(Conn, *websocket.PreparedMessage) enqueueResult { return skipped }
func (d *evDriver) stats(*Stats)                                           {}
