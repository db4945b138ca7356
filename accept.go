package websocket

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/handshake"
)

// AcceptOptions configures Accept. The zero value (or nil) accepts a
// same-origin request with no subprotocol and the ConnOptions defaults.
type AcceptOptions struct {
	ConnOptions

	// Subprotocols are the subprotocols this server speaks, most preferred
	// first. The first one the client offers is selected; none means no
	// subprotocol (RFC 6455 §4.2.2 /subprotocol/).
	Subprotocols []string

	// OriginPatterns lists the origins allowed besides the request's own
	// host, as path.Match patterns matched against the Origin's host (with
	// port when it has one), such as "example.com" or "*.example.com:8443".
	// A pattern with "://" is matched against the whole origin instead,
	// such as "https://*.example.com". A request from any other origin is
	// refused with 403 (RFC 6455 §10.2). Requests without an Origin header
	// (non-browser clients) are not judged.
	OriginPatterns []string

	// InsecureSkipOriginCheck accepts every origin. It lets any web page a
	// user visits open a connection with the user's cookies; use it only
	// for servers that hold nothing private.
	InsecureSkipOriginCheck bool

	// ResponseHeader holds extra headers for the 101 response, such as
	// Set-Cookie. Handshake headers and body headers are left out.
	ResponseHeader http.Header

	// OnUpgrade, when set, judges a valid handshake from an allowed origin
	// before it is answered: it may refuse it (return a *Refusal for any
	// status, headers and body; any other error answers 403 Forbidden
	// without saying why), choose the subprotocol, add response headers,
	// set the connection's keepalive and attach per-connection values.
	// See [Upgrade].
	OnUpgrade func(*Upgrade) error
}

// ErrOriginNotAllowed is returned by Accept, after answering 403, for a
// request whose Origin the policy refuses.
var ErrOriginNotAllowed = errors.New("websocket: origin not allowed")

// Accept answers a WebSocket opening handshake inside an http.Handler and
// takes over the connection. When the request is not a valid handshake it
// writes the precise refusal itself — 405 for a method other than GET, 400
// for a missing or malformed header, 426 with Sec-WebSocket-Version: 13 for
// another version, 403 for an origin the policy refuses — and returns the
// error, which wraps a handshake sentinel or ErrOriginNotAllowed. A
// handshake that passes these checks goes to opts.OnUpgrade, if set, whose
// refusal Accept writes and returns (wrapping the *Refusal, or
// ErrUpgradeRefused).
//
// After a successful Accept the handler must not use w or r.Body again.
// Read and write deadlines net/http left on the connection are cleared.
//
// Accept also takes a WebSocket opened as an HTTP/2 extended CONNECT with
// :protocol websocket (RFC 8441), which browsers send when the server
// advertises SETTINGS_ENABLE_CONNECT_PROTOCOL: it answers 200, and the
// stream's request and response bodies carry the frames. The stream lives
// as long as the handler: over HTTP/2 (r.ProtoMajor == 2) the handler must
// not return before the Conn is done (wait on [Conn.Done]). Go 1.26's
// HTTP/2 server advertises the setting only with GODEBUG=http2xconnect=1;
// importing github.com/wskit/websocket/xconnect sets it (docs/http2.md).
//
// The handshake is read by net/http, under the http.Server's limits, and
// its zero value has none: set ReadHeaderTimeout, MaxHeaderBytes and
// IdleTimeout, or a client that never finishes its request holds a
// connection forever. server.HTTPServer returns a server with them set:
//
//	srv := &http.Server{Addr: addr, Handler: h,
//		ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 16 << 10, IdleTimeout: time.Minute}
func Accept(w http.ResponseWriter, r *http.Request, opts *AcceptOptions) (*Conn, error) {
	// opts is only read: copying it (and its ConnOptions) made a frame
	// large enough to grow net/http's goroutine stack at every handshake.
	// For the same reason the work is done in steps, each in a function of
	// its own, so that their frames are not all on the stack at once: the
	// handler's goroutine then keeps a stack of 4 KiB, not 8, for as long
	// as the connection lives.
	if opts == nil {
		opts = &noAcceptOptions
	}
	stream := handshake.IsExtendedConnect(r)
	offer, err := checkOffer(w, r, stream)
	if err != nil {
		return nil, err
	}
	a := acceptance{stream: stream}
	if err := a.decide(w, r, opts, offer); err != nil {
		return nil, err
	}
	var agreed *deflate.Agreement
	if a.compress {
		agreed = &a.agreement
	}
	if a.stream {
		return acceptStream(w, r, a.protocol, a.extensions(), a.co, a.header, agreed)
	}
	netConn, leftover, err := a.takeOver(w)
	if err != nil {
		return nil, err
	}
	// The write buffer is made at the first write that needs one; a
	// connection that only gets broadcasts (PreparedMessage) never does.
	return newConn(netConn, RoleServer, a.co, a.protocol, nil, leftover, agreed), nil
}

// acceptance is what Accept has decided about a valid handshake.
type acceptance struct {
	key       string // the client's Sec-WebSocket-Key
	protocol  string
	co        *ConnOptions
	header    http.Header
	ext       handshake.Extension // the permessage-deflate response, when compress
	agreement deflate.Agreement
	compress  bool
	stream    bool // an HTTP/2 extended CONNECT (RFC 8441)
}

// extensions returns the extensions agreed, for the response.
func (a *acceptance) extensions() []handshake.Extension {
	if !a.compress {
		return nil
	}
	return []handshake.Extension{a.ext}
}

// checkOffer checks the opening handshake's request, or writes the
// refusal and returns its error.
func checkOffer(w http.ResponseWriter, r *http.Request, stream bool) (*handshake.Offer, error) {
	var offer *handshake.Offer
	var err error
	if stream {
		offer, err = handshake.CheckExtendedConnect(r)
	} else {
		offer, err = handshake.CheckRequest(r)
	}
	if err != nil {
		var re *handshake.RequestError
		if errors.As(err, &re) {
			refuse(w, re.Status, re.Header, re.Reason)
		} else {
			refuse(w, http.StatusBadRequest, nil, err.Error())
		}
		return nil, err
	}
	return offer, nil
}

// decide applies the origin policy, the subprotocols, the OnUpgrade hook
// and the compression options to a valid offer and fills a, or writes the
// refusal and returns its error.
func (a *acceptance) decide(w http.ResponseWriter, r *http.Request, opts *AcceptOptions, offer *handshake.Offer) error {
	if !opts.InsecureSkipOriginCheck && offer.Origin != "" {
		if err := checkOrigin(r, offer.Origin, opts.OriginPatterns); err != nil {
			refuse(w, http.StatusForbidden, nil, err.Error())
			return err
		}
	}
	a.key = offer.Key
	a.protocol = handshake.SelectProtocol(offer.Protocols, opts.Subprotocols)
	a.co, a.header = &opts.ConnOptions, opts.ResponseHeader
	if opts.OnUpgrade != nil {
		var refusal *Refusal
		var err error
		a.co, a.header, refusal, err = upgradeHook(r, opts, offer, &a.protocol)
		if err != nil {
			writeRefusal(w, refusal)
			return err
		}
	}
	if a.co.Compression != nil {
		a.ext, a.agreement, a.compress = deflate.ServerAccept(offer.Extensions, a.co.Compression.Options)
	}
	return nil
}

// takeOver hijacks the HTTP/1.1 connection, sends the 101 response and
// returns the connection with the bytes net/http already read from it
// past the request (frames sent right behind the handshake).
func (a *acceptance) takeOver(w http.ResponseWriter) (net.Conn, []byte, error) {
	netConn, brw, err := hijack(w)
	if err != nil {
		return nil, nil, err
	}
	if err := a.respond(netConn, brw.Writer); err != nil {
		netConn.Close()
		return nil, nil, err
	}
	leftover := takeBuffered(brw.Reader)
	shrinkBuffers(brw, netConn)
	return netConn, leftover, nil
}

// shrinkBuffers swaps the 4 KiB buffers of net/http's reader and writer
// for ones of 16 bytes, once the response built in the writer's has gone
// out and what the reader held is copied. net/http keeps both for as long
// as the handler runs, which in the pattern of a handler reading its
// connection is the connection's whole life, and uses neither after a
// hijack; the Conn reads through a buffer of its own and writes straight
// to the connection. Both stay working, over netConn, should anything use
// them.
func shrinkBuffers(brw *bufio.ReadWriter, netConn net.Conn) {
	*brw.Reader = *bufio.NewReaderSize(netConn, 16)
	*brw.Writer = *bufio.NewWriterSize(netConn, 16)
}

// hijack takes the connection from net/http, with no deadlines left on it.
func hijack(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter, error) {
	var netConn net.Conn
	var brw *bufio.ReadWriter
	var err error
	// A direct Hijacker (net/http's own writer) is called as it is; a
	// wrapped one is found through Unwrap by the ResponseController.
	if hj, ok := w.(http.Hijacker); ok {
		netConn, brw, err = hj.Hijack()
	} else {
		netConn, brw, err = http.NewResponseController(w).Hijack()
	}
	if err != nil {
		err = fmt.Errorf("websocket: cannot take over the connection: %w", err)
		refuse(w, http.StatusInternalServerError, nil, err.Error())
		return nil, nil, err
	}
	netConn.SetDeadline(time.Time{})
	return netConn, brw, nil
}

// respond sends the 101 response, built in bw's buffer.
func (a *acceptance) respond(netConn net.Conn, bw *bufio.Writer) error {
	resp := handshake.AppendResponse(bw.AvailableBuffer(), a.key, a.protocol, a.extensions(), a.header)
	if _, err := netConn.Write(resp); err != nil {
		return fmt.Errorf("websocket: writing the handshake response: %w", err)
	}
	return nil
}

// takeBuffered returns a copy of the bytes br holds.
func takeBuffered(br *bufio.Reader) []byte {
	n := br.Buffered()
	if n == 0 {
		return nil
	}
	held, _ := br.Peek(n)
	return bytes.Clone(held)
}

// noAcceptOptions stands for nil options, read only.
var noAcceptOptions AcceptOptions

// upgradeHook runs opts.OnUpgrade on a valid handshake and returns the
// options and response header the connection gets, copies made only when
// a hook runs, or the refusal and its error. It may change the subprotocol.
func upgradeHook(r *http.Request, opts *AcceptOptions, offer *handshake.Offer, protocol *string) (*ConnOptions, http.Header, *Refusal, error) {
	u := &Upgrade{Request: r, Offered: offer.Protocols, Subprotocol: *protocol, Header: opts.ResponseHeader.Clone()}
	if u.Header == nil {
		u.Header = make(http.Header)
	}
	if len(opts.Values) > 0 {
		u.values = make(map[any]any, len(opts.Values))
		for k, v := range opts.Values {
			u.values[k] = v
		}
	}
	if refusal, err := runUpgradeHook(opts.OnUpgrade, u); err != nil {
		return nil, nil, refusal, err
	}
	co := new(ConnOptions)
	*co = opts.ConnOptions
	co.Values = u.values
	if u.PingInterval != 0 {
		co.PingInterval = u.PingInterval
	}
	*protocol = u.Subprotocol
	return co, u.Header, nil, nil
}

// refuse answers a handshake that is not accepted.
func refuse(w http.ResponseWriter, status int, h http.Header, reason string) {
	for name, values := range h {
		w.Header()[name] = values
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintln(w, reason)
}

// checkOrigin applies the origin policy (RFC 6455 §10.2): the request's own
// host, or a listed pattern.
func checkOrigin(r *http.Request, origin string, patterns []string) error {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%w: %q is not an origin", ErrOriginNotAllowed, origin)
	}
	if strings.EqualFold(u.Host, r.Host) {
		return nil
	}
	for _, p := range patterns {
		target := u.Host
		if strings.Contains(p, "://") {
			target = u.Scheme + "://" + u.Host
		}
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(target)); ok {
			return nil
		}
		// A pattern without a port also matches the host on any port.
		if !strings.Contains(p, "://") && !strings.Contains(p, ":") {
			if host, _, err := net.SplitHostPort(u.Host); err == nil {
				if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(host)); ok {
					return nil
				}
			}
		}
	}
	return fmt.Errorf("%w: %q is not %q or an allowed origin", ErrOriginNotAllowed, origin, r.Host)
}
