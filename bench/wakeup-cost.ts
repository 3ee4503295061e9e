/**
 * What one loopback round trip between two Node processes costs in CPU (both processes, user and
 * system time), back to back and at fixed rates. On a VM that halts idle vCPUs, a message paced at a
 * low rate finds its receiver asleep and pays for waking it; the bench's fixed-rate phase pays that on
 * every hop of every change. Run: `npm run build && node dist/bench/wakeup-cost.js`.
 */
import { ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { AddressInfo, createServer, Socket } from 'node:net';

const RATES = [50, 200, 1000, 0];
const MESSAGE = Buffer.alloc(100, 'x');

function serve(): void {
  const server = createServer((socket) => socket.on('data', (data) => socket.write(data)));
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
  process.on('message', () => process.send?.({ cpu: process.cpuUsage() }));
}

async function cpuOf(child: ChildProcess): Promise<NodeJS.CpuUsage> {
  const reply = once(child, 'message');
  child.send('cpu');
  return ((await reply)[0] as { cpu: NodeJS.CpuUsage }).cpu;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function roundTrip(socket: Socket): Promise<void> {
  const answered = once(socket, 'data');
  socket.write(MESSAGE);
  await answered;
}

async function main(): Promise<void> {
  const child = fork(__filename, ['serve']);
  const [{ port }] = (await once(child, 'message')) as [{ port: number }];
  const socket = new Socket();
  socket.setNoDelay(true);
  await new Promise<void>((resolve) => socket.connect(port, '127.0.0.1', resolve));
  for (const rate of RATES) {
    const count = rate === 0 ? 20_000 : Math.min(rate * 4, 2_000);
    const ownBefore = process.cpuUsage();
    const theirsBefore = await cpuOf(child);
    const started = Date.now();
    for (let i = 0; i < count; i += 1) {
      await roundTrip(socket);
      if (rate > 0) await sleep(started + ((i + 1) * 1000) / rate - Date.now());
    }
    const own = process.cpuUsage(ownBefore);
    const theirs = await cpuOf(child);
    const micros = own.user + own.system + theirs.user - theirsBefore.user + theirs.system - theirsBefore.system;
    process.stdout.write(`${rate === 0 ? 'back to back' : `${rate}/s`}: ${count} round trips, ${(micros / count).toFixed(0)} µs of CPU each (both processes)\n`);
  }
  socket.destroy();
  child.kill();
}

if (process.argv[2] === 'serve') serve();
else void main();
