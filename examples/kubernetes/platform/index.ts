// `pulumi up` entry point of the platform stack: exports the gateway's reference, which the
// application teams' stacks read with a StackReference.
import { clusterStatus } from "../../../providers/kubernetes";
import { platform } from "./program";

const { gateway, reference, addresses } = platform();

export const gatewayReference = reference;
export const gatewayAddresses = addresses;
export const gatewayStatus = clusterStatus(gateway);
