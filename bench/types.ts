export interface Bench {
    /** Key prefix of the figures it reports, e.g. "routing.compile"; `--only` filters on it. */
    name: string;
    run(): Promise<Record<string, number>>;
}
