package websocket

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
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
	if opts == nil {
		opts = &noAcceptOptions
	}
	stream := handshake.IsExtendedConnect(r)
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
	if !opts.InsecureSkipOriginCheck && offer.Origin != "" {
		if err := checkOrigin(r, offer.Origin, opts.OriginPatterns); err != nil {
			refuse(w, http.StatusForbidden, nil, err.Error())
			return nil, err
		}
	}
	protocol := handshake.SelectProtocol(offer.Protocols, opts.Subprotocols)
	co, header := &opts.ConnOptions, opts.ResponseHeader
	if opts.OnUpgrade != nil {
		var refusal *Refusal
		co, header, refusal, err = upgradeHook(r, opts, offer, &protocol)
		if err != nil {
			writeRefusal(w, refusal)
			return nil, err
		}
	}
	var exts []handshake.Extension
	var agreement deflate.Agreement
	compress := false
	if co.Compression != nil {
		var ext handshake.Extension
		ext, agreement, compress = deflate.ServerAccept(offer.Extensions, co.Compression.Options)
		if compress {
			exts = append(exts, ext)
		}
	}

	var agreed *deflate.Agreement
	if compress {
		agreed = &agreement
	}
	if stream {
		return acceptStream(w, r, protocol, exts, co, header, agreed)
	}
	netConn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		err = fmt.Errorf("websocket: cannot take over the connection: %w", err)
		refuse(w, http.StatusInternalServerError, nil, err.Error())
		return nil, err
	}
	netConn.SetDeadline(time.Time{})
	// The 101 response goes out through the hijacked writer's buffer.
	resp := handshake.AppendResponse(brw.Writer.AvailableBuffer(), offer.Key, protocol, exts, header)
	if _, err := netConn.Write(resp); err != nil {
		netConn.Close()
		return nil, fmt.Errorf("websocket: writing the handshake response: %w", err)
	}
	// Read the connection directly, not through net/http's reader and its
	// bookkeeping; bytes it already holds (frames sent right behind the
	// handshake) come first. Its buffer, which net/http made for this
	// connection and never takes back after a hijack, is reused when it
	// has the size asked for.
	var leftover []byte
	if n := brw.Reader.Buffered(); n > 0 {
		held, _ := brw.Reader.Peek(n)
		leftover = bytes.Clone(held)
	}
	var br *bufio.Reader
	if brw.Reader.Size() == readBufferSize(co) {
		br = brw.Reader
		if leftover != nil {
			br.Reset(io.MultiReader(bytes.NewReader(leftover), netConn))
		} else {
			br.Reset(netConn)
		}
	}
	c := newConn(netConn, RoleServer, co, protocol, br, leftover, agreed)
	// The write buffer is made at the first write that needs one; a
	// connection that only gets broadcasts (PreparedMessage) never does.
	return c, nil
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
