/**
 * Where the CPU of a V8 profile (.cpuprofile) goes, by package: each sample counts for
 * the innermost frame that belongs to a package or to our code, so Node's internals
 * are charged to whoever called them. `node scripts/bench/profileSummary.ts <file>`.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

type ProfileNode = {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
};
type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

export type ProfileShare = { owner: string; ms: number; share: number };

export function summarizeProfile(profile: CpuProfile): { busyMs: number; shares: ProfileShare[] } {
  const parents = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parents.set(child, node.id);
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const ownerOf = new Map<number, string>();
  const owner = (id: number): string => {
    const known = ownerOf.get(id);
    if (known) return known;
    let found: string | undefined;
    for (let at: number | undefined = id; at !== undefined && !found; at = parents.get(at)) {
      found = frameOwner(nodes.get(at)?.callFrame);
    }
    const result = found ?? 'node (no package on the stack)';
    ownerOf.set(id, result);
    return result;
  };
  const totals = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, index) => {
    const frame = nodes.get(id)?.callFrame;
    if (frame?.functionName === '(idle)') return;
    const micros = profile.timeDeltas[index] ?? 0;
    const name =
      frame?.functionName === '(garbage collector)'
        ? 'garbage collector'
        : frame?.functionName === '(program)'
          ? 'V8/native, no JS frame'
          : owner(id);
    totals.set(name, (totals.get(name) ?? 0) + micros);
    busy += micros;
  });
  const shares = [...totals]
    .map(([name, micros]) => ({ owner: name, ms: micros / 1000, share: micros / busy }))
    .sort((a, b) => b.ms - a.ms);
  return { busyMs: busy / 1000, shares };
}

function frameOwner(frame: ProfileNode['callFrame'] | undefined): string | undefined {
  if (!frame?.url) return undefined;
  const packages = frame.url.match(/node_modules\/(@[^/]+\/)?[^/]+/g);
  if (packages) return packages.at(-1)?.replace('node_modules/', '');
  if (frame.url.includes('/functions/src/')) return 'ours (functions/src)';
  if (frame.url.includes('/scripts/') || frame.url.includes('/test/')) return 'bench harness';
  return undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: profileSummary.ts <file.cpuprofile> [events]');
  const events = Number(process.argv[3] ?? 0);
  const { busyMs, shares } = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  const perEvent = (ms: number) => (events > 0 ? ` ${(ms / events).toFixed(3)} ms/event` : '');
  process.stdout.write(`busy ${busyMs.toFixed(0)} ms${perEvent(busyMs)}\n`);
  for (const share of shares.slice(0, 20)) {
    process.stdout.write(
      `${(share.share * 100).toFixed(1).padStart(5)}%  ${share.ms.toFixed(0).padStart(6)} ms${perEvent(share.ms)}  ${share.owner}\n`,
    );
  }
}
