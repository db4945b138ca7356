package natsbroker_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	natsbroker "github.com/wskit/websocket/broker/nats"
	"github.com/wskit/websocket/internal/brokertest"
	"github.com/wskit/websocket/internal/leakcheck"
	"github.com/wskit/websocket/internal/testutil"
	"github.com/wskit/websocket/server"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// startNATS runs Debian's nats-server with JetStream on a free loopback
// port, its store in a temporary directory.
func startNATS(t *testing.T) (*brokertest.Process, string, string) {
	port, dir := brokertest.FreePort(t), t.TempDir()
	p := brokertest.StartProcess(t, "nats-server", "nats-server", "Server is ready",
		"-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", dir, "--http_port", "0")
	return p, "nats://" + brokertest.Addr(port), dir
}

// env is a NATS server for the suite; with memory, the streams live in
// memory and a restart loses them, otherwise in files that survive it.
func env(t *testing.T, memory bool) brokertest.Env {
	p, url, dir := startNATS(t)
	return brokertest.Env{
		New: func(t testing.TB) server.Broker {
			b, err := natsbroker.New(testutil.Ctx(t), url, &natsbroker.Options{Memory: memory})
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
		Stop: func(t testing.TB) {
			p.Stop()
			if memory {
				os.RemoveAll(dir) // nothing of the streams is left
			}
		},
		Start:      func(testing.TB) { p.Start() },
		Persistent: !memory,
	}
}

func TestFanOut(t *testing.T)      { brokertest.RunFanOut(t, env(t, true), 3, 100, 10000) }
func TestResume(t *testing.T)      { brokertest.RunResume(t, env(t, false)) }
func TestNodeRestart(t *testing.T) { brokertest.RunNodeRestart(t, env(t, false)) }

// Memory streams are lost at a restart: a new epoch, and gaps.
func TestBrokerRestart(t *testing.T) { brokertest.RunBrokerRestart(t, env(t, true)) }

// File streams survive the restart: the same epoch, no gap.
func TestBrokerRestartPersistent(t *testing.T) { brokertest.RunBrokerRestart(t, env(t, false)) }

func TestTrimmed(t *testing.T) { brokertest.RunTrimmed(t, env(t, false)) }

func TestNewUnreachable(t *testing.T) {
	port := brokertest.FreePort(t)
	_, err := natsbroker.New(context.Background(), "nats://"+brokertest.Addr(port), nil)
	if err == nil {
		t.Fatal("New with no NATS server listening succeeded")
	}
	t.Log(err)
}
