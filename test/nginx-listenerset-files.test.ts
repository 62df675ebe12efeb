// The nginx ListenerSet attachment's checks that need no running nginx (runtime/lifecycle.ts): a team
// may supply certificates only in its ListenerSet's namespace, may not replace or remove another
// stack's ListenerSet file, and attaching to a gateway with no running nginx fails naming the fix.
// The file round-trip is 0600 (it carries private keys).

import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { createListenerSet, deleteListenerSet, NginxListenerSetInputs } from "../providers/nginx/runtime/lifecycle";
import { readListenerSetFiles, writeListenerSetFile } from "../providers/nginx/runtime/routeFiles";

const spec = (namespace: string) => JSON.stringify({ name: "shop", namespace, parentRef: { name: "shared", namespace: "infra" }, listeners: [{ name: "web", port: 8080, protocol: "HTTP", hostname: "shop.example" }] });

describe("nginx ListenerSet attachment: ownership, certificate namespaces, no running gateway", () => {
    let home = "";
    const inputs = (owner: string, extra: Partial<NginxListenerSetInputs> = {}): NginxListenerSetInputs =>
        ({ gateway: "infra/shared", home, listenerSet: "team-a/shop", owner, spec: spec("team-a"), ...extra });

    beforeEach(() => { home = fs.mkdtempSync(path.join(os.tmpdir(), "gk-lsf-")); });
    afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

    it("refuses a certificate keyed in another namespace before touching anything", async () => {
        await assert.rejects(createListenerSet(inputs("p/a", { certificates: { "infra/gw-cert": { certificate: "c", privateKey: "k" } } })),
            /ListenerSet team-a\/shop: certificates\["infra\/gw-cert"\] is not in namespace team-a/);
        assert.equal(readListenerSetFiles(home).size, 0);
    });

    it("refuses a spec naming another ListenerSet than the attachment", async () => {
        await assert.rejects(createListenerSet(inputs("p/a", { spec: spec("team-b") })), /ListenerSet spec names team-b\/shop, not team-a\/shop/);
    });

    it("another stack may not replace or remove a ListenerSet file; its owner's file stays (0600)", async () => {
        writeListenerSetFile(home, "team-a/shop", { gateway: "infra/shared", owner: "p/a", listenerSet: JSON.parse(spec("team-a")), certificates: { "team-a/c": { certificate: "c", privateKey: "k" } } });
        const file = path.join(home, "listenersets.d", "team-a__shop.json");
        assert.equal(fs.statSync(file).mode & 0o777, 0o600);
        await assert.rejects(createListenerSet(inputs("p/intruder")), /ListenerSet team-a\/shop on Gateway infra\/shared belongs to stack p\/a; stack p\/intruder may not replace it/);
        await deleteListenerSet({ ...inputs("p/intruder"), served: [] }); // not its file: nothing removed
        assert.equal(readListenerSetFiles(home).get("team-a/shop")?.owner, "p/a");
    });

    it("attaching to a gateway whose nginx is not running fails naming the gateway's stack", async () => {
        await assert.rejects(createListenerSet(inputs("p/a")), /Gateway infra\/shared has no running nginx .*before ListenerSets attach to it/);
        assert.equal(readListenerSetFiles(home).size, 0);
    });
});
