import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** The pinned chart (cert-manager/cert-manager `deploy/charts/cert-manager`, values checked at v1.21.1). */
export const CERT_MANAGER_CHART = { chart: "cert-manager", version: "v1.21.1", repo: "https://charts.jetstack.io" } as const;

/** Arguments of {@link CertManager}. */
export interface CertManagerArgs {
    /** Namespace of the controller, webhook and CA injector. @default "cert-manager" */
    namespace?: string;
    /** Node selector of its pods (the system node group). @default {} */
    nodeSelector?: Record<string, string>;
    /** Tolerations of its pods (the system group's taint). @default [] */
    tolerations?: k8s.types.input.core.v1.Toleration[];
    /**
     * Registry its images come from (`<imageRegistry>/jetstack/cert-manager-*`), e.g. the ECR pull-through
     * cache's `<account>.dkr.ecr.<region>.amazonaws.com/quay`. @default the chart's (quay.io)
     */
    imageRegistry?: pulumi.Input<string>;
}

/**
 * cert-manager from its pinned chart, with its CRDs (kept on uninstall: deleting them would delete every
 * Certificate): certificates that pods serve are issued and renewed in the cluster, without a `pulumi up`.
 * Two controller and webhook replicas with PDBs, on the system nodes. Issuers and Certificates must depend on
 * {@link release} (its CRDs and webhook).
 */
export class CertManager extends pulumi.ComponentResource {
    public readonly release: k8s.helm.v3.Release;
    public readonly namespace: string;

    constructor(name: string, args: CertManagerArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("scaling:compute:CertManager", name, {}, opts);
        this.namespace = args.namespace ?? "cert-manager";
        const ns = new k8s.core.v1.Namespace(`${name}-ns`, {
            metadata: { name: this.namespace, labels: { "app.kubernetes.io/name": "cert-manager", "app.kubernetes.io/managed-by": "pulumi", "pod-security.kubernetes.io/enforce": "restricted" } },
        }, { parent: this });
        const tolerations = args.tolerations ?? [];
        const pdb = { enabled: true, minAvailable: 1 };
        this.release = new k8s.helm.v3.Release(`${name}-release`, {
            name: "cert-manager",
            chart: CERT_MANAGER_CHART.chart,
            version: CERT_MANAGER_CHART.version,
            repositoryOpts: { repo: CERT_MANAGER_CHART.repo },
            namespace: ns.metadata.name,
            atomic: true,
            cleanupOnFail: true,
            values: {
                crds: { enabled: true, keep: true },
                ...(args.imageRegistry ? { imageRegistry: args.imageRegistry } : {}),
                // Merged into every component's own nodeSelector.
                global: { nodeSelector: args.nodeSelector ?? {} },
                replicaCount: 2,
                podDisruptionBudget: pdb,
                tolerations,
                webhook: { replicaCount: 2, podDisruptionBudget: pdb, tolerations },
                cainjector: { tolerations },
                startupapicheck: { tolerations },
            },
        }, { parent: this });
        this.registerOutputs({ namespace: this.namespace, releaseStatus: this.release.status });
    }
}
