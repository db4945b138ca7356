module github.com/wskit/websocket/interop/capturepeers

go 1.26

require github.com/gorilla/websocket v1.5.3
