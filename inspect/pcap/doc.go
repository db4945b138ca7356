// Package pcap reads pcap and pcapng capture files, reassembles the TCP
// streams in them (segments out of order, retransmissions, bytes missing
// from the capture) and drives one inspect.Flow for each WebSocket
// connection it finds: a TCP connection whose first bytes are an HTTP
// upgrade request and its 101 answer, on any port.
//
// Capture files are read and TCP is reassembled with gopacket's pure-Go
// pcapgo and reassembly packages; nothing here needs cgo or libpcap.
//
// A connection whose opening handshake was not captured is decoded from
// the middle when Options.Midstream is set (see inspect.NewMidstreamFlow);
// one whose handshake is not a valid upgrade is reported through
// Options.Note and not decoded.
package pcap
