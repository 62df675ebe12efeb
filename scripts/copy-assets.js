// Part of `npm run build`: files the compiled package needs that tsc does not emit.
// echo-server.js is the plain-JavaScript process the EchoBackend resource starts.
const fs = require("fs");
const path = require("path");
const root = path.join(__dirname, "..");
for (const file of ["local/echo-server.js"]) {
    fs.mkdirSync(path.dirname(path.join(root, "dist", file)), { recursive: true });
    fs.copyFileSync(path.join(root, file), path.join(root, "dist", file));
}
