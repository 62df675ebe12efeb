export interface Bench {
    /** Key prefix of the figures it reports, e.g. "routing.compile"; `--only` filters on it. */
    name: string;
    /** `only`: the --only prefix, for benches whose sizes it can select (e.g. "nginx.scale.1k"). */
    run(only?: string): Promise<Record<string, number>>;
}
