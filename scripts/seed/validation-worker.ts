import { parentPort } from 'node:worker_threads';
import { ChunkTask, ValidatedChunk, validateChunk } from './csv-validation';

/** The memory of a result's typed arrays, moved back rather than copied. */
function buffersOf(result: ValidatedChunk): ArrayBuffer[] {
  const arrays = [result.bytes, result.tsv, result.lines, result.keys, ...result.references];
  return [...new Set(arrays.flatMap((array) => (ArrayBuffer.isView(array) ? [array.buffer as ArrayBuffer] : [])))];
}

/** A validation thread: validates each chunk it is sent and hands the chunk's memory back with the result. */
parentPort!.on('message', ({ id, task }: { id: number; task: ChunkTask }) => {
  try {
    const result = validateChunk(task);
    parentPort!.postMessage({ id, result }, buffersOf(result));
  } catch (error) {
    parentPort!.postMessage({ id, failure: (error as Error).stack ?? String(error) });
  }
});
