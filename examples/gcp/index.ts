// `pulumi up` entry point of the GCP example (examples/gcp/Pulumi.yaml). Config gcp:project, gcp:zone, canaryWeight.
import * as pulumi from "@pulumi/pulumi";
import { gcpExample } from "./program";

const config = new pulumi.Config();
const gcpConfig = new pulumi.Config("gcp");
const { routingTable, addresses } = gcpExample({
    project: gcpConfig.get("project"),
    zone: gcpConfig.get("zone"),
    canaryWeight: config.getNumber("canaryWeight"),
});

export const routes = routingTable;
export const ip = addresses;
