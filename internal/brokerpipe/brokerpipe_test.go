package brokerpipe

import (
	"io"
	"testing"

	"github.com/wskit/websocket/internal/brokertest"
	"github.com/wskit/websocket/internal/leakcheck"
	"github.com/wskit/websocket/server"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

type shared struct{ server.Broker }

func (shared) Close() error { return nil }

// pipeEnv gives each node a pipe client whose helper side serves one
// in-process broker that all nodes share: the whole protocol, without a
// process.
func pipeEnv() brokertest.Env {
	b := shared{server.NewMemoryBroker(0)}
	return brokertest.Env{New: func(t testing.TB) server.Broker {
		reqR, reqW := io.Pipe()
		respR, respW := io.Pipe()
		served := make(chan struct{})
		go func() {
			defer close(served)
			Serve(b, reqR, respW)
			respW.Close()
		}()
		t.Cleanup(func() { <-served })
		return newClient(reqW, respR)
	}}
}

func TestPipeFanOut(t *testing.T)      { brokertest.RunFanOut(t, pipeEnv(), 3, 30, 2000) }
func TestPipeResume(t *testing.T)      { brokertest.RunResume(t, pipeEnv()) }
func TestPipeNodeRestart(t *testing.T) { brokertest.RunNodeRestart(t, pipeEnv()) }
func TestPipeTrimmed(t *testing.T)     { brokertest.RunTrimmed(t, pipeEnv()) }
