import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PLATFORM_IMAGES } from "../catalog/images";

/** The pinned VPA chart (FairwindsOps/charts `stable/vpa` 5.0.0 = VPA 1.7.1, Kubernetes >= 1.28). */
export const VPA_CHART = { chart: "vpa", version: "5.0.0", repo: "https://charts.fairwinds.com/stable" } as const;

interface ComponentResources {
    cpuMillis: number;
    memoryMiB: number;
}

/** Arguments of {@link VerticalPodAutoscaler}. */
export interface VerticalPodAutoscalerArgs {
    /** Requests of the recommender (always on). */
    recommender: ComponentResources;
    /** The updater evicts pods of VPAs in Recreate/Auto mode; off = recommendations only. @default off */
    updater?: ComponentResources;
    /** The admission controller applies recommendations at pod creation. @default off */
    admissionController?: ComponentResources;
    /** Placement on the system nodes. */
    nodeSelector?: Record<string, string>;
    tolerations?: Array<Record<string, string>>;
    /** Namespace to create. @default "vpa" */
    namespace?: string;
    /** Image references (`repository:tag[@digest]`), e.g. through the ECR pull-through cache. @default PLATFORM_IMAGES.vpa* */
    images?: { recommender?: pulumi.Input<string>; updater?: pulumi.Input<string>; admissionController?: pulumi.Input<string> };
}

export { chartImage } from "./containerImage";
import { chartImage } from "./containerImage";

const resources = (r: ComponentResources) => ({ requests: { cpu: `${r.cpuMillis}m`, memory: `${r.memoryMiB}Mi` }, limits: { memory: `${r.memoryMiB}Mi` } });

/**
 * The Vertical Pod Autoscaler from its pinned chart: the CRDs and the recommender; the updater and the
 * admission controller only when asked for. metrics-server comes from the EKS add-on, not this chart.
 */
export class VerticalPodAutoscaler extends pulumi.ComponentResource {
    public readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: VerticalPodAutoscalerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scaling:compute:VerticalPodAutoscaler", name, {}, opts);
        const placement = { nodeSelector: args.nodeSelector ?? {}, tolerations: args.tolerations ?? [] };
        const ns = new k8s.core.v1.Namespace(`${name}-ns`, {
            metadata: { name: args.namespace ?? "vpa", labels: { "app.kubernetes.io/name": "vpa", "app.kubernetes.io/managed-by": "pulumi", "pod-security.kubernetes.io/enforce": "restricted" } },
        }, { parent: this });
        this.release = new k8s.helm.v3.Release(`${name}-release`, {
            name: "vpa",
            chart: VPA_CHART.chart,
            version: VPA_CHART.version,
            repositoryOpts: { repo: VPA_CHART.repo },
            namespace: ns.metadata.name,
            atomic: true,
            cleanupOnFail: true,
            values: {
                recommender: { enabled: true, image: chartImage(args.images?.recommender ?? PLATFORM_IMAGES.vpaRecommender), resources: resources(args.recommender), ...placement },
                updater: { enabled: args.updater !== undefined, image: chartImage(args.images?.updater ?? PLATFORM_IMAGES.vpaUpdater), ...(args.updater ? { resources: resources(args.updater) } : {}), ...placement },
                admissionController: { enabled: args.admissionController !== undefined, image: chartImage(args.images?.admissionController ?? PLATFORM_IMAGES.vpaAdmissionController), ...(args.admissionController ? { resources: resources(args.admissionController), replicaCount: 2 } : {}), ...placement },
                "metrics-server": { enabled: false },
            },
        }, { parent: this });
        this.registerOutputs({ releaseStatus: this.release.status });
    }
}
