/** A one-line progress display on stderr: a bar when the total is known, a counter with a rate otherwise. */
export function progressBar(label: string) {
  const started = Date.now();
  const tty = process.stderr.isTTY === true;
  let lastLine = 0;
  const render = (done: number, text: string, total?: number) => {
    const seconds = (Date.now() - started) / 1000;
    if (total !== undefined) {
      const width = 30;
      const fraction = total === 0 ? 1 : Math.max(0, Math.min(1, done / total));
      const filled = Math.round(fraction * width);
      return `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.round(fraction * 100)}% ${text} ${seconds.toFixed(1)}s`;
    }
    return `${label}: ${text}, ${Math.round(done / Math.max(seconds, 0.001))}/s, ${seconds.toFixed(1)}s`;
  };
  return {
    update(done: number, text: string, total?: number) {
      const line = render(done, text, total);
      if (tty) process.stderr.write(`\r\x1b[2K${line}`);
      else if (Date.now() - lastLine > 2000) {
        process.stderr.write(`${line}\n`);
        lastLine = Date.now();
      }
    },
    done(text: string) {
      if (tty) process.stderr.write('\r\x1b[2K');
      console.log(`${text} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
    },
  };
}
