// The product as a child process: spawned like a user would start it, watched for RSS, killed at the end.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';

/** A free TCP port on 127.0.0.1 (closed again before use; the race is harmless here). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** VmRSS, RssAnon and RssFile of a process in bytes, or undefined once it is gone. */
export function readRssParts(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => {
      const m = new RegExp(`${name}:\\s+(\\d+)\\s+kB`).exec(status);
      return m ? Number(m[1]) * 1024 : undefined;
    };
    return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
  } catch {
    return undefined;
  }
}

/** VmRSS of a process in bytes, or undefined once it is gone. */
export function readRss(pid) {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The variables `npm start` sets for the process (`NAME=${NAME:-default}` in package.json's start
 * script, e.g. glibc's MALLOC_TRIM_THRESHOLD_), so the bench runs the server as `npm start` would.
 */
export function npmStartEnv(cwd) {
  const script = JSON.parse(readFileSync(`${cwd}/package.json`, 'utf8')).scripts.start;
  const env = {};
  for (const [, name, fallback] of script.matchAll(/\b(\w+)=\$\{\1:-([^}]*)\}/g)) env[name] = process.env[name] ?? fallback;
  return env;
}

/**
 * Starts `node packages/cli/dist/main.js start` (or the role in `args`, e.g. `['worker']`) with only the given WEFT_* settings (inherited
 * WEFT_* variables are dropped so a developer's shell cannot change the benchmark).
 */
export function startServer({ cwd, env: weftEnv, nodeArgs = [], args = ['start'] }) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WEFT_')));
  Object.assign(env, npmStartEnv(cwd), weftEnv);
  const child = spawn(process.execPath, [...nodeArgs, 'packages/cli/dist/main.js', ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail = [];
  let lines = 0;
  // The first output, for waitOutput (a worker has no port to poll).
  let head = '';
  const keep = (chunk) => {
    if (head.length < 8192) head += chunk.toString('utf8');
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      lines++;
      tail.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
      if (tail.length > 40) tail.shift();
    }
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  const exitPromise = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
  });

  // RSS sampled every 100 ms: [ms since bench start (performance.now()), bytes].
  const samples = [];
  const sampler = setInterval(() => {
    const rss = readRss(child.pid);
    if (rss !== undefined) samples.push([performance.now(), rss]);
  }, 100);
  sampler.unref();

  const kill = () => {
    if (exited === null) child.kill('SIGKILL');
  };
  process.on('exit', kill);

  return {
    child,
    pid: child.pid,
    samples,
    get exited() {
      return exited;
    },
    logTail: () => tail.slice(),
    logLines: () => lines,
    /** Highest RSS sampled in [from, to] (performance.now() times); undefined when none. */
    peakRss(from, to = Number.POSITIVE_INFINITY) {
      let peak;
      for (const [t, rss] of samples) if (t >= from && t <= to && (peak === undefined || rss > peak)) peak = rss;
      return peak;
    },
    /** Median RSS sampled in [from, to]. */
    medianRss(from, to = Number.POSITIVE_INFINITY) {
      const xs = samples
        .filter(([t]) => t >= from && t <= to)
        .map(([, r]) => r)
        .sort((a, b) => a - b);
      return xs.length ? xs[Math.floor(xs.length / 2)] : undefined;
    },
    /** Waits until GET `url` answers at all (any status), the process exits, or the time runs out. */
    async waitListening(url, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (exited) throw new Error(`the server exited before listening (${JSON.stringify(exited)}):\n${tail.join('\n')}`);
        try {
          await fetch(url, { signal: AbortSignal.timeout(1000) });
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      throw new Error(`the server did not listen on ${url} within ${timeoutMs} ms:\n${tail.join('\n')}`);
    },
    /** Waits until the process printed something matching `re`, exits, or the time runs out. */
    async waitOutput(re, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (re.test(head)) return;
        if (exited) throw new Error(`the process exited before printing ${re} (${JSON.stringify(exited)}):\n${tail.join('\n')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`the process did not print ${re} within ${timeoutMs} ms:\n${tail.join('\n')}`);
    },
    /** SIGTERM, then SIGKILL after `graceMs`. */
    async stop(graceMs = 5000) {
      clearInterval(sampler);
      process.off('exit', kill);
      if (exited) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exitPromise;
      clearTimeout(timer);
      return result;
    },
  };
}
