/** CPU-bound work of about `units` × 0.1 ms, the same in every system (no imports: BullMQ's sandbox loads it). */
export function burn(units: number): number {
  let x = 0;
  for (let i = 0; i < units * 20_000; i++) x = (x + i * 7) % 1_000_003;
  return x;
}
