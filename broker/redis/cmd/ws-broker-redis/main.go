// Command ws-broker-redis is the helper that `ws serve --broker
// redis://HOST:PORT` starts: it serves a redisbroker.Broker to ws over its
// standard input and output. Install it next to ws:
//
//	go install github.com/wskit/websocket/broker/redis/cmd/ws-broker-redis@latest
package main

import (
	"context"

	redisbroker "github.com/wskit/websocket/broker/redis"
	"github.com/wskit/websocket/internal/brokerpipe"
	"github.com/wskit/websocket/server"
)

func main() {
	brokerpipe.Main(func(ctx context.Context, url string) (server.Broker, error) {
		return redisbroker.New(ctx, url, nil)
	})
}
