module github.com/wskit/websocket

go 1.26
