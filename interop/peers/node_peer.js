// wskit interop peer on the Node ws library.
//
//   node node_peer.js server [--compress]      echo server on 127.0.0.1, prints "listening PORT"
//   node node_peer.js client URL [--compress]  echo client
//
// Either role echoes every message (same type, same bytes); the text message
// "close-me" makes it close with 4002 "peer-bye". When a connection ends it
// prints "closed CODE REASON".
'use strict';
const WebSocket = require('ws');

// permessage-deflate is off unless --compress is given.
const opts = { perMessageDeflate: process.argv.includes('--compress'), maxPayload: 64 << 20 };

function echo(ws) {
  ws.on('message', (data, isBinary) => {
    if (!isBinary && data.toString() === 'close-me') {
      ws.close(4002, 'peer-bye');
      return;
    }
    ws.send(data, { binary: isBinary });
  });
  ws.on('close', (code, reason) => console.log('closed', code, reason.toString()));
  ws.on('error', (err) => console.log('error', err.message));
}

if (process.argv[2] === 'server') {
  const wss = new WebSocket.WebSocketServer({ host: '127.0.0.1', port: 0, ...opts });
  wss.on('listening', () => console.log('listening', wss.address().port));
  wss.on('connection', echo);
} else {
  echo(new WebSocket(process.argv[3], opts));
}
