//go:build !linux

package servers

import "net"

func startWskitLoop(net.Listener, Options) (Server, error) { return nil, ErrUnsupported }
