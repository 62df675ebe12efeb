// The Gateway API CRDs' own CEL rules (x-kubernetes-validations), evaluated with a real CEL
// library (@bufbuild/cel) on every object the kubernetes adapter emits, the way the API server
// evaluates them: defaults applied first, unknown fields pruned, integers as CEL ints, a rule runs
// only where its node is present, with self = that node (a list or map node's rule sees the whole
// list or map). Transition rules (those reading oldSelf) run only on update, never on create: they
// are skipped, and counted as such.
//
// Where the rules come from — the CRDs, never a copy in this repository:
//   - in the built package: dist/providers/kubernetes/model/gateway-api-cel-rules.json, generated
//     from ../shared/gateway-api-v1.6.1/crds by scripts/generate-cel-rules.js (part of npm run build);
//   - in the repository (tests, ts-node): the same table built at load time from the CRD files,
//     found in the nearest `shared/gateway-api-v1.6.1/crds` above this module, or in
//     $GATEWAYKIT_GATEWAY_API_CRDS.
// Neither present: loading fails with a message saying so (never a silent skip).

import * as fs from "fs";
import * as path from "path";
import { CelResult, celEnv, isCelError, parse, plan } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { parseAllDocuments } from "yaml";

export const GATEWAY_API_CRD_VERSION = "v1.6.1";
/** The standard CRDs whose objects the adapter emits (manifests.ts): GatewayClass, Gateway, HTTPRoute, GRPCRoute, ReferenceGrant, ListenerSet, BackendTLSPolicy. */
export const EMITTED_CRD_FILES = ["gatewayclasses.yaml", "gateways.yaml", "httproutes.yaml", "grpcroutes.yaml", "referencegrants.yaml", "listenersets.yaml", "backendtlspolicies.yaml"];
export const RULE_TABLE_FILE = "gateway-api-cel-rules.json";

/** One x-kubernetes-validations entry, where it sits in the schema. */
export interface CelRule {
    kind: string;
    version: string;
    /** The schema node, e.g. spec.rules[*].filters[*] ([*] = every list item or map value). */
    path: string;
    rule: string;
    message?: string;
    messageExpression?: string;
    fieldPath?: string;
    reason?: string;
}

/** The structural part of an openAPIV3Schema node that evaluation needs (types, defaults, rules). */
export interface SchemaNode {
    type?: string;
    intOrString?: boolean;
    /** x-kubernetes-preserve-unknown-fields, or metadata: unknown fields are kept, not pruned. */
    preserveUnknown?: boolean;
    default?: unknown;
    properties?: Record<string, SchemaNode>;
    items?: SchemaNode;
    /** x-kubernetes-list-type map (items unique by listMapKeys) or set (items unique): checked with the rules. */
    listType?: "map" | "set";
    listMapKeys?: string[];
    additionalProperties?: SchemaNode;
    /** Indexes into CelRuleTable.rules. */
    rules?: number[];
}

export interface CelRuleTable {
    source: string;
    group: string;
    /** kind → version → root schema node. */
    schemas: Record<string, Record<string, SchemaNode>>;
    rules: CelRule[];
}

type Schema = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Reads the rules (and the structure they need) out of the CRD files in `dir`. */
export function ruleTableFromCrds(dir: string, files: string[] = EMITTED_CRD_FILES): CelRuleTable {
    const table: CelRuleTable = { source: `Gateway API ${GATEWAY_API_CRD_VERSION} standard CRDs (${files.join(", ")})`, group: "", schemas: {}, rules: [] };
    for (const file of files) {
        const crd = parseAllDocuments(fs.readFileSync(path.join(dir, file), "utf8")).map(d => {
            if (d.errors.length > 0) throw new Error(`${path.join(dir, file)}: ${d.errors[0].message}`);
            return d.toJS() as Schema;
        }).find(Boolean);
        if (!crd?.spec?.names?.kind || !Array.isArray(crd.spec.versions)) throw new Error(`${path.join(dir, file)} is not a CustomResourceDefinition`);
        const kind: string = crd.spec.names.kind;
        table.group = crd.spec.group;
        table.schemas[kind] = {};
        for (const v of crd.spec.versions as Schema[]) {
            if (!v.served) continue;
            const node = (s: Schema, at: string, isMetadata = false): SchemaNode => {
                const out: SchemaNode = {};
                if (typeof s.type === "string") out.type = s.type;
                if (s["x-kubernetes-int-or-string"]) out.intOrString = true;
                if (s["x-kubernetes-preserve-unknown-fields"] || isMetadata) out.preserveUnknown = true;
                if (s.default !== undefined) out.default = s.default;
                if (s.properties) {
                    out.properties = {};
                    for (const [k, child] of Object.entries(s.properties as Record<string, Schema>)) out.properties[k] = node(child, at === "" ? k : `${at}.${k}`, at === "" && k === "metadata");
                }
                if (s.items && typeof s.items === "object") out.items = node(s.items, `${at}[*]`);
                if (s["x-kubernetes-list-type"] === "map" || s["x-kubernetes-list-type"] === "set") out.listType = s["x-kubernetes-list-type"];
                if (Array.isArray(s["x-kubernetes-list-map-keys"])) out.listMapKeys = s["x-kubernetes-list-map-keys"];
                if (s.additionalProperties && typeof s.additionalProperties === "object") out.additionalProperties = node(s.additionalProperties, `${at}[*]`);
                for (const r of (s["x-kubernetes-validations"] ?? []) as Schema[]) {
                    (out.rules ??= []).push(table.rules.length);
                    table.rules.push({
                        kind, version: v.name, path: at === "" ? "<root>" : at, rule: r.rule,
                        ...(r.message !== undefined ? { message: r.message } : {}),
                        ...(r.messageExpression !== undefined ? { messageExpression: r.messageExpression } : {}),
                        ...(r.fieldPath !== undefined ? { fieldPath: r.fieldPath } : {}),
                        ...(r.reason !== undefined ? { reason: r.reason } : {}),
                    });
                }
                return out;
            };
            table.schemas[kind][v.name] = node(v.schema.openAPIV3Schema, "");
        }
    }
    return table;
}

/** The nearest `shared/gateway-api-v1.6.1/crds` above `from` (the reference data beside a checkout), or $GATEWAYKIT_GATEWAY_API_CRDS. */
export function findCrdDir(from: string = __dirname): string | undefined {
    const env = process.env.GATEWAYKIT_GATEWAY_API_CRDS;
    if (env) return env;
    for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
        const candidate = path.join(dir, "shared", `gateway-api-${GATEWAY_API_CRD_VERSION}`, "crds");
        if (fs.existsSync(path.join(candidate, EMITTED_CRD_FILES[0]))) return candidate;
        if (path.dirname(dir) === dir) return undefined;
    }
}

let loaded: CelRuleTable | undefined;

/** The rule table (read once): the generated file beside this module (the package), else the CRDs themselves (the repository). */
export function loadRuleTable(): CelRuleTable {
    return (loaded ??= readRuleTable());
}

export function readRuleTable(besideDir: string = __dirname, crdDir: string | undefined = findCrdDir(besideDir)): CelRuleTable {
    const generated = path.join(besideDir, RULE_TABLE_FILE);
    if (fs.existsSync(generated)) return JSON.parse(fs.readFileSync(generated, "utf8")) as CelRuleTable;
    if (crdDir === undefined) {
        throw new Error(`gatewaykit: the Gateway API ${GATEWAY_API_CRD_VERSION} CEL rule table is missing: neither ${generated} (written by \`npm run build\`) ` +
            `nor the CRDs (shared/gateway-api-${GATEWAY_API_CRD_VERSION}/crds above ${besideDir}, or $GATEWAYKIT_GATEWAY_API_CRDS) were found; ` +
            "the kubernetes adapter cannot check objects against the CRDs' rules without it — reinstall the package, or point GATEWAYKIT_GATEWAY_API_CRDS at the CRD directory");
    }
    return ruleTableFromCrds(crdDir);
}

// ---------------------------------------------------------------- evaluation

/** Reads a rule that reads oldSelf: a transition rule, evaluated by the server on update only. */
export const isTransitionRule = (r: CelRule): boolean => /\boldSelf\b/.test(r.rule);

// Kubernetes' CEL environment is standard CEL plus its libraries; of those, these CRDs' rules use
// the strings extension (split) only — the others (isIP, url, quantity, ...) appear in no rule.
const env = celEnv({ funcs: strings });
const plans = new Map<string, (ctx: { self: unknown }) => CelResult>();

/** The planned rule (cached): throws when the expression does not parse. */
export function planOf(expr: string): (ctx: { self: unknown }) => CelResult {
    let p = plans.get(expr);
    if (!p) {
        p = plan(env, parse(expr)) as (ctx: { self: unknown }) => CelResult;
        plans.set(expr, p);
    }
    return p;
}

export interface CelViolation {
    /** The object's field the rule is on, e.g. spec.rules[0].filters. */
    field: string;
    message: string;
    /** The CEL rule refused; undefined for a duplicate item of a list-type map or set (the other CRD check the server makes at the same time). */
    rule?: CelRule;
}

export interface CelEvaluation {
    violations: CelViolation[];
    /** Indexes of the rules that ran (for coverage). */
    evaluated: number[];
    /** Transition rules that were not run, with why. */
    skipped: { rule: CelRule; why: string }[];
}

/**
 * The object as the API server holds it before CEL runs: absent/null fields dropped, defaults
 * applied, unknown fields pruned, integers as bigint (CEL int; a JSON number is a CEL double otherwise).
 */
export function structural(value: unknown, node: SchemaNode | undefined): unknown {
    if (value === undefined || value === null) return undefined;
    if (node === undefined) return plain(value);
    if (Array.isArray(value)) return value.map(v => structural(v, node.items)).filter(v => v !== undefined);
    if (typeof value === "number") return (node.type === "integer" || node.intOrString) && Number.isInteger(value) ? BigInt(value) : value;
    if (typeof value !== "object") return value;
    const obj = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
        const child = node.properties?.[k] ?? node.additionalProperties;
        if (child === undefined && !node.preserveUnknown) continue; // pruned, as the server prunes it
        const s = structural(v, child);
        if (s !== undefined) out[node.properties?.[k] ? celPropertyName(k) : k] = s;
    }
    for (const [k, child] of Object.entries(node.properties ?? {})) {
        if (out[celPropertyName(k)] === undefined && child.default !== undefined) out[celPropertyName(k)] = structural(structuredClone(child.default), child);
    }
    return out;
}

function plain(value: unknown): unknown {
    if (value === undefined || value === null) return undefined;
    if (Array.isArray(value)) return value.map(plain).filter(v => v !== undefined);
    if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
    if (typeof value !== "object") return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const p = plain(v);
        if (p !== undefined) out[k] = p;
    }
    return out;
}

// Kubernetes exposes an object property to CEL under an escaped name when the name is a CEL
// reserved word or holds characters CEL identifiers cannot: the HTTPRoute rules read a parentRef's
// namespace as `__namespace__`. Map keys (additionalProperties) are not escaped.
const CEL_RESERVED = new Set(["true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if",
    "import", "let", "loop", "package", "namespace", "return", "var", "void", "while"]);

export function celPropertyName(name: string): string {
    if (CEL_RESERVED.has(name)) return `__${name}__`;
    return name.replace(/__|\.|-|\//g, c => ({ "__": "__underscores__", ".": "__dot__", "-": "__dash__", "/": "__slash__" })[c]!);
}

/** JSON of a structural value (bigint ints as numbers), as the server prints a duplicate. */
const json = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? Number(x) : x));

function duplicates(list: unknown[], node: SchemaNode, field: string, violations: CelViolation[]): void {
    const seen = new Set<string>();
    list.forEach((item, j) => {
        const key = node.listType === "map" && node.listMapKeys
            ? json(Object.fromEntries(node.listMapKeys.map(k => [k, (item as Record<string, unknown>)[celPropertyName(k)]])))
            : json(item);
        if (seen.has(key)) violations.push({ field: `${field}[${j}]`, message: `Duplicate value: ${key}` });
        seen.add(key);
    });
}

const celText = (v: unknown): string => (typeof v === "string" ? v : String(v));

/** Evaluates every rule of the object's CRD version at every node present in `manifest`. */
export function evaluateCrdRules(manifest: { apiVersion: string; kind: string }, table: CelRuleTable = loadRuleTable()): CelEvaluation | undefined {
    const [group, version] = manifest.apiVersion.includes("/") ? manifest.apiVersion.split("/") : ["", manifest.apiVersion];
    if (group !== table.group) return undefined;
    const root = table.schemas[manifest.kind]?.[version];
    if (root === undefined) {
        throw new Error(`gatewaykit: ${manifest.kind} ${manifest.apiVersion} has no CEL rule table (${table.source} cover ${Object.keys(table.schemas).join(", ")}); ` +
            "the kubernetes adapter emitted a kind or version outside the CRDs it was built against");
    }
    const out: CelEvaluation = { violations: [], evaluated: [], skipped: [] };
    const visit = (self: unknown, node: SchemaNode, field: string) => {
        if (self === undefined) return; // a rule runs only where its node is present
        for (const i of node.rules ?? []) {
            const rule = table.rules[i];
            if (isTransitionRule(rule)) {
                out.skipped.push({ rule, why: "transition rule (reads oldSelf): the API server evaluates it on update only, against the stored object; gatewaykit checks what it creates" });
                continue;
            }
            out.evaluated.push(i);
            const at = rule.fieldPath ? `${field}${rule.fieldPath}` : field;
            let result: CelResult;
            try {
                result = planOf(rule.rule)({ self });
            } catch (e) {
                result = e as CelResult;
            }
            if (result === true) continue;
            if (isCelError(result) || typeof result !== "boolean") {
                // As the server words it: the error, then the rule's message.
                const error = isCelError(result) ? result.message.replace(/^field not found: /, "no such key: ") : `rule returned ${celText(result)}, not a bool`;
                out.violations.push({ field: at, rule, message: `${error} evaluating rule: ${rule.message ?? rule.rule}` });
                continue;
            }
            let message = rule.message ?? `failed rule: ${rule.rule}`;
            if (rule.messageExpression) {
                const m = planOf(rule.messageExpression)({ self });
                if (typeof m === "string" && m !== "") message = m;
            }
            // rule.reason (none in these CRDs) is the server's cause type, not part of the message.
            out.violations.push({ field: at, rule, message });
        }
        if (Array.isArray(self)) {
            if (node.listType) duplicates(self, node, field, out.violations);
            if (node.items) self.forEach((v, j) => visit(v, node.items!, `${field}[${j}]`));
        } else if (typeof self === "object" && self !== null) {
            const obj = self as Record<string, unknown>;
            for (const [k, child] of Object.entries(node.properties ?? {})) visit(obj[celPropertyName(k)], child, field === "" ? k : `${field}.${k}`);
            if (node.additionalProperties && !node.properties) for (const [k, v] of Object.entries(obj)) visit(v, node.additionalProperties, `${field}[${JSON.stringify(k)}]`);
        }
    };
    visit(structural(manifest, root), root, "");
    return out;
}
