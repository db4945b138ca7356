//go:build !linux

package loop

import "errors"

// ErrUnsupported is returned by New on systems without epoll.
var ErrUnsupported = errors.New("loop: the event-loop server needs Linux (epoll)")
