import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';

/**
 * What must be undone if the process stops early: child processes to stop and temporary folders to remove. Every
 * tool registers such things the moment they exist (a server before it has finished starting, a folder right after
 * mkdtemp), so SIGINT or SIGTERM at any moment leaves nothing behind.
 */
interface Cleanup {
  readonly name: string;
  /** Graceful undo, awaited on a signal (bounded by `CLEANUP_TIMEOUT_MS`). */
  readonly run: () => void | Promise<void>;
  /** Immediate undo for `process.exit` paths, where nothing can be awaited. */
  readonly runSync: () => void;
}

const CLEANUP_TIMEOUT_MS = 10_000;
const pending = new Set<Cleanup>();
let installed = false;
let stopping = false;
let reporter: ((signal: NodeJS.Signals) => void) | undefined;

/** True once a signal has started the shutdown: the interrupted work's own errors are then not reported. */
export const interrupted = (): boolean => stopping;

/** Called once cleanup is done, before the process exits on a signal: how a command reports the interruption. */
export function setInterruptReporter(report: ((signal: NodeJS.Signals) => void) | undefined): void {
  reporter = report;
}

const exitCodeOf = (signal: NodeJS.Signals): number => 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1);

function runAllSync(): void {
  for (const cleanup of [...pending].reverse()) {
    try {
      cleanup.runSync();
    } catch {
      // Best effort: the process is exiting and the next cleanup must still run.
    }
  }
  pending.clear();
}

async function onSignal(signal: NodeJS.Signals): Promise<void> {
  if (stopping) {
    // A second Ctrl-C: stop waiting for graceful shutdowns.
    runAllSync();
    process.exit(exitCodeOf(signal));
  }
  stopping = true;
  process.stderr.write(`\n${signal}: stopping child processes and removing temporary files\n`);
  for (const cleanup of [...pending].reverse()) {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(cleanup.run),
        new Promise((resolve) => {
          timer = setTimeout(resolve, CLEANUP_TIMEOUT_MS);
        }),
      ]);
    } catch {
      // Fall through to the immediate undo below.
    } finally {
      clearTimeout(timer);
    }
    cleanup.runSync();
    pending.delete(cleanup);
  }
  reporter?.(signal);
  process.exit(exitCodeOf(signal));
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void onSignal(signal));
  process.on('exit', runAllSync);
}

/** Registers an undo; returns the function that removes it again once the resource is released normally. */
export function registerCleanup(name: string, run: () => void | Promise<void>, runSync: () => void): () => void {
  install();
  const cleanup: Cleanup = { name, run, runSync };
  pending.add(cleanup);
  return () => {
    pending.delete(cleanup);
  };
}

/**
 * A temporary folder that is removed on exit, on a signal, or when `remove` is called; `keep` hands it over to the
 * user (it then survives a normal exit).
 */
export function temporaryDirectory(prefix: string): { readonly path: string; remove(): void; keep(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  const removeNow = (): void => rmSync(path, { recursive: true, force: true });
  const unregister = registerCleanup(`remove ${path}`, removeNow, removeNow);
  return {
    path,
    remove: () => {
      unregister();
      removeNow();
    },
    keep: unregister,
  };
}

/** Stops a child process on exit or on a signal: SIGTERM, then SIGKILL if it has not gone after `graceMs`. */
export function stopOnExit(name: string, child: ChildProcess, graceMs = 5_000): () => void {
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  return registerCleanup(
    name,
    async () => {
      if (!alive()) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
      if (alive()) child.kill('SIGKILL');
    },
    () => {
      if (alive()) child.kill('SIGKILL');
    },
  );
}

/** Pending cleanups, for tests. */
export const pendingCleanups = (): string[] => [...pending].map((c) => c.name);
