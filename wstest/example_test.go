package wstest_test

import (
	"context"
	"fmt"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/wstest"
)

// A client and a server in memory, with compression negotiated as over
// TCP.
func ExamplePipe() {
	comp := &websocket.CompressionOptions{}
	client, server, err := wstest.Pipe(
		&websocket.DialOptions{ConnOptions: websocket.ConnOptions{Compression: comp}},
		&websocket.AcceptOptions{ConnOptions: websocket.ConnOptions{Compression: comp}},
	)
	if err != nil {
		panic(err)
	}
	defer client.CloseNow()
	defer server.CloseNow()
	ctx := context.Background()
	client.Write(ctx, websocket.MessageText, []byte("hello"))
	_, p, _ := server.Read(ctx)
	fmt.Println(string(p), server.Compressed())
	// Output: hello true
}
