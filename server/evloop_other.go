//go:build !linux

package server

import (
	"context"
	"errors"
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
func (d *evDriver) count() int                                           { return 0 }
func (d *evDriver) closeAll(websocket.StatusCode, string)                {}
func (d *evDriver) shutdown(context.Context) error                       { return nil }
func (d *evDriver) broadcast(*websocket.PreparedMessage) BroadcastResult { return BroadcastResult{} }
func (d *evDriver) stats(*Stats)                                         {}
