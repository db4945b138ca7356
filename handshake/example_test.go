package handshake_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log"
	"net/http"
	"net/url"

	"github.com/wskit/websocket/handshake"
)

// The accept value for the sample key of RFC 6455 §1.3.
func ExampleAcceptKey() {
	fmt.Println(handshake.AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="))
	// Output: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
}

func ExampleParseExtensions() {
	h := http.Header{}
	h.Add("Sec-WebSocket-Extensions", `permessage-deflate; client_max_window_bits; server_max_window_bits="10", x-foo`)
	exts, err := handshake.ParseExtensions(h)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range exts {
		bits, _, _ := e.Param("server_max_window_bits")
		fmt.Printf("%s (server_max_window_bits %q)\n", e.Name, bits)
	}
	fmt.Println(handshake.FormatExtensions(exts))
	// Output:
	// permessage-deflate (server_max_window_bits "10")
	// x-foo (server_max_window_bits "")
	// permessage-deflate; client_max_window_bits; server_max_window_bits=10, x-foo
}

// A whole opening handshake through bytes, as a client and a server on two
// ends of a connection would do it; a bytes.Buffer stands in for the
// connection in each direction.
func Example_roundTrip() {
	// Client: build the request and send it.
	client := &handshake.ClientRequest{
		URL:        &url.URL{Scheme: "ws", Host: "example.com", Path: "/chat"},
		Origin:     "http://example.com",
		Protocols:  []string{"chat", "superchat"},
		Extensions: []handshake.Extension{{Name: "permessage-deflate"}},
	}
	req, err := client.HTTPRequest(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	var toServer bytes.Buffer
	if err := req.Write(&toServer); err != nil {
		log.Fatal(err)
	}

	// Server: read the request, check it and answer.
	sreq, err := http.ReadRequest(bufio.NewReader(&toServer))
	if err != nil {
		log.Fatal(err)
	}
	offer, err := handshake.CheckRequest(sreq)
	if err != nil {
		// A real server answers e.Status with e.Header (errors.As to a
		// *handshake.RequestError).
		log.Fatal(err)
	}
	protocol := handshake.SelectProtocol(offer.Protocols, []string{"superchat", "chat"})
	toClient := bytes.NewBuffer(handshake.AppendResponse(nil, offer.Key, protocol, offer.Extensions, nil))

	// Client: read the answer and check it.
	resp, err := http.ReadResponse(bufio.NewReader(toClient), req)
	if err != nil {
		log.Fatal(err)
	}
	result, err := client.Verify(resp)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("origin:", offer.Origin)
	fmt.Println("protocol:", result.Protocol)
	fmt.Println("extensions:", handshake.FormatExtensions(result.Extensions))
	// Output:
	// origin: http://example.com
	// protocol: superchat
	// extensions: permessage-deflate
}
