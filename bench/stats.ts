// Small statistics shared by the benches.

/** The middle value (the upper one of the two middles for an even count). */
export function median(xs: number[]): number {
    if (xs.length === 0) throw new Error("median of no values");
    return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

/** Two decimals: figures are ratios and milliseconds, not measurements to the nanosecond. */
export function round(x: number): number {
    return Math.round(x * 100) / 100;
}
