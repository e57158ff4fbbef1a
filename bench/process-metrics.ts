import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

/** CPU and event-loop counters of this process, to diff around a phase. */
export interface ProcessSample {
  cpuMicros: number;
  loopIdleMs: number;
  loopActiveMs: number;
}

export function sampleProcess(): ProcessSample {
  const cpu = process.cpuUsage();
  const loop = performance.eventLoopUtilization();
  return { cpuMicros: cpu.user + cpu.system, loopIdleMs: loop.idle, loopActiveMs: loop.active };
}

export interface PhaseLoad {
  /** CPU time the process used, in ms. */
  cpuMs: number;
  /** Share of wall time the event loop was busy (1 = saturated: requests queue). */
  loopUtilization: number;
}

export function loadBetween(before: ProcessSample, after: ProcessSample): PhaseLoad {
  const active = after.loopActiveMs - before.loopActiveMs;
  const idle = after.loopIdleMs - before.loopIdleMs;
  return {
    cpuMs: (after.cpuMicros - before.cpuMicros) / 1000,
    loopUtilization: active / Math.max(1e-9, active + idle),
  };
}

/** Heap and RSS after full collections (the child runs with --expose-gc; without it, one sample). */
export async function settledMemory(): Promise<{ heapUsedBytes: number; rssBytes: number }> {
  const collect = (globalThis as { gc?: () => void }).gc;
  for (let round = 0; round < 4; round++) {
    collect?.();
    // Lets FinalizationRegistry callbacks and closed sockets' cleanup run between collections.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const usage = process.memoryUsage();
  return { heapUsedBytes: usage.heapUsed, rssBytes: usage.rss };
}

export interface ProfileEntry {
  /** `function (file:line)`, file relative to the project or `node_modules/<package>`. */
  where: string;
  selfPercent: number;
}

export interface ProfileSummary {
  /** Self time per function. */
  functions: ProfileEntry[];
  /** Self time per package, src/ folder or Node itself. */
  areas: ProfileEntry[];
  /** Time spent in a src/ function or anything it called (overlapping: a caller includes its callees). */
  sourceInclusive: ProfileEntry[];
}

/** A sampling CPU profile of this process between start() and stop(), summarised by self time. */
export function createProfiler() {
  const session = new Session();
  return {
    async start() {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 200 });
      await session.post('Profiler.start');
    },
    async stop(options: { top: number }): Promise<ProfileSummary> {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
      const parentOf = new Map<number, number>();
      for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
      const byFunction = new Map<string, number>();
      const byArea = new Map<string, number>();
      const inclusiveInSource = new Map<string, number>();
      let total = 0;
      for (const id of profile.samples ?? []) {
        const node = nodes.get(id);
        if (!node) continue;
        const frame = node.callFrame;
        if (frame.functionName === '(idle)' || frame.functionName === '(program)') continue;
        total += 1;
        const file = shortFile(frame.url);
        const key = `${frame.functionName || '(anonymous)'} (${file}${frame.url && !file.startsWith('src/') ? `:${frame.lineNumber + 1}` : ''})`;
        byFunction.set(key, (byFunction.get(key) ?? 0) + 1);
        const area = areaOf(file, frame.functionName);
        byArea.set(area, (byArea.get(area) ?? 0) + 1);
        // Inclusive time of the project's own functions: which of them the native and package time is under.
        const seen = new Set<string>();
        for (let current: number | undefined = id; current !== undefined; current = parentOf.get(current)) {
          const ancestor = nodes.get(current)?.callFrame;
          if (!ancestor || !shortFile(ancestor.url).startsWith('src/')) continue;
          // Line numbers of tsx-compiled files are not the source's: the function and file name it.
          seen.add(`${ancestor.functionName || '(anonymous)'} (${shortFile(ancestor.url)})`);
        }
        for (const where of seen) inclusiveInSource.set(where, (inclusiveInSource.get(where) ?? 0) + 1);
      }
      const top = (counts: Map<string, number>) =>
        [...counts.entries()]
          .sort((a, b) => b[1] - a[1])
          .slice(0, options.top)
          .map(([where, count]) => ({ where, selfPercent: (100 * count) / Math.max(1, total) }));
      return { functions: top(byFunction), areas: top(byArea), sourceInclusive: top(inclusiveInSource) };
    },
  };
}

function shortFile(url: string): string {
  if (!url) return 'native';
  const file = url.replace(/^file:\/\//, '');
  const modules = file.lastIndexOf('/node_modules/');
  if (modules !== -1) return `node_modules/${file.slice(modules + '/node_modules/'.length)}`;
  if (file.startsWith('node:')) return file;
  return path.relative(process.cwd(), file);
}

/** Groups a file into what a reader can act on: a package, a src/ folder, or Node itself. */
function areaOf(file: string, functionName: string): string {
  if (file === 'native') return functionName.startsWith('(') ? functionName : 'native (V8 builtins, GC, C++)';
  if (file.startsWith('node_modules/')) {
    const parts = file.slice('node_modules/'.length).split('/');
    return `package ${parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  if (file.startsWith('node:internal/deps/undici')) return 'node fetch (undici)';
  if (file.startsWith('node:internal/webstreams')) return 'node web streams';
  if (file.startsWith('node:'))
    return `node ${
      file
        .slice('node:'.length)
        .replace(/^internal\//, '')
        .split('/')[0]
    }`;
  if (file.startsWith('src/')) return `src/${file.split('/')[1]}`;
  return file;
}
