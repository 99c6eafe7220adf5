/**
 * The request path's metric adapter: the metric names and labels the latency and 5xx rules read, per
 * data plane. Switching the request path (ingress-nginx today, a Gateway API implementation later) is
 * one value: `observability.requestMetrics`. Pure data, no Pulumi.
 */

export interface RequestMetricAdapter {
    /** Histogram `_bucket` series of request durations. */
    durationBucket: string;
    /** Matching `_count` series (every request observed by the histogram). */
    durationCount: string;
    /** Unit of the histogram's `le` label: seconds or milliseconds. */
    leUnit: "s" | "ms";
    /** The histogram's bucket bounds in ms: a latency objective must sit on one. */
    latencyBucketsMs: number[];
    /** Counter of every request, and of the 5xx ones (PromQL selectors). */
    requests: string;
    errors5xx: string;
    /** Pod label selector of the data plane's pods and the port name their metrics listen on (for the scraper). */
    scrape: { podLabel: string; podLabelValue: string; port: number; path: string };
}

export const REQUEST_METRICS = {
    // ingress-nginx controller metrics (controller.metrics.enabled): default buckets of
    // prometheus/client_golang (DefBuckets), in seconds; `status` holds the HTTP code.
    "ingress-nginx": {
        durationBucket: "nginx_ingress_controller_request_duration_seconds_bucket",
        durationCount: "nginx_ingress_controller_request_duration_seconds_count",
        leUnit: "s",
        latencyBucketsMs: [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
        requests: "nginx_ingress_controller_requests",
        errors5xx: 'nginx_ingress_controller_requests{status=~"5.."}',
        scrape: { podLabel: "app_kubernetes_io_name", podLabelValue: "ingress-nginx", port: 10254, path: "/metrics" },
    },
    // Envoy Gateway's data plane (Envoy's Prometheus stats, /stats/prometheus on the admin port 19001):
    // upstream request time in ms with Envoy's default histogram buckets; 5xx by response code class.
    "envoy-gateway": {
        durationBucket: "envoy_cluster_upstream_rq_time_bucket",
        durationCount: "envoy_cluster_upstream_rq_time_count",
        leUnit: "ms",
        latencyBucketsMs: [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000],
        requests: "envoy_http_downstream_rq_xx",
        errors5xx: 'envoy_http_downstream_rq_xx{envoy_response_code_class="5"}',
        scrape: { podLabel: "app_kubernetes_io_component", podLabelValue: "proxy", port: 19001, path: "/stats/prometheus" },
    },
} as const satisfies Record<string, RequestMetricAdapter>;

export type RequestDataPlane = keyof typeof REQUEST_METRICS;

/** The `le` label value of a bucket bound given in ms, as the data plane writes it. */
export function leLabel(adapter: RequestMetricAdapter, ms: number): string {
    return String(adapter.leUnit === "s" ? ms / 1000 : ms);
}
