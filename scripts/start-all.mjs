// `npm run start:all`: the api (dist/src/main.js) and the worker (dist/src/worker.js) in one
// terminal, for development and first runs — without the worker, queued jobs (knowledge index
// builds, large voice files) stay QUEUED. Ctrl+C (or SIGTERM) stops both; when one exits, the
// other is stopped too. In production run them as separate services (docker-compose.yml).
import { spawn } from 'node:child_process';

const children = [
  ['worker', 'dist/src/worker.js'],
  ['api', 'dist/src/main.js'],
].map(([name, file]) => {
  const child = spawn(process.execPath, [file], { stdio: 'inherit' });
  child.on('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`start:all: the ${name} exited (${signal ?? code}); stopping the other\n`);
    if (code) process.exitCode = code;
    stopAll();
  });
  return child;
});

let stopping = false;
function stopAll() {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
}

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, stopAll);
