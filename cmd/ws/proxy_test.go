package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wskit/websocket"
)

// startProxy runs `ws proxy args...` on a free port and returns its
// ws:// address and its log.
func startProxy(t *testing.T, args ...string) (string, *syncBuffer) {
	t.Helper()
	m, stdout, _ := startCommand(t, `ws://[0-9.:]+/`, true, append([]string{"proxy", "--listen", "127.0.0.1:0"}, args...)...)
	return m, stdout
}

// TestProxyTLSUpstream relays to a wss:// echo server and logs both
// directions.
func TestProxyTLSUpstream(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		opts := &websocket.AcceptOptions{}
		opts.Compression = &websocket.CompressionOptions{}
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, p, err := c.Read(r.Context())
			if err != nil {
				return
			}
			c.Write(r.Context(), typ, p)
		}
	}))
	defer srv.Close()
	addr, log := startProxy(t, "--insecure", "--upstream", "wss"+strings.TrimPrefix(srv.URL, "https"))

	ctx := testCtx(t)
	opts := &websocket.DialOptions{NoProxy: true}
	opts.Compression = &websocket.CompressionOptions{}
	c, _, err := websocket.Dial(ctx, addr+"path", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	msg := strings.Repeat("through the proxy ", 20)
	if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	if _, p, err := c.Read(ctx); err != nil || string(p) != msg {
		t.Fatalf("echo through the proxy: %q, %v", p, err)
	}
	if err := c.Close(websocket.StatusNormalClosure, "done"); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`upgrade 127.0.0.1:`,
		`client text       360 deflate "through the proxy`,
		`server text       360 deflate "through the proxy`,
		`client close        6 code=1000 reason="done"`,
		`server close        2 code=1000 reason=""`, // wskit echoes the code alone
		`client end`,
		`server end`,
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		out := log.String()
		missing := ""
		for _, w := range want {
			if !strings.Contains(out, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ws proxy log has no %q:\n%s", missing, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestProxyUsage(t *testing.T) {
	for _, args := range [][]string{{"proxy"}, {"proxy", "--upstream", "ftp://x"}, {"proxy", "--upstream", "ws://x", "extra"}} {
		var stdout, stderr syncBuffer
		if code := run(context.Background(), args, nil, &stdout, &stderr); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
	}
}

// writeCert writes a self-signed certificate for 127.0.0.1 and its key as
// PEM files and returns their paths and the certificate.
func writeCert(t *testing.T) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ws test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ = x509.ParseCertificate(der)
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	return certFile, keyFile, cert
}

// TestBinProxy runs the ws binary as a TLS proxy in front of ws serve
// --echo, then in front of nothing (502 with a reason), and checks the
// upstream scheme.
func TestBinProxy(t *testing.T) {
	echo := startServe(t, `ws://\S+/`, "--echo")
	certFile, keyFile, cert := writeCert(t)
	p, addr := startBin(t, "stderr", `relaying (wss://\S+/) `, "proxy", "--listen", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile, "--upstream", echo)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	ctx := testCtx(t)
	c, _, err := websocket.Dial(ctx, addr+"x", &websocket.DialOptions{TLSConfig: &tls.Config{RootCAs: pool}, NoProxy: true})
	if err != nil {
		t.Fatalf("dial through the TLS proxy: %v", err)
	}
	if err := c.Write(ctx, websocket.MessageText, []byte("over tls")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.Read(ctx); err != nil || string(got) != "over tls" {
		t.Fatalf("echo: %q %v", got, err)
	}
	c.Close(websocket.StatusNormalClosure, "")
	p.waitFor(t, `client text +8 "over tls"`)

	// Nothing listens upstream: the client gets 502 and why.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	_, down := startBin(t, "stderr", `relaying (ws://\S+/) `, "proxy", "--listen", "127.0.0.1:0", "--upstream", "ws://"+dead+"/")
	_, errOut, code := runBin(t, "", "dial", down)
	if code != 1 || !strings.Contains(errOut, "HTTP 502 Bad Gateway: ws proxy: cannot reach the upstream ws://"+dead+"/") {
		t.Errorf("dead upstream: exit %d, stderr %q", code, errOut)
	}

	_, errOut, code = runBin(t, "", "proxy", "--upstream", "http://127.0.0.1:1/x")
	if code != 2 || !strings.Contains(errOut, "ws://127.0.0.1:1/x, not http://") {
		t.Errorf("http upstream: exit %d, stderr %q", code, errOut)
	}
	_, errOut, code = runBin(t, "", "proxy", "--tls-cert", certFile, "--upstream", echo)
	if code != 2 || !strings.Contains(errOut, "go together") {
		t.Errorf("--tls-cert alone: exit %d, stderr %q", code, errOut)
	}
}
