import { parentPort } from 'node:worker_threads';
import { ChunkTask, validateChunk } from './csv-validation';

/** A validation thread: validates each chunk it is sent and hands the chunk's memory back with the result. */
parentPort!.on('message', ({ id, task }: { id: number; task: ChunkTask }) => {
  try {
    const result = validateChunk(task);
    parentPort!.postMessage({ id, result }, [result.bytes.buffer, result.tsv.buffer]);
  } catch (error) {
    parentPort!.postMessage({ id, failure: (error as Error).stack ?? String(error) });
  }
});
