package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"time"

	// Go 1.26's HTTP/2 server allows extended CONNECT (RFC 8441) only with
	// GODEBUG=http2xconnect=1, read when net/http starts; this sets it.
	_ "github.com/wskit/websocket/xconnect"
)

// serveProtocols is what ws serve speaks: HTTP/1.1 only, or with --h2
// HTTP/2 as well (h2 over TLS, h2c in cleartext), where browsers and
// ws dial --h2 open WebSockets as streams (RFC 8441).
func serveProtocols(h2 bool) *http.Protocols {
	p := new(http.Protocols)
	p.SetHTTP1(true)
	if h2 {
		p.SetHTTP2(true)
		p.SetUnencryptedHTTP2(true)
	}
	return p
}

// selfSigned makes a certificate for localhost, 127.0.0.1 and ::1, valid
// for a day, and returns it with its SHA-256 fingerprint.
func selfSigned() (tls.Certificate, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, "", err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "ws serve"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	sum := sha256.Sum256(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, fmt.Sprintf("%X", sum), nil
}
