// Node.js (http module) peer of the Eventide benchmarks: the same routes as
// `eventide-example bench`.
//
//   node server.js --host 127.0.0.1 --port 8080 --workdir DIR
//
// Background work:
// - /send-notification: once the response has been handed to the OS
//   (res 'finish'), fs.appendFile appends the line (libuv's thread pool opens,
//   writes and closes the file).
// - /slow/{ms}: Node cannot block its only JS thread, so the "blocking" task is
//   a setTimeout(ms) followed by fs.appendFile; at most 1024 such tasks may be
//   pending (the same cap as the other peers), beyond that the route answers 503.
'use strict';
const http = require('http');
const fs = require('fs');
const path = require('path');

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const host = option('--host', '127.0.0.1');
const port = Number(option('--port', '8080'));
const workdir = option('--workdir', process.cwd());
const notificationLog = path.join(workdir, 'log.txt');
const slowLog = path.join(workdir, 'slow.txt');
const MAX_PENDING_TASKS = 1024;
let pendingSlowTasks = 0;

const HELLO = 'Hello, World!';

function send(res, status, contentType, body) {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sendJSON(res, status, value) {
  send(res, status, 'application/json', JSON.stringify(value));
}

const server = http.createServer((req, res) => {
  const url = req.url;
  const queryAt = url.indexOf('?');
  const pathname = queryAt >= 0 ? url.slice(0, queryAt) : url;
  // Request bodies are not used; resume() discards them so the connection
  // moves on to the next (possibly pipelined) request.
  req.resume();

  if (req.method === 'GET' && pathname === '/plaintext') {
    send(res, 200, 'text/plain', HELLO);
  } else if (req.method === 'GET' && pathname === '/json') {
    sendJSON(res, 200, { message: HELLO });
  } else if (req.method === 'POST' && pathname.startsWith('/send-notification/') && pathname.length > 19) {
    const email = decodeURIComponent(pathname.slice(19));
    res.on('finish', () => {
      fs.appendFile(notificationLog, `notification for ${email}: some notification\n`, () => {});
    });
    sendJSON(res, 200, { message: 'Notification sent in the background' });
  } else if (req.method === 'POST' && pathname.startsWith('/slow/')) {
    const ms = Number.parseInt(pathname.slice(6), 10) || 0;
    if (pendingSlowTasks >= MAX_PENDING_TASKS) {
      sendJSON(res, 503, { message: 'task queue full' });
      return;
    }
    pendingSlowTasks++;
    res.on('finish', () => {
      setTimeout(() => {
        fs.appendFile(slowLog, `slow task of ${ms} ms done\n`, () => { pendingSlowTasks--; });
      }, ms);
    });
    sendJSON(res, 202, { message: 'accepted' });
  } else {
    send(res, 404, 'text/plain', 'Not Found');
  }
});

server.keepAliveTimeout = 60000;
server.listen(port, host);
