import net from 'node:net';

const port = Number(process.env.PORT ?? 6499);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function conn(name) {
  const s = net.connect(port, '127.0.0.1');
  s.setEncoding('utf8');
  let last = '';
  s.on('data', (d) => {
    last = d;
    console.log(`  [${name}] <- ${JSON.stringify(d)}`);
  });
  return {
    async send(...args) {
      console.log(`  [${name}] -> ${args.join(' ')}`);
      s.write(`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join(''));
      await sleep(60);
      return last;
    },
    end: () => s.end(),
  };
}
const w = conn('writer');
await w.send('FLUSHALL');
await w.send('HSET', 'p:{t}s:abc', 'l', '1');
const sha = (
  await w.send('SCRIPT', 'LOAD', "redis.call('HSET', KEYS[1] .. 's:abc', 'l', ARGV[1]) return 1")
).split('\r\n')[1];

console.log('1. default mode, RESP3, key derived inside EVAL (KEYS[1] is the base)');
const a = conn('reader3');
await a.send('HELLO', '3');
await a.send('CLIENT', 'TRACKING', 'ON');
await a.send('EVAL', "return redis.call('HGETALL', KEYS[1] .. 's:abc')", '1', 'p:{t}');
await w.send('HSET', 'p:{t}s:abc', 'l', '2');
await w.send('HSET', 'p:{t}', 'x', '1');
a.end();

console.log('2. default mode, RESP3, key declared in KEYS');
const b = conn('reader3b');
await b.send('HELLO', '3');
await b.send('CLIENT', 'TRACKING', 'ON');
await b.send('EVAL', "return redis.call('HGETALL', KEYS[1])", '1', 'p:{t}s:abc');
await w.send('HSET', 'p:{t}s:abc', 'l', '3');
b.end();

console.log(
  '3. BCAST, RESP2 connection redirecting to itself, then SUBSCRIBE; another client writes inside EVALSHA',
);
const c = conn('inval2');
const id = /:(\d+)/.exec(await c.send('CLIENT', 'ID'))[1];
await c.send('CLIENT', 'TRACKING', 'ON', 'REDIRECT', id, 'BCAST', 'PREFIX', 'p:');
await c.send('SUBSCRIBE', '__redis__:invalidate');
await w.send('EVALSHA', sha, '1', 'p:{t}', '4');
await w.send('PEXPIRE', 'p:{t}s:abc', '50');
await sleep(200);
await w.send('HGETALL', 'p:{t}s:abc');
await c.send('PING');
await w.send('FLUSHALL');
c.end();
w.end();
