import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ChunkTask, ChunkValidator, ValidatedChunk, validateChunk } from './csv-validation';

/** Validates chunks on this thread or on validation threads; `ahead` is how many chunks are worth handing out at once. */
export interface ChunkValidation {
  readonly validate: ChunkValidator;
  readonly ahead: number;
  /** Stops the threads; safe to call more than once. */
  close(): Promise<void>;
}

/** On this thread: each chunk is validated as it is handed out. */
export const onThisThread: ChunkValidation = {
  validate: (task) => Promise.resolve(validateChunk(task)),
  ahead: 1,
  close: () => Promise.resolve(),
};

/**
 * The threads run the TypeScript sources as the rest of the project does, through tsx, whether the loader itself runs
 * under tsx or under Jest.
 */
const WORKER_SOURCE = `require('tsx/cjs/api').register(); require(${JSON.stringify(join(__dirname, 'validation-worker.ts'))});`;

/**
 * A thread holds a few chunks' records at a time, a few MiB; V8 would otherwise let each thread's heap grow to hundreds
 * of MiB of garbage before collecting it. A thread that still runs out fails its chunks with a clear error.
 */
const THREAD_HEAP = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 128 };

/** A chunk handed to a thread, until its result comes back. */
interface Pending {
  readonly worker: Worker;
  readonly resolve: (result: ValidatedChunk) => void;
  readonly reject: (error: Error) => void;
}

/**
 * `threads` validation threads (at least one). Chunks go to the thread with the fewest pending, and their memory is
 * moved, not copied, both ways. A thread that fails fails every chunk it holds.
 */
export function validationThreads(threads: number): ChunkValidation {
  const pending = new Map<number, Pending>();
  /** Why each thread that ended did, so that a chunk is never handed to a thread that can no longer answer. */
  const ended = new Map<Worker, Error>();
  let nextId = 0;
  const settle = (id: number): Pending | undefined => {
    const found = pending.get(id);
    pending.delete(id);
    return found;
  };
  const workers = Array.from({ length: Math.max(threads, 1) }, () => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: THREAD_HEAP });
    worker.on('message', (message: { id: number; result?: ValidatedChunk; failure?: string }) => {
      const found = settle(message.id);
      if (message.result) found?.resolve(message.result);
      else found?.reject(new Error(`a validation thread failed: ${message.failure}`));
    });
    const failAll = (error: Error): void => {
      if (!ended.has(worker)) ended.set(worker, error);
      for (const [id, { worker: holder }] of [...pending]) {
        if (holder === worker) settle(id)?.reject(new Error(`a validation thread failed: ${error.message}`, { cause: error }));
      }
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`it exited with code ${code}`)));
    return worker;
  });
  const load = (worker: Worker): number => [...pending.values()].filter((p) => p.worker === worker).length;
  return {
    ahead: workers.length * 4,
    validate: (task: ChunkTask) =>
      new Promise<ValidatedChunk>((resolve, reject) => {
        const worker = workers.reduce((best, candidate) => (load(candidate) < load(best) ? candidate : best));
        const gone = ended.get(worker);
        if (gone) {
          reject(new Error(`a validation thread failed: ${gone.message}`, { cause: gone }));
          return;
        }
        const id = (nextId += 1);
        pending.set(id, { worker, resolve, reject });
        worker.postMessage({ id, task }, [task.chunk.bytes.buffer]);
      }),
    close: async () => {
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}
