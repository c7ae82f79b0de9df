// Raw-socket HTTP for the hostile requests no SDK or fetch() can send: oversized bodies and
// headers, headers trickled one byte at a time, silent connections.
import net from 'node:net';

// Parses an HTTP/1.1 response from `buf` once it is complete: {status, headers, body} (header
// names lower-cased, chunked bodies decoded), or null while more bytes are needed.
export function parseResponse(buf, { final = false } = {}) {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0]);
  if (!m) throw new Error(`not an HTTP response: ${JSON.stringify(head[0])}`);
  const headers = {};
  for (const line of head.slice(1)) {
    const idx = line.indexOf(':');
    if (idx > 0) headers[line.slice(0, idx).trim().toLowerCase()] = line.slice(idx + 1).trim();
  }
  const rest = buf.subarray(end + 4);
  let body;
  if (headers['content-length'] !== undefined) {
    const n = Number(headers['content-length']);
    if (rest.length < n) return null;
    body = rest.subarray(0, n);
  } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const parts = [];
    let pos = 0;
    for (;;) {
      const lineEnd = rest.indexOf('\r\n', pos);
      if (lineEnd < 0) return null;
      const size = parseInt(rest.subarray(pos, lineEnd).toString('latin1'), 16);
      if (rest.length < lineEnd + 2 + size + 2) return null;
      if (size === 0) break;
      parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
      pos = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else {
    if (!final) return null;  // body runs to the end of the connection
    body = rest;
  }
  return { status: Number(m[1]), headers, body: body.toString('utf8') };
}

function connect(server) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: server.host, port: server.port });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

// Sends `head` (a string) and then `body` (a Buffer, in chunks, until the server answers or
// closes); resolves with {response: parsed response or null, closed, elapsedMs, sent}. Write
// errors after the server has answered (it may close early) are expected and ignored. With
// `untilClose` it waits for the close even after a complete response.
export async function rawExchange(server, head, body = Buffer.alloc(0),
                                  { timeoutMs = 20_000, chunk = 64 << 10, untilClose = false } = {}) {
  const socket = await connect(server);
  const started = Date.now();
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    let done = false;
    let sent = 0;
    const finish = (closed) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      let response = null;
      try { response = parseResponse(received, { final: true }); } catch { response = null; }
      socket.destroy();
      resolve({ response, closed, elapsedMs: Date.now() - started, sent, raw: received });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (d) => {
      received = Buffer.concat([received, d]);
      let parsed = null;
      try { parsed = parseResponse(received); } catch { parsed = null; }
      if (parsed && !untilClose) finish(false);
    });
    socket.on('error', () => {});
    socket.on('close', () => finish(true));
    socket.write(head);
    const pump = () => {
      while (!done && sent < body.length) {
        const piece = body.subarray(sent, Math.min(body.length, sent + chunk));
        sent += piece.length;
        if (!socket.write(piece)) { socket.once('drain', pump); return; }
      }
    };
    pump();
  });
}

// Writes `text` one byte every `byteDelayMs` until it is all sent or the server closes the
// connection; resolves with {closed, elapsedMs, bytesSent, response} (response: what the server
// sent, parsed, or null).
export async function trickle(server, text, { byteDelayMs = 100, timeoutMs = 30_000 } = {}) {
  const socket = await connect(server);
  const started = Date.now();
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    let bytesSent = 0;
    let done = false;
    const finish = (closed) => {
      if (done) return;
      done = true;
      clearInterval(ticker);
      clearTimeout(timer);
      let response = null;
      try { response = parseResponse(received, { final: true }); } catch { response = null; }
      socket.destroy();
      resolve({ closed, elapsedMs: Date.now() - started, bytesSent, response });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (d) => { received = Buffer.concat([received, d]); });
    socket.on('error', () => {});
    socket.on('close', () => finish(true));
    socket.on('end', () => finish(true));
    const ticker = setInterval(() => {
      if (bytesSent >= text.length) return;  // all sent: wait for the answer or the close
      socket.write(text[bytesSent]);
      bytesSent++;
    }, byteDelayMs);
  });
}

// Sends `heads` (complete request heads, bodies included if any) one after another on ONE
// kept-alive connection, each after the previous response arrived; resolves with the parsed
// responses (null for one that never came: the connection closed or `timeoutMs` passed).
export async function onOneConnection(server, heads, { timeoutMs = 5_000 } = {}) {
  const socket = await connect(server);
  socket.on('error', () => {});
  let received = Buffer.alloc(0);
  let closed = false;
  let wake = () => {};
  socket.on('data', (d) => { received = Buffer.concat([received, d]); wake(); });
  socket.on('close', () => { closed = true; wake(); });
  const responses = [];
  for (const head of heads) {
    received = Buffer.alloc(0);
    if (closed) { responses.push(null); continue; }
    socket.write(head);
    const deadline = Date.now() + timeoutMs;
    let parsed = null;
    for (;;) {
      try { parsed = parseResponse(received, { final: closed }); } catch { parsed = null; }
      if (parsed || closed || Date.now() >= deadline) break;
      await new Promise((resolve) => {
        wake = resolve;
        setTimeout(resolve, Math.max(1, deadline - Date.now()));
      });
    }
    responses.push(parsed);
  }
  socket.destroy();
  return responses;
}
