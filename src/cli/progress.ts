/** A one-line progress display on stderr: a bar when the total is known (0..1), a counter otherwise. */
export function progressBar(label: string) {
  const started = Date.now();
  const tty = process.stderr.isTTY === true;
  let lastLine = 0;
  const render = (value: number, text: string) => {
    const seconds = (Date.now() - started) / 1000;
    if (value <= 1) {
      const width = 30;
      const filled = Math.round(Math.max(0, Math.min(1, value)) * width);
      return `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.round(value * 100)}% ${text} ${seconds.toFixed(1)}s`;
    }
    return `${label}: ${text}, ${Math.round(value / Math.max(seconds, 0.001))}/s, ${seconds.toFixed(1)}s`;
  };
  return {
    update(value: number, text: string) {
      const line = render(value, text);
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
