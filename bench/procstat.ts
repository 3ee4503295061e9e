/**
 * Samples memory and CPU of the processes under test from /proc every 250 ms: peak RSS per service
 * (VmHWM, and the largest VmRSS seen), and CPU seconds per process group between phase marks, so a
 * result can say where the machine's two cores went.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every Linux this runs on. */
const TICKS_PER_SECOND = 100;

export interface GroupUsage {
  /** CPU seconds (user + system) used in the phase. */
  cpuSeconds: number;
  /** Largest resident set seen in the phase, MB (summed over the group's processes). */
  peakRssMb: number;
  /**
   * Read and write system calls in the phase (`syscr`, `syscw` of /proc/<pid>/io): read(v), write(v),
   * pread and pwrite, so every socket write of a Node process, not the send/recv family PostgreSQL talks with.
   */
  readCalls: number;
  writeCalls: number;
}

export interface PhaseUsage {
  phase: string;
  seconds: number;
  groups: Record<string, GroupUsage>;
  /** Whole machine: busy CPU seconds (all processes) and the share of the cores that was. */
  machineCpuSeconds: number;
  machineBusy: number;
}

interface Group {
  name: string;
  pids: () => number[];
}

/** Scanning /proc costs milliseconds; process sets (PostgreSQL backends, the JVM) change slowly. */
const RESCAN_MS = 2000;

/** `find` memoised for RESCAN_MS. */
export function every2s(find: () => number[]): () => number[] {
  let pids: number[] = [];
  let scannedAt = -Infinity;
  return () => {
    if (Date.now() - scannedAt >= RESCAN_MS) {
      pids = find();
      scannedAt = Date.now();
    }
    return pids;
  };
}

function readNumberField(text: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return match ? Number(match[1]) / 1024 : 0;
}

function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces), utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** `syscr` and `syscw` of /proc/<pid>/io (the whole process, every thread, those that ended included). */
function ioCalls(pid: number): { reads: number; writes: number } | null {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    return { reads: Number(/^syscr:\s+(\d+)/m.exec(io)?.[1] ?? 0), writes: Number(/^syscw:\s+(\d+)/m.exec(io)?.[1] ?? 0) };
  } catch {
    return null;
  }
}

/** What a process has used so far: CPU ticks and read and write system calls. */
interface Counters {
  ticks: number;
  reads: number;
  writes: number;
}

const NOTHING: Counters = { ticks: 0, reads: 0, writes: 0 };

/** A process's counters, or null once it is gone. */
function counters(pid: number): Counters | null {
  const ticks = cpuTicks(pid);
  if (ticks === 0) return null;
  return { ticks, ...(ioCalls(pid) ?? { reads: 0, writes: 0 }) };
}

function memory(pid: number): { rss: number; hwm: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { rss: readNumberField(status, 'VmRSS'), hwm: readNumberField(status, 'VmHWM') };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = values[3] + (values[4] ?? 0);
  const total = values.reduce((sum, value) => sum + value, 0);
  return { busy: total - idle, total };
}

/** Every process whose command line matches `pattern` (the PostgreSQL server, the Kafka JVM). */
export function pidsMatching(pattern: (comm: string, cmdline: string) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (pattern(comm, cmdline)) pids.push(Number(entry));
    } catch {
      // The process ended between readdir and read.
    }
  }
  return pids;
}

export class ProcessSampler {
  private readonly groups: Group[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** Peak VmHWM over the whole run, per single-process group. */
  readonly peakHwmMb: Record<string, number> = {};
  private phasePeakRss: Record<string, number> = {};
  private phaseStart: Record<string, Counters> = {};
  /** Last counters seen per group and pid: a process that exits keeps counting with what it had used. */
  private readonly seen = new Map<string, Map<number, Counters>>();
  private phaseName = 'start';
  private phaseStartedAt = Date.now();
  private phaseMachine = machineTicks();
  readonly phases: PhaseUsage[] = [];

  add(name: string, pids: () => number[]): void {
    this.groups.push({ name, pids });
    this.phaseStart[name] = this.groupCounters({ name, pids });
  }

  start(intervalMs = 250): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Closes the current phase (recording its usage) and starts `next`. */
  mark(next: string): PhaseUsage {
    this.sample();
    const machine = machineTicks();
    const seconds = (Date.now() - this.phaseStartedAt) / 1000;
    const groups: Record<string, GroupUsage> = {};
    for (const group of this.groups) {
      const now = this.groupCounters(group);
      const start = this.phaseStart[group.name] ?? now;
      groups[group.name] = {
        cpuSeconds: (now.ticks - start.ticks) / TICKS_PER_SECOND,
        peakRssMb: this.phasePeakRss[group.name] ?? 0,
        readCalls: now.reads - start.reads,
        writeCalls: now.writes - start.writes,
      };
      this.phaseStart[group.name] = now;
    }
    const busyTicks = machine.busy - this.phaseMachine.busy;
    const totalTicks = machine.total - this.phaseMachine.total;
    const usage: PhaseUsage = {
      phase: this.phaseName,
      seconds,
      groups,
      machineCpuSeconds: busyTicks / TICKS_PER_SECOND,
      machineBusy: totalTicks > 0 ? busyTicks / totalTicks : 0,
    };
    this.phases.push(usage);
    this.phaseName = next;
    this.phaseStartedAt = Date.now();
    this.phaseMachine = machine;
    this.phasePeakRss = {};
    return usage;
  }

  /** The group's counters: its processes' latest, a process that exited keeping what it had used. */
  private groupCounters(group: Group, pids = group.pids()): Counters {
    const seen = this.seen.get(group.name) ?? new Map<number, Counters>();
    this.seen.set(group.name, seen);
    for (const pid of pids) {
      const current = counters(pid);
      if (current) seen.set(pid, current);
    }
    const total = { ...NOTHING };
    for (const value of seen.values()) {
      total.ticks += value.ticks;
      total.reads += value.reads;
      total.writes += value.writes;
    }
    return total;
  }

  private sample(): void {
    for (const group of this.groups) {
      const pids = group.pids();
      this.groupCounters(group, pids);
      let rss = 0;
      for (const pid of pids) {
        const { rss: current, hwm } = memory(pid);
        rss += current;
        if (pids.length === 1) this.peakHwmMb[group.name] = Math.max(this.peakHwmMb[group.name] ?? 0, hwm, current);
      }
      this.phasePeakRss[group.name] = Math.max(this.phasePeakRss[group.name] ?? 0, rss);
    }
  }
}
