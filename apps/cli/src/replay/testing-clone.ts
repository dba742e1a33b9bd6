import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';

/** What `postMessage` with a transfer list delivers on the other side (a worker's message, in tests). */
export function structuredClone<T>(value: T, transfer: ArrayBuffer[]): T {
  const { port1, port2 } = new MessageChannel();
  try {
    port1.postMessage(value, transfer);
    return receiveMessageOnPort(port2)!.message as T;
  } finally {
    port1.close();
    port2.close();
  }
}
