import { connect } from 'node:net';

/**
 * A client that sends the start of a POST (headers announcing a longer body, then part of it) and disconnects:
 * what a killed SDK process or a dropped connection does to a local server.
 */
export async function disconnectMidRequest(endpoint: string, target: string): Promise<void> {
  const { hostname, port } = new URL(endpoint);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  socket.write(`POST / HTTP/1.1\r\nHost: x\r\nx-amz-target: ${target}\r\ncontent-length: 1000\r\n\r\n{"Entr`);
  await new Promise((resolve) => setTimeout(resolve, 100));
  socket.destroy();
  await new Promise((resolve) => setTimeout(resolve, 200));
}

/**
 * The rejections and exceptions nobody handled while `body` ran: in `npm start` (no handler for them) each
 * would end the process.
 */
export async function unhandledDuring(body: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const record = (error: unknown) => seen.push(String(error));
  process.on('unhandledRejection', record);
  process.on('uncaughtException', record);
  try {
    await body();
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    process.off('unhandledRejection', record);
    process.off('uncaughtException', record);
  }
  return seen;
}
