// Gateway API durations (GEP-2257): one to four "<digits><unit>" parts, units h, m, s, ms, at most
// five digits each ("1h30m", "500ms", "10s"). The one parser every reader uses.

/** The GEP-2257 grammar, as the CRDs validate it. */
export const DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** Milliseconds of a Gateway API duration ("1h30m", "500ms"), or undefined when malformed. */
export function parseDuration(d: string): number | undefined {
    if (!DURATION.test(d)) return undefined;
    let total = 0;
    for (const m of d.matchAll(/(\d+)(ms|h|m|s)/g)) total += Number(m[1]) * UNIT_MS[m[2]];
    return total;
}
