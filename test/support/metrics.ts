/**
 * One sample of a Prometheus text exposition read over HTTP (`GET <base>/metrics`): the value
 * of `name` with exactly these labels (label order as the server writes it does not matter); 0
 * when the series is absent (a counter not yet incremented).
 */
export async function metricValue(base: string, name: string, labels: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${base}/metrics`, { headers });
  if (res.status !== 200) throw new Error(`GET ${base}/metrics answered ${res.status}`);
  const text = await res.text();
  const wanted = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]] as [string, string]).sort(([a], [b]) => a.localeCompare(b));
    if (JSON.stringify(got) === JSON.stringify(wanted)) return Number(m[3]);
  }
  return 0;
}
