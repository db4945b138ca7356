package conformance

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/wskit/websocket/handshake"
	"github.com/wskit/websocket/wire"
)

// handshakeTimeout bounds the TCP connect and opening handshake of a case.
const handshakeTimeout = 10 * time.Second

// RunServer tests the echo server at rawURL (ws:// or wss://), which must
// send back every message it receives, with cases, one TCP connection per
// case, Options.Parallel at a time. The tester plays the client: it masks
// its frames and expects the server to close TCP after the closing
// handshake.
//
// It returns the report when every case has run. When ctx ends first it
// returns the report of the cases that finished and ctx's error. It fails
// without running anything when the URL is not ws or wss, when a case needs
// a payload file it cannot read, or when the server cannot be reached.
func RunServer(ctx context.Context, rawURL string, cases []Case, opts *Options) (*Report, error) {
	if opts == nil {
		opts = &Options{}
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("websocket: bad URL: %w", err)
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return nil, fmt.Errorf("websocket: URL scheme %q is not ws or wss", u.Scheme)
	}
	files, err := loadPayloads(opts.Payloads, cases)
	if err != nil {
		return nil, err
	}
	if _, err := (&handshake.ClientRequest{URL: u, Header: opts.Header}).HTTPRequest(ctx); err != nil {
		return nil, err
	}
	// One connection up front, so that an unreachable server is one error
	// rather than a failed case each.
	probe, err := dialTCP(ctx, u, opts)
	if err != nil {
		return nil, fmt.Errorf("websocket: cannot reach the server under test: %w", err)
	}
	probe.Close()

	report := &Report{Agent: opts.Agent, Mode: ModeServer, Target: u.String(), Started: time.Now(), Selected: len(cases)}
	results := make([]*Result, len(cases))
	var progress sync.Mutex
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range max(opts.Parallel, 1) {
		wg.Go(func() {
			for i := range jobs {
				r := runServerCase(ctx, u, &cases[i], opts, files)
				results[i] = &r
				if opts.Progress != nil {
					progress.Lock()
					opts.Progress(r)
					progress.Unlock()
				}
			}
		})
	}
feed:
	for i := range cases {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	for _, r := range results {
		if r != nil {
			report.Results = append(report.Results, *r)
		}
	}
	report.Duration = time.Since(report.Started)
	return report, ctx.Err()
}

func dialTCP(ctx context.Context, u *url.URL, opts *Options) (net.Conn, error) {
	host := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "wss" {
			port = "443"
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	d := net.Dialer{Timeout: handshakeTimeout}
	if u.Scheme == "wss" {
		cfg := opts.TLSConfig.Clone()
		if cfg == nil {
			cfg = &tls.Config{}
		}
		if cfg.ServerName == "" {
			cfg.ServerName = u.Hostname()
		}
		td := tls.Dialer{NetDialer: &d, Config: cfg}
		return td.DialContext(ctx, "tcp", host)
	}
	return d.DialContext(ctx, "tcp", host)
}

// runServerCase runs one case over a new connection.
func runServerCase(ctx context.Context, u *url.URL, c *Case, opts *Options, files map[string][]byte) Result {
	ctx, cancel := context.WithTimeout(ctx, opts.caseTimeout(c))
	defer cancel()
	log := &logger{start: time.Now()}
	nc, rd, defl, err := clientHandshake(ctx, u, c, opts, log)
	if err != nil {
		log.printf("%v", err)
		return Result{
			ID: c.ID, Description: c.Description, Expectation: c.Expectation,
			Verdict: Failed, Behavior: Failed, CloseBehavior: CloseFailed,
			CloseCode: int(wire.StatusAbnormalClosure), ClosedBy: byPeer,
			Duration: time.Since(log.start), Log: log.result(),
		}
	}
	s := newSession(c, opts, nc, rd, wire.RoleClient, defl, files, log)
	return s.run(ctx)
}

// clientHandshake connects and performs the opening handshake as client
// (RFC 6455 §4.1), offering permessage-deflate when the case asks for it.
// It returns the connection, a reader that starts with any bytes read past
// the handshake, and the negotiated deflate parameters (nil when none).
func clientHandshake(ctx context.Context, u *url.URL, c *Case, opts *Options, log *logger) (net.Conn, io.Reader, *deflateParams, error) {
	nc, err := dialTCP(ctx, u, opts)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("connect: %w", err)
	}
	fail := func(err error) (net.Conn, io.Reader, *deflateParams, error) {
		nc.Close()
		return nil, nil, nil, err
	}
	hsDeadline := time.Now().Add(handshakeTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(hsDeadline) {
		hsDeadline = d
	}
	nc.SetDeadline(hsDeadline)
	cr := &handshake.ClientRequest{URL: u, Header: opts.Header}
	if c.Deflate != nil {
		cr.Extensions = offerExtensions(c.Deflate)
	}
	req, err := cr.HTTPRequest(ctx)
	if err != nil {
		return fail(err)
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "wskit-conformance")
	}
	if err := req.Write(nc); err != nil {
		return fail(fmt.Errorf("send handshake: %w", err))
	}
	br := bufio.NewReaderSize(nc, 64<<10)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return fail(fmt.Errorf("read handshake response: %w", err))
	}
	resp.Body.Close()
	res, err := cr.Verify(resp)
	if err != nil {
		return fail(err)
	}
	var defl *deflateParams
	if c.Deflate != nil {
		log.printf("offered %s", handshake.FormatExtensions(cr.Extensions))
		var ignored []string
		defl, ignored, err = acceptResponse(c.Deflate, res.Extensions)
		if err != nil {
			return fail(fmt.Errorf("websocket: %v", err))
		}
		if defl != nil {
			log.printf("server accepted %s (%s)", handshake.FormatExtensions(res.Extensions), defl)
			for _, p := range ignored {
				log.printf("note: the response does not grant %s; the tester holds the server to the response, as the original suite does", p)
			}
		}
	} else if len(res.Extensions) > 0 {
		return fail(errors.New("websocket: server accepted extensions that were not offered: " + handshake.FormatExtensions(res.Extensions)))
	}
	nc.SetDeadline(time.Time{})
	log.printf("connected to %s", strings.TrimPrefix(u.String(), "//"))
	return nc, br, defl, nil
}
