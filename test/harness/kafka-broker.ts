import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The Maven project beside this file; compiled into dist/, the one in the source tree. */
const HARNESS_DIR = existsSync(join(__dirname, 'kafka', 'pom.xml')) ? join(__dirname, 'kafka') : join(__dirname, '..', '..', '..', 'test', 'harness', 'kafka');
const LIBS_DIR = join(HARNESS_DIR, 'libs');
const LOCK_FILE = join(HARNESS_DIR, 'target', 'fetch-jars.lock');
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 15_000;
/** A lock older than this belongs to a crashed fetch (a cold Maven download takes well under a minute). */
const STALE_LOCK_MS = 10 * 60_000;

export interface KafkaBrokerOptions {
  /** PLAINTEXT listener port; a free one is picked when omitted. */
  port?: number;
  /** Working directory (config, data, broker log); a fresh temp dir when omitted. Data already in it is kept. */
  logDir?: string;
}

/**
 * A real single-node Apache Kafka (KRaft, combined broker and controller) for tests.
 * The jars come from Maven Central through test/harness/kafka/pom.xml, fetched once.
 */
export class KafkaBroker {
  private process: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private lastSpawnError: Error | null = null;
  /** Where the current run starts in broker.log, which every run appends to. */
  private logStart = 0;
  private readonly killOnExit = () => this.process?.kill('SIGKILL');

  private constructor(
    readonly port: number,
    private readonly controllerPort: number,
    /** Holds server.properties, log4j.properties, broker.log and the data dir. */
    readonly dir: string,
  ) {}

  get brokers(): string[] {
    return [`127.0.0.1:${this.port}`];
  }

  get logFile(): string {
    return join(this.dir, 'broker.log');
  }

  static async start(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
    await ensureJars();
    const port = options.port ?? (await freePort());
    const controllerPort = await freePort([port]);
    const dir = options.logDir ?? (await mkdtemp(join(tmpdir(), 'ordercast-kafka-')));
    await mkdir(dir, { recursive: true });

    const broker = new KafkaBroker(port, controllerPort, dir);
    try {
      await broker.writeConfig();
      await broker.formatStorage();
      await broker.launch();
    } catch (error) {
      // The error carries the end of the broker log; a temp dir of our own is not worth keeping.
      await broker.kill();
      if (!options.logDir) await rm(dir, { recursive: true, force: true });
      throw error;
    }
    return broker;
  }

  /** Graceful shutdown (SIGTERM); SIGKILL if the broker is still up after 15 s. */
  async stop(): Promise<void> {
    if (!this.process) return;
    this.process.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), STOP_GRACE_MS)));
    const stopped = await Promise.race([this.exited.then(() => true), gaveUp]);
    clearTimeout(timer);
    if (!stopped) await this.kill();
  }

  /** Abrupt crash, for fault tests: no controlled shutdown, no flush. */
  async kill(): Promise<void> {
    if (!this.process) return;
    this.process.kill('SIGKILL');
    await this.exited;
  }

  /** Starts again on the same ports with the same data, so nothing acknowledged before is lost. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** Stops the broker and deletes its directory. */
  async destroy(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }

  private get configFile(): string {
    return join(this.dir, 'server.properties');
  }

  private get log4jFile(): string {
    return join(this.dir, 'log4j.properties');
  }

  private async writeConfig(): Promise<void> {
    const config = {
      'process.roles': 'broker,controller',
      'node.id': 1,
      'controller.quorum.voters': `1@127.0.0.1:${this.controllerPort}`,
      listeners: `PLAINTEXT://127.0.0.1:${this.port},CONTROLLER://127.0.0.1:${this.controllerPort}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${this.port}`,
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'controller.listener.names': 'CONTROLLER',
      'inter.broker.listener.name': 'PLAINTEXT',
      'log.dirs': join(this.dir, 'data'),
      'num.partitions': 3,
      'default.replication.factor': 1,
      'min.insync.replicas': 1,
      'auto.create.topics.enable': true,
      'offsets.topic.replication.factor': 1,
      // 50 partitions by default: creating them delays the first consumer group by seconds.
      'offsets.topic.num.partitions': 5,
      'transaction.state.log.replication.factor': 1,
      'transaction.state.log.min.isr': 1,
      'transaction.state.log.num.partitions': 5,
      'group.initial.rebalance.delay.ms': 0,
      // After a SIGKILL the restarted broker cannot register until its previous session expires (9 s by default).
      'broker.heartbeat.interval.ms': 500,
      'broker.session.timeout.ms': 3000,
      // Sized for a 2-core test machine rather than a production host.
      'num.network.threads': 2,
      'num.io.threads': 4,
      'background.threads': 4,
      'num.recovery.threads.per.data.dir': 1,
    };
    const properties = Object.entries(config).map(([key, value]) => `${key}=${value}`);
    await writeFile(this.configFile, properties.join('\n') + '\n');

    // Everything goes to stdout, which launch() sends to broker.log; INFO keeps that file useful when start fails.
    const log4j = [
      'log4j.rootLogger=INFO, stdout',
      'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
      'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka.request.logger=WARN',
      'log4j.logger.state.change.logger=WARN',
      'log4j.logger.kafka.log.LogCleaner=WARN',
      'log4j.logger.org.apache.kafka.storage.internals.log=WARN',
      'log4j.logger.kafka.log=WARN',
    ];
    await writeFile(this.log4jFile, log4j.join('\n') + '\n');
  }

  private async formatStorage(): Promise<void> {
    this.logStart = logSize(this.logFile);
    const output = openSync(this.logFile, 'a');
    try {
      const child = spawnJava(['kafka.tools.StorageTool', 'format', `--cluster-id=${randomClusterId()}`, '--config', this.configFile, '--ignore-formatted'], this.log4jFile, output);
      const code = await new Promise<number | null>((resolve, reject) => {
        child.once('error', reject);
        child.once('exit', resolve);
      });
      if (code !== 0) throw new Error(`Formatting Kafka storage failed (exit ${code})\n${await this.logTail()}`);
    } finally {
      closeSync(output);
    }
  }

  private async launch(): Promise<void> {
    this.lastSpawnError = null;
    this.logStart = logSize(this.logFile);
    const output = openSync(this.logFile, 'a');
    try {
      const child = spawnJava(['-Xmx512m', 'kafka.Kafka', this.configFile], this.log4jFile, output);
      this.process = child;
      this.exited = new Promise((resolve) => {
        const onGone = () => {
          if (this.process === child) this.process = null;
          process.off('exit', this.killOnExit);
          resolve();
        };
        child.once('exit', onGone);
        child.once('error', (error) => {
          this.lastSpawnError = error;
          onGone();
        });
      });
      process.on('exit', this.killOnExit);
    } finally {
      closeSync(output);
    }
    await this.waitUntilReady();
  }

  private async waitUntilReady(): Promise<void> {
    const kafka = new Kafka({
      clientId: 'ordercast-harness',
      brokers: this.brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      requestTimeout: 2000,
      retry: { retries: 0 },
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let lastError: unknown;
    while (Date.now() < deadline) {
      if (!this.process) {
        const cause = this.lastSpawnError ? ` (${this.lastSpawnError.message})` : '';
        throw new Error(`Kafka broker exited during start${cause}\n${await this.logTail()}`);
      }
      const admin = kafka.admin();
      try {
        await admin.connect();
        await admin.listTopics();
        return;
      } catch (error) {
        lastError = error;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
      await sleep(250);
    }
    const reason = lastError instanceof Error ? lastError.message : String(lastError);
    await this.kill();
    throw new Error(`Kafka broker did not answer within ${READY_TIMEOUT_MS / 1000}s (${reason})\n${await this.logTail()}`);
  }

  /** The last lines the current run logged, after its first ERROR (the cause; what follows is mostly shutdown noise). */
  private async logTail(lines = 40): Promise<string> {
    const log = await readFile(this.logFile).catch(() => Buffer.from('(no broker log)'));
    const run = log.subarray(this.logStart).toString('utf8').trimEnd().split('\n');
    const tail = run.slice(-lines);
    const firstError = run.findIndex((line) => /^\[[^\]]+\] (ERROR|FATAL) /.test(line));
    if (firstError === -1 || firstError >= run.length - lines) return tail.join('\n');
    return [...run.slice(firstError, firstError + 2), '...', ...tail].join('\n');
  }
}

function spawnJava(args: string[], log4jFile: string, output: number): ChildProcess {
  const jvm = [
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Xshare:auto',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=file:${log4jFile}`,
    '-cp',
    join(LIBS_DIR, '*'),
  ];
  // setpriv makes the kernel kill the JVM if the test process dies without running its exit hooks.
  const [command, prefix] = existsSync('/usr/bin/setpriv')
    ? ['/usr/bin/setpriv', ['--pdeathsig', 'KILL', 'java']]
    : ['java', []];
  return spawn(command, [...prefix, ...jvm, ...args], { stdio: ['ignore', output, output] });
}

function logSize(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

/** Kafka's Uuid text form: 16 random bytes, base64url without padding (it may start with "-", hence --cluster-id=). */
function randomClusterId(): string {
  return randomBytes(16).toString('base64url');
}

/** A TCP port nothing listens on right now (on 127.0.0.1). */
export async function freePort(exclude: number[] = []): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    if (port && !exclude.includes(port)) return port;
  }
}

function hasJars(): boolean {
  return existsSync(LIBS_DIR) && readdirSync(LIBS_DIR).some((file) => /^kafka_2\.13-.*\.jar$/.test(file));
}

/**
 * Fetches the broker jars with Maven unless test/harness/kafka/libs already has them. Maven writes into a
 * scratch dir that is renamed into place, so a concurrent reader never sees half a classpath, and a lock
 * file keeps concurrent callers (parallel Jest runs) from downloading twice.
 */
async function ensureJars(): Promise<void> {
  if (hasJars()) return;
  await mkdir(join(HARNESS_DIR, 'target'), { recursive: true });
  const lock = await acquireLock();
  try {
    if (hasJars()) return;
    const scratch = join(HARNESS_DIR, 'target', `libs-${process.pid}`);
    await rm(scratch, { recursive: true, force: true });
    try {
      await execFileAsync(
        'mvn',
        ['-B', '-q', '--no-transfer-progress', '-Dstyle.color=never', 'dependency:copy-dependencies', `-DoutputDirectory=${scratch}`],
        { cwd: HARNESS_DIR, maxBuffer: 16 * 1024 * 1024 },
      );
    } catch (error) {
      const { message, stdout = '', stderr = '' } = error as Error & { stdout?: string; stderr?: string };
      throw new Error(`Fetching the Kafka jars with Maven failed (test/harness/kafka/pom.xml): ${message}\n${stdout}${stderr}`);
    }
    await rm(LIBS_DIR, { recursive: true, force: true });
    await rename(scratch, LIBS_DIR);
  } finally {
    await lock.close();
    await rm(LOCK_FILE, { force: true });
  }
}

async function acquireLock() {
  for (;;) {
    try {
      return await open(LOCK_FILE, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = await stat(LOCK_FILE).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > STALE_LOCK_MS) await rm(LOCK_FILE, { force: true });
      else await sleep(500);
    }
  }
}
