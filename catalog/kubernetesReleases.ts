/** Pure data (no Pulumi imports): the config schema reads it too. */

/**
 * cluster-autoscaler releases by Kubernetes minor (the autoscaler's minor must match the cluster's).
 * Chart versions and their appVersion from kubernetes/autoscaler
 * `cluster-autoscaler/charts/cluster-autoscaler/Chart.yaml`; image tags are the latest patch of that minor.
 */
export const CLUSTER_AUTOSCALER_RELEASES = {
    "1.33": { chart: "9.51.0", image: "v1.33.6" },
    "1.34": { chart: "9.53.0", image: "v1.34.5" },
    "1.35": { chart: "9.59.0", image: "v1.35.2" },
} as const;
export type AutoscalerKubernetesVersion = keyof typeof CLUSTER_AUTOSCALER_RELEASES;
export const CLUSTER_AUTOSCALER_REPO = "https://kubernetes.github.io/autoscaler";
