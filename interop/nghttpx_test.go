package interop_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
)

// freePort returns a loopback port that was free a moment ago, for a peer
// that cannot listen on port 0 and say which port it got.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestNghttpxExtendedConnect runs wskit's HTTP/2 client against another
// RFC 8441 implementation: nghttpx (Debian's nghttp2-proxy), whose h2c
// frontend takes WebSockets as extended CONNECT streams and forwards each
// to a wskit HTTP/1.1 backend as an Upgrade; then the same through its TLS
// frontend, reached with ALPN h2. Ten WebSockets at once echo
// every size class; the client closes some with a code, the backend the
// others.
func TestNghttpxExtendedConnect(t *testing.T) {
	t.Parallel()
	t.Run("h2c", func(t *testing.T) { testNghttpx(t, false) })
	t.Run("tls", func(t *testing.T) { testNghttpx(t, true) })
}

// testNghttpx runs the test through nghttpx's h2c frontend, or its TLS
// frontend (ALPN h2, a certificate made for the test).
func testNghttpx(t *testing.T, secure bool) {
	if _, err := exec.LookPath("nghttpx"); err != nil {
		t.Fatalf("nghttpx is missing (Debian package nghttp2-proxy); %s", installHint)
	}
	var h1 atomic.Int64
	backendClosed := make(chan websocket.StatusCode, 16)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipOriginCheck: true})
		if err != nil {
			return
		}
		defer c.CloseNow()
		if r.ProtoMajor == 1 {
			h1.Add(1)
		}
		ctx := r.Context()
		if r.URL.Path == "/serverclose" {
			c.Close(4002, "backend bye")
			return
		}
		for {
			typ, msg, err := c.Read(ctx)
			if err != nil {
				backendClosed <- websocket.CloseStatus(err)
				return
			}
			if err := c.Write(ctx, typ, msg); err != nil {
				return
			}
		}
	}))
	defer backend.Close()
	port := freePort(t)
	frontend := fmt.Sprintf("--frontend=127.0.0.1,%d;no-tls", port)
	scheme := "ws"
	var files []string // the key and certificate files for TLS
	opts := &websocket.DialOptions{HTTP2: true, NoProxy: true}
	if secure {
		frontend = fmt.Sprintf("--frontend=127.0.0.1,%d", port)
		scheme = "wss"
		key, cert, pool := testCertFiles(t)
		files = []string{key, cert}
		opts.TLSConfig = &tls.Config{RootCAs: pool}
	}
	proxy := start(t, "nghttpx", append([]string{"--conf=/dev/null", frontend,
		fmt.Sprintf("--backend=127.0.0.1,%d", backend.Listener.Addr().(*net.TCPAddr).Port),
		"--workers=1", "--errorlog-file=/dev/stdout", "--log-level=NOTICE", "--accesslog-file=/dev/stdout"}, files...)...)
	proxy.line(t, `Created worker thread`)

	ctx, cancel := context.WithDeadline(context.Background(), testutil.Deadline(t))
	defer cancel()
	url := fmt.Sprintf("%s://127.0.0.1:%d", scheme, port)
	opts.MaxMessageSize = 64 << 20
	const n = 10
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Go(func() {
			c, resp, err := websocket.Dial(ctx, url+"/echo", opts)
			if err != nil {
				errs <- err
				return
			}
			defer c.CloseNow()
			if resp.ProtoMajor != 2 {
				errs <- fmt.Errorf("answered over %s", resp.Proto)
				return
			}
			if err := exercise(ctx, c); err != nil {
				errs <- fmt.Errorf("WebSocket %d: %w", i, err)
				return
			}
			if err := c.Close(websocket.StatusCode(4100+i), "client bye"); err != nil {
				errs <- err
			}
		})
	}
	wg.Go(func() {
		c, _, err := websocket.Dial(ctx, url+"/serverclose", opts)
		if err != nil {
			errs <- err
			return
		}
		defer c.CloseNow()
		_, _, err = c.Read(ctx)
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != 4002 || ce.Reason != "backend bye" {
			errs <- fmt.Errorf("read after the backend closed: %v, want 4002 backend bye", err)
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	seen := map[websocket.StatusCode]bool{}
	for range n {
		seen[<-backendClosed] = true
	}
	for i := range n {
		if !seen[websocket.StatusCode(4100+i)] {
			t.Errorf("the backend did not see close code %d; it saw %v", 4100+i, seen)
		}
	}
	if got := h1.Load(); got != n+1 {
		t.Errorf("the backend got %d HTTP/1.1 WebSockets from nghttpx, want %d", got, n+1)
	}
}

// testCertFiles writes a self-signed certificate for 127.0.0.1 and its key
// as PEM files and returns their paths and a pool that trusts it.
func testCertFiles(t *testing.T) (keyFile, certFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "wskit test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyFile, certFile = filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return keyFile, certFile, pool
}
