// Part of `npm run build`, after tsc: writes the Gateway API CRDs' CEL rule table (every
// x-kubernetes-validations rule with the schema structure it needs) into dist/, so the packed
// package checks objects against the CRDs' own rules without the CRD files (users have no
// shared/ folder). Read from the nearest shared/gateway-api-v1.6.1/crds above the repository, or
// $GATEWAYKIT_GATEWAY_API_CRDS. No CRDs, no build: a package without the table would fail at run time.
const fs = require("fs");
const path = require("path");
const root = path.join(__dirname, "..");
const cel = require(path.join(root, "dist/providers/kubernetes/model/crd-cel.js"));
const dir = cel.findCrdDir(root);
if (dir === undefined) {
    console.error(`generate-cel-rules: the Gateway API ${cel.GATEWAY_API_CRD_VERSION} CRDs were not found (shared/gateway-api-${cel.GATEWAY_API_CRD_VERSION}/crds above ${root}, ` +
        "or $GATEWAYKIT_GATEWAY_API_CRDS); the package needs its CEL rule table: check the CRDs out beside the repository and build again");
    process.exit(1);
}
const table = cel.ruleTableFromCrds(dir);
const out = path.join(root, "dist/providers/kubernetes/model", cel.RULE_TABLE_FILE);
fs.writeFileSync(out, JSON.stringify(table));
const perKind = Object.entries(Object.groupBy(table.rules, r => `${r.kind} ${r.version}`)).map(([k, rs]) => `${k}: ${rs.length}`).join(", ");
// stderr: `npm pack --json` runs the build, and its stdout must stay JSON.
console.error(`generate-cel-rules: ${table.rules.length} rules from ${dir} (${perKind}) -> ${path.relative(root, out)}`);
