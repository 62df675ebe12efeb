// The path a backend (or a redirect's Location) receives, from the plan's resolved PlanPathRewrite:
// the client's normalised path ($gk_path), a literal, or, for a prefix rewrite, the replacement
// followed by what the path has after the matched prefix's segments ($gk_rest<d>).
// compile resolved the rewrite (routing/compile/actions.ts); this file only realises it.

import { PlanPathRewrite } from "../../../routing/plan";
import { rewritePath } from "../../../routing/paths";
import { NginxRenderError, escapeValueBody, isPrintableAscii } from "./escape";
import { Http } from "./http";

/** orig: the client's path; literal: a fixed path; expr: the inside of a quoted value computing it. */
export interface PathState { kind: "orig" | "literal" | "expr"; value: string }

export const CLIENT_PATH: PathState = { kind: "orig", value: "" };

export function applyPathRewrite(http: Http, p: PathState, rw: PlanPathRewrite, field: string): PathState {
    // A prefix replacement carries no trailing "/" ("/" became ""), so "" is the one value not starting with "/".
    const check = (v: string, empty = false) => {
        if (!isPrintableAscii(v) || /[\s?#]/.test(v)) throw new NginxRenderError(`${field}: path ${JSON.stringify(v)} must be printable ASCII without spaces, "?" or "#"`);
        // Anything else would be glued onto the upstream name or host before it (another team's upstream).
        if (!v.startsWith("/") && !(empty && v === "")) throw new NginxRenderError(`${field}: path ${JSON.stringify(v)} must start with "/"`);
        return v;
    };
    if (rw.kind === "keep") return p;
    if (rw.kind === "full") return { kind: "literal", value: check(rw.path) };
    const repl = check(rw.replacement, true);
    if (p.kind === "literal") return { kind: "literal", value: rewritePath(rw, p.value) };
    if (p.kind === "expr") throw new NginxRenderError(`${field}: a ReplacePrefixMatch on top of another ReplacePrefixMatch (rule and backend) is not supported by the nginx adapter`);
    // The matched prefix is whole segments of the path, so the rest is what follows its depth.
    const depth = rw.matchedPrefix.split("/").length - 1;
    return { kind: "expr", value: repl === "" ? `\${${http.pathRest(depth, true)}}` : `${escapeValueBody(repl)}\${${http.pathRest(depth, false)}}` };
}

/** The path inside a quoted value; variables are always braced, so no following text extends their names. */
export function pathExpr(p: PathState): string {
    if (p.kind === "orig") return "${gk_path}";
    if (p.kind === "expr") return p.value;
    return escapeValueBody(p.value);
}
