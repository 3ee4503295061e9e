/**
 * Reads the `.cpuprofile` files `--cpu-prof` wrote and prints where the time went: idle/GC share, self time by
 * package or source file, and the hottest functions (self and inclusive). Also runnable on its own:
 * `node dist/bench/profile-summary.js <dir-or-file> [top]`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const ROOT = join(__dirname, '..', '..');

/** `pkg:name` for node_modules, the source-relative path for our code, `node:` for internals. */
function owner(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return `pkg:${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (url.startsWith('node:')) return url;
  return relative(ROOT, url.replace(/^file:\/\//, '')).replace(/^dist\//, '');
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${owner(url, functionName)}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'} ${where}`.trim();
}

export function summariseProfile(file: string, top = 15): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, index) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  const totalUs = [...selfUs.values()].reduce((sum, value) => sum + value, 0);

  const selfByFunction = new Map<string, number>();
  const selfByOwner = new Map<string, number>();
  const inclusiveByFunction = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const name = frameName(node);
    selfByFunction.set(name, (selfByFunction.get(name) ?? 0) + us);
    const who = owner(node.callFrame.url, node.callFrame.functionName);
    selfByOwner.set(who, (selfByOwner.get(who) ?? 0) + us);
    // Inclusive: charge every distinct function on the stack once (recursion counted once).
    const seen = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const frame = byId.get(current);
      if (!frame) break;
      const frameKey = frameName(frame);
      if (seen.has(frameKey)) continue;
      seen.add(frameKey);
      inclusiveByFunction.set(frameKey, (inclusiveByFunction.get(frameKey) ?? 0) + us);
    }
  }

  const pct = (us: number) => `${((us / Math.max(1, totalUs)) * 100).toFixed(1).padStart(5)}%`;
  const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
  const list = (entries: Map<string, number>, count: number, filter: (key: string) => boolean = () => true) =>
    [...entries.entries()]
      .filter(([key]) => filter(key))
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([key, us]) => `    ${ms(us)} ${pct(us)}  ${key}`)
      .join('\n');
  const idle = selfByOwner.get('(idle)') ?? 0;
  const gc = selfByOwner.get('(garbage collector)') ?? 0;
  const ours = (key: string) => /(^| )(apps|libs)\//.test(key);
  return [
    `${basename(file)}: ${(totalUs / 1e6).toFixed(1)} s sampled, busy ${pct(totalUs - idle)}, GC ${pct(gc)}`,
    '  self time by package / file:',
    list(selfByOwner, top, (key) => key !== '(idle)'),
    '  hottest functions (self):',
    list(selfByFunction, top, (key) => !key.startsWith('(idle)')),
    '  our code, inclusive:',
    list(inclusiveByFunction, top, ours),
  ].join('\n');
}

export function summariseProfiles(path: string, top = 15): string {
  const files = statSync(path).isDirectory()
    ? readdirSync(path).filter((file) => file.endsWith('.cpuprofile')).map((file) => join(path, file))
    : [path];
  if (files.length === 0) return `  no .cpuprofile in ${path}`;
  return files.map((file) => summariseProfile(file, top)).join('\n\n');
}

if (require.main === module) {
  const [path, top] = process.argv.slice(2);
  if (!path) {
    process.stderr.write('usage: node dist/bench/profile-summary.js <dir-or-.cpuprofile> [top]\n');
    process.exit(2);
  }
  process.stdout.write(`${summariseProfiles(path, Number(top ?? 15))}\n`);
}
