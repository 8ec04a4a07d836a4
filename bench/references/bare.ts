import http from 'node:http';

/** The ceiling: node:http answering a fixed GraphQL-shaped JSON body. */
const body = JSON.stringify({ data: { me: { id: '00000000-0000-0000-0000-000000000000', displayName: 'bench' } } });
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  console.log(`listening on http://127.0.0.1:${address.port}`);
});
