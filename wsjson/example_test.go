package wsjson_test

import (
	"context"
	"fmt"

	"github.com/wskit/websocket/wsjson"
	"github.com/wskit/websocket/wstest"
)

func Example() {
	client, server, err := wstest.Pipe(nil, nil)
	if err != nil {
		panic(err)
	}
	defer client.CloseNow()
	defer server.CloseNow()
	ctx := context.Background()

	type point struct{ X, Y int }
	wsjson.Write(ctx, client, point{1, 2})
	var p point
	if err := wsjson.Read(ctx, server, &p); err != nil {
		panic(err)
	}
	fmt.Println(p.X, p.Y)
	// Output: 1 2
}
