// A third-party echo server for tests and the speed script: Node's net
// module, one process, `s.pipe(s)`. Usage: node node_echo.js PORT [HOST]
const net = require('net');
const port = Number(process.argv[2]);
const host = process.argv[3] || '127.0.0.1';
net.createServer((socket) => {
  socket.on('error', () => socket.destroy());
  socket.pipe(socket);
}).listen(port, host);
