/**
 * The AMP managed scraper's Prometheus configuration (pure: no Pulumi). The managed collector allows
 * `kubernetes_sd_configs` only, scrape intervals of 30 s or more, and reaches pods by IP through its
 * ENIs in the cluster's subnets (AWS docs: "Using an AWS managed collector", scraper configuration).
 */
import { stringify } from "yaml";
import { REQUEST_METRICS, RequestDataPlane } from "../catalog/requestMetrics";

export interface ScrapeConfigInputs {
    /** Seconds between scrapes (>= 30). */
    scrapeIntervalSeconds: number;
    /** The request path whose metrics the SLO rules read. */
    dataPlane: RequestDataPlane;
    /** External label naming the cluster on every series. */
    clusterName: string;
}

/** A job keeping the pods whose label `label` (sanitised name) equals `value`, scraped on `port`. */
function podJob(job: string, label: string, value: string, port: number, path = "/metrics") {
    return {
        job_name: job,
        metrics_path: path,
        kubernetes_sd_configs: [{ role: "pod" }],
        relabel_configs: [
            { source_labels: [`__meta_kubernetes_pod_label_${label}`], regex: value, action: "keep" },
            { source_labels: ["__meta_kubernetes_pod_ip"], regex: "(.+)", target_label: "__address__", replacement: `$1:${port}` },
            { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
            { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
        ],
    };
}

/** The scraper's configuration YAML. */
export function scrapeConfigYaml(i: ScrapeConfigInputs): string {
    const plane = REQUEST_METRICS[i.dataPlane].scrape;
    return stringify({
        global: { scrape_interval: `${i.scrapeIntervalSeconds}s`, external_labels: { cluster: i.clusterName } },
        scrape_configs: [
            // PgBouncer's pgbouncer-exporter sidecars (and any pod annotated the same way).
            {
                job_name: "annotated-pods",
                kubernetes_sd_configs: [{ role: "pod" }],
                relabel_configs: [
                    { source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"], regex: "true", action: "keep" },
                    { source_labels: ["__meta_kubernetes_pod_ip", "__meta_kubernetes_pod_annotation_prometheus_io_port"], regex: "(.+);(\\d+)", target_label: "__address__", replacement: "$1:$2" },
                    { source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_path"], regex: "(.+)", target_label: "__metrics_path__" },
                    { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
                    { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
                    { source_labels: ["__meta_kubernetes_pod_label_app_kubernetes_io_name"], target_label: "app" },
                ],
            },
            podJob("request-path", plane.podLabel, plane.podLabelValue, plane.port, plane.path),
            // EKS community add-ons (installed by the Observability component).
            podJob("kube-state-metrics", "app_kubernetes_io_name", "kube-state-metrics", 8080),
            podJob("node-exporter", "app_kubernetes_io_name", "prometheus-node-exporter", 9100),
            // cluster-autoscaler's own metrics (unschedulable pods, node group sizes).
            podJob("cluster-autoscaler", "app_kubernetes_io_instance", "cluster-autoscaler", 8085),
        ],
    }, { lineWidth: 0 });
}
