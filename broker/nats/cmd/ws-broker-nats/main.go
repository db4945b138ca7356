// Command ws-broker-nats is the helper that `ws serve --broker
// nats://HOST:PORT` starts: it serves a natsbroker.Broker to ws over its
// standard input and output. Install it next to ws:
//
//	go install github.com/wskit/websocket/broker/nats/cmd/ws-broker-nats@latest
package main

import (
	"context"

	natsbroker "github.com/wskit/websocket/broker/nats"
	"github.com/wskit/websocket/internal/brokerpipe"
	"github.com/wskit/websocket/server"
)

func main() {
	brokerpipe.Main(func(ctx context.Context, url string) (server.Broker, error) {
		return natsbroker.New(ctx, url, nil)
	})
}
