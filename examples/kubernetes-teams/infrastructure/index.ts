// `pulumi up` entry point of the infrastructure provider's stack (the ambient kubeconfig's cluster).
// Config `controllerName` names the in-cluster controller serving teams-lb (default Envoy Gateway's).
import * as pulumi from "@pulumi/pulumi";
import { infrastructure } from "../program";

const config = new pulumi.Config();
const made = infrastructure({ controllerName: config.get("controllerName") ?? undefined });

export const gatewayClass = made.classReference;
export const namespaceLabels = made.namespaceLabels;
