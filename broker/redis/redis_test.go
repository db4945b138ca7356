package redisbroker_test

import (
	"context"
	"strconv"
	"testing"

	redisbroker "github.com/wskit/websocket/broker/redis"
	"github.com/wskit/websocket/internal/brokertest"
	"github.com/wskit/websocket/internal/leakcheck"
	"github.com/wskit/websocket/internal/testutil"
	"github.com/wskit/websocket/server"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// startRedis runs Debian's redis-server on a free loopback port with its
// data in a temporary directory; with aof, every write is appended to an
// AOF file and survives a restart.
func startRedis(t *testing.T, aof bool) (*brokertest.Process, string) {
	port := brokertest.FreePort(t)
	args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", t.TempDir(),
		"--save", "", "--logfile", "", "--daemonize", "no", "--protected-mode", "yes"}
	if aof {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		args = append(args, "--appendonly", "no")
	}
	p := brokertest.StartProcess(t, "redis-server", "redis-server", "Ready to accept connections", args...)
	return p, "redis://" + brokertest.Addr(port)
}

func env(t *testing.T, aof bool) brokertest.Env {
	p, url := startRedis(t, aof)
	return brokertest.Env{
		New: func(t testing.TB) server.Broker {
			b, err := redisbroker.New(testutil.Ctx(t), url, nil)
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
		Stop:       func(testing.TB) { p.Stop() },
		Start:      func(testing.TB) { p.Start() },
		Persistent: aof,
	}
}

func TestFanOut(t *testing.T)      { brokertest.RunFanOut(t, env(t, false), 3, 100, 10000) }
func TestResume(t *testing.T)      { brokertest.RunResume(t, env(t, false)) }
func TestNodeRestart(t *testing.T) { brokertest.RunNodeRestart(t, env(t, false)) }

// Without persistence a restart loses the history: a new epoch, and gaps.
func TestBrokerRestart(t *testing.T) { brokertest.RunBrokerRestart(t, env(t, false)) }

// With AOF the history survives the restart: the same epoch, no gap.
func TestBrokerRestartPersistent(t *testing.T) { brokertest.RunBrokerRestart(t, env(t, true)) }

func TestTrimmed(t *testing.T) { brokertest.RunTrimmed(t, env(t, false)) }

func TestNewUnreachable(t *testing.T) {
	port := brokertest.FreePort(t)
	_, err := redisbroker.New(context.Background(), "redis://"+brokertest.Addr(port), nil)
	if err == nil {
		t.Fatal("New with no Redis listening succeeded")
	}
	t.Log(err)
}
