import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { GRAFANA_RESOURCES } from "../sizing/capacity";
import { POD_IDENTITY_TRUST } from "./cluster";
import { GRAFANA_DATASOURCE_UID } from "./dashboards";

/**
 * The pinned Grafana chart. The chart moved from grafana/helm-charts (deprecated there after 10.5.15) to
 * grafana-community/helm-charts: chart 12.11.1 = Grafana 13.2.0.
 */
export const GRAFANA_CHART = { chart: "grafana", version: "12.11.1", repo: "https://grafana-community.github.io/helm-charts" } as const;

/** Arguments of {@link Grafana}. */
export interface GrafanaArgs {
    /** Namespace of the release (the dashboards' ConfigMaps live there: the sidecar watches its own namespace). */
    namespace: pulumi.Input<string>;
    /** EKS cluster name, for the Pod Identity association. */
    clusterName: pulumi.Input<string>;
    /** AMP workspace: Grafana queries it with SigV4 as a Pod Identity role allowed to read it only. */
    workspaceArn: pulumi.Input<string>;
    prometheusEndpoint: pulumi.Input<string>;
    region: string;
    /** Where the pod runs. @default {} */
    nodeSelector?: Record<string, string>;
    /** Tags for the AWS resources, besides the provider's default tags. */
    tags?: Record<string, string>;
}

const RELEASE = "grafana";

/**
 * Grafana in the cluster, from the pinned chart: the AMP workspace as its default datasource (SigV4, EKS
 * Pod Identity role with the AMP query actions on that workspace only), the dashboard sidecar loading the
 * ConfigMaps labelled `grafana_dashboard: "1"`, the admin password from `@pulumi/random` in a Kubernetes
 * Secret. No Service outside the cluster: operators reach it with `kubectl -n monitoring port-forward
 * svc/grafana 3000:80`.
 */
export class Grafana extends pulumi.ComponentResource {
    public readonly release: k8s.helm.v3.Release;
    public readonly adminPassword: pulumi.Output<string>;

    constructor(name: string, args: GrafanaArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scaling:observability:Grafana", name, {}, opts);
        const tags = args.tags ?? {};
        const password = new random.RandomPassword(`${name}-admin-password`, { length: 32, special: false }, { parent: this, additionalSecretOutputs: ["result"] });
        this.adminPassword = pulumi.secret(password.result);
        const admin = new k8s.core.v1.Secret(`${name}-admin`, {
            metadata: { name: "grafana-admin", namespace: args.namespace, labels: { "app.kubernetes.io/managed-by": "pulumi" } },
            type: "Opaque",
            stringData: { "admin-user": "admin", "admin-password": this.adminPassword },
        }, { parent: this });

        const role = new aws.iam.Role(`${name}-role`, { assumeRolePolicy: POD_IDENTITY_TRUST, tags: { ...tags, Name: `${name}-role` } }, { parent: this });
        new aws.iam.RolePolicy(`${name}-query-amp`, {
            role: role.name,
            policy: pulumi.output(args.workspaceArn).apply((arn) => JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Action: ["aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels", "aps:GetMetricMetadata"], Resource: arn }],
            })),
        }, { parent: this });
        const association = new aws.eks.PodIdentityAssociation(`${name}-pod-identity`, {
            clusterName: args.clusterName, namespace: args.namespace, serviceAccount: RELEASE, roleArn: role.arn, tags,
        }, { parent: this });

        this.release = new k8s.helm.v3.Release(`${name}-release`, {
            name: RELEASE,
            chart: GRAFANA_CHART.chart,
            version: GRAFANA_CHART.version,
            repositoryOpts: { repo: GRAFANA_CHART.repo },
            namespace: args.namespace,
            atomic: true,
            cleanupOnFail: true,
            timeout: 600,
            values: {
                replicas: 1,
                serviceAccount: { create: true, name: RELEASE },
                admin: { existingSecret: admin.metadata.name, userKey: "admin-user", passwordKey: "admin-password" },
                testFramework: { enabled: false },
                resources: { requests: { cpu: `${GRAFANA_RESOURCES.grafana.cpuMillis}m`, memory: `${GRAFANA_RESOURCES.grafana.memoryMiB}Mi` }, limits: { memory: `${2 * GRAFANA_RESOURCES.grafana.memoryMiB}Mi` } },
                nodeSelector: args.nodeSelector ?? {},
                "grafana.ini": { auth: { sigv4_auth_enabled: true }, analytics: { check_for_updates: false, reporting_enabled: false } },
                datasources: {
                    "datasources.yaml": {
                        apiVersion: 1,
                        datasources: [{
                            name: "Amazon Managed Service for Prometheus",
                            uid: GRAFANA_DATASOURCE_UID,
                            type: "prometheus",
                            access: "proxy",
                            url: args.prometheusEndpoint,
                            isDefault: true,
                            editable: false,
                            jsonData: { httpMethod: "POST", sigV4Auth: true, sigV4AuthType: "default", sigV4Region: args.region },
                        }],
                    },
                },
                sidecar: {
                    resources: { requests: { cpu: `${GRAFANA_RESOURCES.sidecar.cpuMillis}m`, memory: `${GRAFANA_RESOURCES.sidecar.memoryMiB}Mi` }, limits: { memory: `${2 * GRAFANA_RESOURCES.sidecar.memoryMiB}Mi` } },
                    dashboards: { enabled: true, label: "grafana_dashboard", labelValue: "1" },
                },
            },
        }, { parent: this, dependsOn: [association] });
        this.registerOutputs({ adminPassword: this.adminPassword });
    }
}
