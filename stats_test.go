package websocket_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
)

// The counters count data messages and their payload bytes both ways, and
// Done and Err follow the connection's end.
func TestConnStatsDoneErr(t *testing.T) {
	ctx := testCtx(t)
	cli := dial(t, echoServer(t, nil), nil)
	if err := cli.Err(); err != nil {
		t.Fatalf("Err on an open connection = %v", err)
	}
	sizes := []int{0, 10, 300, 70000}
	var total uint64
	for _, n := range sizes {
		p := payload(websocket.MessageBinary, n, 1)
		if err := cli.Write(ctx, websocket.MessageBinary, p); err != nil {
			t.Fatal(err)
		}
		if _, _, err := cli.Read(ctx); err != nil {
			t.Fatal(err)
		}
		total += uint64(n)
	}
	// A ping is a control frame and counts nowhere.
	if _, err := cli.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	want := websocket.ConnStats{MessagesIn: 4, MessagesOut: 4, BytesIn: total, BytesOut: total}
	if got := cli.Stats(); got != want {
		t.Fatalf("Stats = %+v, want %+v", got, want)
	}
	select {
	case <-cli.Done():
		t.Fatal("Done closed on an open connection")
	default:
	}
	if err := cli.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Fatal(err)
	}
	<-cli.Done()
	if got := websocket.CloseStatus(cli.Err()); got != websocket.StatusNormalClosure {
		t.Fatalf("Err after Close = %v, want code 1000", cli.Err())
	}
}

// A logger enabled for debug gets a record for every frame in and out; one
// at info level gets none.
func TestConnFrameLog(t *testing.T) {
	ctx := testCtx(t)
	var debug, info syncBuffer
	a, b := net.Pipe()
	srv := websocket.NewConn(b, websocket.RoleServer, &websocket.ConnOptions{
		Logger: slog.New(slog.NewTextHandler(&debug, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	cli := websocket.NewConn(a, websocket.RoleClient, &websocket.ConnOptions{
		Logger: slog.New(slog.NewTextHandler(&info, nil)),
	})
	done := make(chan error, 1)
	go func() { done <- echo(context.Background(), srv) }()
	if err := cli.Write(ctx, websocket.MessageText, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cli.Read(ctx); err != nil {
		t.Fatal(err)
	}
	cli.Close(websocket.StatusNormalClosure, "")
	if err := <-done; !errors.Is(err, websocket.ErrClosed) {
		t.Fatalf("echo ended with %v", err)
	}
	srv.CloseNow()
	log := debug.String()
	for _, want := range []string{
		"dir=in opcode=text fin=true rsv=0 len=5 masked=true",
		"dir=out opcode=text fin=true rsv=0 len=5 masked=false",
		"dir=in opcode=close",
		"dir=out opcode=close",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("debug log lacks %q:\n%s", want, log)
		}
	}
	if info.String() != "" {
		t.Errorf("an info-level logger got frame records:\n%s", info.String())
	}
}

type syncBuffer = testutil.Buffer
