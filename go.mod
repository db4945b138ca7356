module github.com/wskit/websocket

go 1.26.0

require github.com/klauspost/compress v1.20.3

require golang.org/x/text v0.43.0 // indirect

require (
	github.com/google/gopacket v1.1.19
	golang.org/x/net v0.62.0
	golang.org/x/sys v0.49.0 // indirect
)
