import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** CPU seconds (user + system) a process has used, from /proc. */
export function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const fields = statFields(`/proc/${pid}/stat`);
  return fields ? ticksToSeconds(fields) : 0;
}

/** CPU seconds of every process in a process group: an emulator's gcloud wrapper and its JVM. */
export function processGroupCpuSeconds(group: number | undefined): number {
  if (group === undefined) return 0;
  let seconds = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(`/proc/${entry}/stat`);
    if (fields && Number(fields[2]) === group) seconds += ticksToSeconds(fields);
  }
  return seconds;
}

/**
 * CPU seconds the whole machine has been busy, every core: user, nice, system, irq and
 * softirq. Guest time is already inside user time, and steal is the host running someone
 * else, so neither is counted.
 */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (user + nice + system + irq + softirq) / 100;
}

export type CpuShares = Record<string, number>;

/**
 * CPU seconds of named parts of the machine between `start` and `stop`, with the whole
 * machine's busy time and how many cores it had: where a run's CPU went.
 */
export function cpuMeter(parts: Record<string, () => number>): {
  stop: () => { seconds: CpuShares; wallSeconds: number; machineSeconds: number; cores: number };
} {
  const before = Object.fromEntries(Object.entries(parts).map(([name, read]) => [name, read()]));
  const machineBefore = machineBusySeconds();
  const started = performance.now();
  return {
    stop: () => ({
      seconds: Object.fromEntries(
        Object.entries(parts).map(([name, read]) => [name, read() - (before[name] ?? 0)]),
      ),
      wallSeconds: (performance.now() - started) / 1000,
      machineSeconds: machineBusySeconds() - machineBefore,
      cores: cpus().length,
    }),
  };
}

function statFields(path: string): string[] | undefined {
  try {
    // The command name may hold spaces; the fields after it are fixed.
    const fields = readFileSync(path, 'utf8').split(') ')[1]?.split(' ');
    return fields && fields.length > 12 ? fields : undefined;
  } catch {
    return undefined;
  }
}

function ticksToSeconds(fields: string[]): number {
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
