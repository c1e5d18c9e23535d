import { describe, expect, it } from 'vitest';
import { encodeJson } from '../../protocol/json-codec.js';
import { fromMingleRevoked, toMingleRevoked } from './mingle-revoked.js';

const NOW = 1_765_000_000_000;
const MONO = 5_000.25;
const HOUR = 3_600_000;

describe('mingle revocations', () => {
  it('stamps each live id so that Python expires it when this worker does', () => {
    const out = toMingleRevoked(
      [
        { id: 'a', expiresAt: NOW + 2 * HOUR, terminate: false, reason: 'revoked' },
        { id: 'gone', expiresAt: NOW - 1, terminate: false, reason: 'revoked' },
      ],
      NOW,
      MONO,
    );
    expect(Object.keys(out)).toEqual(['a']);
    const [stamp, id] = out.a!;
    expect(id).toBe('a');
    expect(stamp + 10_800).toBeCloseTo(MONO + 7_200, 6);
  });

  it('writes every stamp as a JSON float, which Python requires', () => {
    const out = toMingleRevoked(
      [{ id: 'a', expiresAt: NOW + 3 * HOUR, terminate: false, reason: 'revoked' }],
      NOW,
      5_000,
    );
    expect(encodeJson(out)).toMatch(/^\{"a":\[5000\.\d+,"a"\]\}$/);
  });

  it("reads a Python worker's LimitedSet data, keeping each id until Python drops it", () => {
    const list = fromMingleRevoked(
      { a: [MONO - 3_600, 'a'], b: MONO - 10, old: [MONO - 20_000, 'old'], junk: 'x' },
      NOW,
      MONO,
    );
    expect(list.map((r) => r.id)).toEqual(['a', 'b']);
    expect(list[0]!.expiresAt).toBeCloseTo(NOW + 2 * HOUR, -1);
    expect(list[1]).toMatchObject({ terminate: false, reason: 'revoked' });
  });

  it('counts a stamp ahead of this clock (another host) as made now; ignores what is not a map', () => {
    expect(fromMingleRevoked({ a: [MONO + 99, 'a'] }, NOW, MONO)[0]!.expiresAt).toBe(
      NOW + 3 * HOUR,
    );
    expect(fromMingleRevoked(['a'], NOW, MONO)).toEqual([]);
    expect(fromMingleRevoked(null, NOW, MONO)).toEqual([]);
  });
});
