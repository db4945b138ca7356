package servers

import (
	"errors"
	"net"

	"github.com/lxzan/gws"
)

// gws serves straight from a net.Listener through its own HTTP parser;
// messages arrive in pooled buffers released after the echo, and a
// broadcast uses its Broadcaster, which encodes the frame once.
func startGws(ln net.Listener, o Options) (Server, error) {
	h := &gwsHandler{o: o}
	opt := &gws.ServerOption{
		ReadMaxPayloadSize: 32 << 20,
		Logger:             quietLogger{},
	}
	if o.Compress {
		opt.PermessageDeflate = gws.PermessageDeflate{
			Enabled: true,
			Level:   1,
		}
	}
	s := gws.NewServer(h, opt)
	cl := &closingListener{Listener: ln, done: make(chan struct{})}
	go s.RunListener(cl)
	return cl, nil
}

type gwsHandler struct {
	gws.BuiltinEventHandler
	o   Options
	reg registry[*gws.Conn]
}

func (h *gwsHandler) OnOpen(c *gws.Conn) {
	if h.o.Broadcast {
		h.reg.add(c)
	}
}

func (h *gwsHandler) OnClose(c *gws.Conn, err error) {
	if h.o.Broadcast {
		h.reg.remove(c)
	}
}

func (h *gwsHandler) OnMessage(c *gws.Conn, m *gws.Message) {
	defer m.Close()
	if h.o.Broadcast && m.Opcode == gws.OpcodeText {
		if n, ok := broadcastSize(m.Bytes()); ok {
			b := gws.NewBroadcaster(gws.OpcodeBinary, broadcastPayload(n))
			h.reg.each(func(c *gws.Conn) { b.Broadcast(c) })
			b.Close()
			return
		}
	}
	c.WriteMessage(m.Opcode, m.Bytes())
}

type quietLogger struct{}

func (quietLogger) Error(...any) {}

// closingListener makes Accept block after Close: gws's accept loop
// retries failed accepts without pause.
type closingListener struct {
	net.Listener
	done chan struct{}
}

func (l *closingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil && errors.Is(err, net.ErrClosed) {
		<-l.done
	}
	return c, err
}

func (l *closingListener) Close() error { return l.Listener.Close() }
