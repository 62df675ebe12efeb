// kubernetes adapter benches: render + check (preflight) time for the objects of 1k routes, and
// the number of objects that makes.
import { compileGateway } from "../routing/compile";
import { GatewayInput } from "../routing/plan";
import { kubernetesModel } from "../providers/kubernetes/model";
import { allManifests } from "../providers/kubernetes/model/manifests";
import { Bench } from "./types";
import { syntheticInput } from "./workload";

export const kubernetesBenches: Bench[] = [
    {
        name: "kubernetes.render",
        run: async () => {
            const synthetic = syntheticInput(1000);
            const input: GatewayInput = {
                gatewayClass: synthetic.gatewayClasses![0], gateway: synthetic.gateways[0], routes: synthetic.routes,
                services: synthetic.services ?? [], namespaces: synthetic.namespaces ?? [],
            };
            const plan = compileGateway(input).gateways[0];
            const parameters = { controllerName: "gateway.envoyproxy.io/gatewayclass-controller", namespaces: { bench: "team-bench" } };
            kubernetesModel(plan, input, parameters, "gateway"); // warm-up
            const times: number[] = [];
            let objects = 0;
            for (let i = 0; i < 5; i++) {
                const t0 = process.hrtime.bigint();
                const { rendered, problems } = kubernetesModel(plan, input, parameters, "gateway");
                times.push(Number(process.hrtime.bigint() - t0) / 1e6);
                if (problems.length > 0) throw new Error(problems.join("\n"));
                objects = allManifests(rendered).length;
            }
            const med = [...times].sort((a, b) => a - b)[2];
            return { "kubernetes.render1k.ms": Math.round(med * 10) / 10, "kubernetes.render1k.objects": objects };
        },
    },
];
