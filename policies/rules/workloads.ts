/**
 * Pod security and workload exposure: what a container may do on its node (capabilities, root
 * filesystem, seccomp, host namespaces and paths, user ids), how it gets credentials (service account
 * tokens, secrets), what it runs (image digests), where it lives (namespaces) and who may reach it
 * (NetworkPolicy coverage, RBAC, Service types, ingress-nginx snippets).
 *
 * Like `kubernetes.ts`, these see the workloads the program declares as `kubernetes:*` resources; the
 * manifests of Helm releases render in the cluster and are checked through their chart values only.
 */
import { checkov, isSet, kubeScore, list, onType, PolicyResource, Props, Rule } from "./common";
import { containers, HPA_TYPES, minReplicasOf, onContainers, PDB, POD_SPEC_PATH, podSpec, SCALABLE, selects, WORKLOADS } from "./kubernetes";

/** The value stored under `key`, without reading it through the unknown-checking proxy (an unknown reads as the engine's sentinel). */
function raw(props: Props | undefined, key: string): unknown {
    if (props === undefined || props === null) return undefined;
    return Object.getOwnPropertyDescriptor(props, key)?.value;
}

/** Labels of a workload's pod template (`metadata` next to the pod spec). */
function podLabels(type: string, props: Props): Record<string, string> {
    const path = POD_SPEC_PATH[type];
    let v: Props | undefined = props;
    for (const k of path.slice(0, -1)) v = v?.[k];
    return (v?.metadata?.labels ?? {}) as Record<string, string>;
}

const namespaceOf = (r: PolicyResource): string => (r.props.metadata?.namespace as string | undefined) ?? "default";

/** Does a label selector (`matchLabels`, `matchExpressions`) pick these labels? An empty selector picks every pod. */
export function selectorMatches(selector: Props | undefined, labels: Record<string, string>): boolean {
    if (!selector) return false;
    const match: Record<string, string> = selector.matchLabels ?? {};
    if (!Object.entries(match).every(([k, v]) => labels[k] === v)) return false;
    return list<Props>(selector.matchExpressions).every((e) => {
        const values = list<string>(e.values);
        switch (e.operator) {
            case "In": return values.includes(labels[e.key]);
            case "NotIn": return !values.includes(labels[e.key]);
            case "Exists": return e.key in labels;
            case "DoesNotExist": return !(e.key in labels);
            default: return false;
        }
    });
}

/** Namespaced kinds this pack knows, for the default-namespace rule. */
const NAMESPACED = [
    ...WORKLOADS,
    "kubernetes:core/v1:Service", "kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:Secret", "kubernetes:core/v1:ServiceAccount",
    "kubernetes:networking.k8s.io/v1:Ingress", "kubernetes:networking.k8s.io/v1:NetworkPolicy", PDB, ...HPA_TYPES,
    "kubernetes:rbac.authorization.k8s.io/v1:Role", "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
];

const BINDING_TYPES = ["kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"];
const ROLE_TYPES = ["kubernetes:rbac.authorization.k8s.io/v1:Role", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"];
const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

/**
 * Grants that let a subject take over more than it was given: [resources, verbs, why]. `*` in a rule
 * matches everything, so a wildcard always counts.
 */
const ESCALATING_GRANTS: [string[], string[], string][] = [
    [["roles", "clusterroles"], ["escalate", "bind"], "can grant itself more permissions (escalate/bind)"],
    [["rolebindings", "clusterrolebindings"], ["create", "update", "patch"], "can bind any role it can see"],
    [["users", "groups", "serviceaccounts"], ["impersonate"], "can act as other users or service accounts (impersonate)"],
    [["nodes/proxy"], ["get", "create"], "reaches every kubelet API (nodes/proxy)"],
    [["pods/exec", "pods/attach"], ["create", "get"], "runs commands in other pods (pods/exec)"],
    [["validatingwebhookconfigurations", "mutatingwebhookconfigurations"], ["create", "update", "patch", "delete"], "controls admission webhooks"],
    [["certificatesigningrequests/approval", "signers"], ["update", "patch", "approve"], "approves certificate signing requests"],
    [["services/status"], ["update", "patch"], "sets Service load-balancer IPs (CVE-2020-8554)"],
];

function grants(rule: Props, resources: string[], verbs: string[]): boolean {
    const rs = list<string>(rule.resources);
    const vs = list<string>(rule.verbs);
    return rs.some((r) => r === "*" || resources.includes(r)) && vs.some((v) => v === "*" || verbs.includes(v));
}

export const workloads: Rule[] = [
    {
        name: "k8s-capabilities-dropped",
        description: "Every container drops all Linux capabilities and adds back none outside the allowed list (none by default).",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `securityContext.capabilities: { drop: [\"ALL\"] }` on every container; if a process truly needs one (e.g. NET_BIND_SERVICE to bind port 80), add it to `capabilities.add` and to this policy's `allowedCapabilities`.",
        framework: checkov("CKV_K8S_37", "Containers run with no Linux capabilities assigned beyond what they need"),
        tags: ["kubernetes", "security"],
        configSchema: { properties: { allowedCapabilities: { type: "array", items: { type: "string" }, default: [] } } },
        validateResource: onContainers(WORKLOADS, (c, _init, _pod, args, report) => {
            const caps: Props = c.securityContext?.capabilities ?? {};
            const drop = list<string>(caps.drop).map((x) => x.toUpperCase());
            if (!drop.includes("ALL")) report(`does not drop ALL capabilities (drop: ${JSON.stringify(drop)}).`);
            const allowed = args.getConfig<{ allowedCapabilities: string[] }>().allowedCapabilities.map((x) => x.toUpperCase().replace(/^CAP_/, ""));
            const extra = list<string>(caps.add).filter((x) => !allowed.includes(x.toUpperCase().replace(/^CAP_/, "")));
            if (extra.length > 0) report(`adds capabilities ${extra.join(", ")}.`);
        }),
    },
    {
        name: "k8s-read-only-root-filesystem",
        description: "Every container runs with a read-only root filesystem (writable paths are explicit volumes).",
        severity: "medium",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `securityContext.readOnlyRootFilesystem: true` and mount an `emptyDir` (with a `sizeLimit`) where the process writes (e.g. /tmp).",
        framework: checkov("CKV_K8S_22", "Containers use a read-only root filesystem"),
        tags: ["kubernetes", "security"],
        validateResource: onContainers(WORKLOADS, (c, _init, _pod, _args, report) => {
            if (c.securityContext?.readOnlyRootFilesystem !== true) report("does not set securityContext.readOnlyRootFilesystem: true.");
        }),
    },
    {
        name: "k8s-seccomp-profile",
        description: "Every container runs under a seccomp profile (RuntimeDefault or Localhost), set on the pod or the container.",
        severity: "medium",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `securityContext.seccompProfile: { type: \"RuntimeDefault\" }` on the pod spec (or on each container).",
        framework: checkov("CKV_K8S_31", "Pods run under the runtime's default (or a local) seccomp profile"),
        tags: ["kubernetes", "security"],
        validateResource: onContainers(WORKLOADS, (c, _init, pod, _args, report) => {
            const type = (c.securityContext?.seccompProfile?.type ?? pod.securityContext?.seccompProfile?.type) as string | undefined;
            if (type !== "RuntimeDefault" && type !== "Localhost") report(`runs with seccomp profile ${JSON.stringify(type ?? "Unconfined")}.`);
        }),
    },
    {
        name: "k8s-no-host-namespaces",
        description: "No pod shares the node's network, PID or IPC namespace, and no container binds a host port.",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Remove `hostNetwork`, `hostPID`, `hostIPC` and `ports[].hostPort`; expose the workload through a Service instead.",
        framework: checkov("CKV_K8S_19", "Pods do not share the host's network namespace"),
        tags: ["kubernetes", "security", "network"],
        validateResource: WORKLOADS.map((t) => onType(t, (props, args, report) => {
            const spec = podSpec(t, props);
            for (const ns of ["hostNetwork", "hostPID", "hostIPC"]) if (spec?.[ns] === true) report(`${args.name}: ${ns} is true.`);
            for (const { c } of containers(spec)) {
                for (const p of list<Props>(c.ports)) if (isSet(p, "hostPort")) report(`${args.name}: container "${c.name}" binds hostPort ${p.hostPort}.`);
            }
        })),
    },
    {
        name: "k8s-no-host-path",
        description: "No pod mounts a path of the node (hostPath volumes), such as the container runtime socket.",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Replace `hostPath` volumes with `emptyDir`, a ConfigMap/Secret, or a PersistentVolumeClaim; a node agent that needs one belongs in a reviewed chart, listed in `allowedPaths`.",
        framework: checkov("CKV_K8S_27", "Pods do not mount the container runtime socket (or any host path)"),
        tags: ["kubernetes", "security"],
        configSchema: { properties: { allowedPaths: { type: "array", items: { type: "string" }, default: [] } } },
        validateResource: WORKLOADS.map((t) => onType(t, (props, args, report) => {
            const allowed = args.getConfig<{ allowedPaths: string[] }>().allowedPaths;
            for (const v of list<Props>(podSpec(t, props)?.volumes)) {
                if (v.hostPath && !allowed.includes(v.hostPath.path)) report(`${args.name}: volume "${v.name}" mounts host path ${v.hostPath.path}.`);
            }
        })),
    },
    {
        name: "k8s-service-account-token",
        description: "Pods do not mount a Kubernetes API token unless their service account is listed as needing one; default service accounts never automount.",
        severity: "medium",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `automountServiceAccountToken: false` on the pod spec (and on `default` ServiceAccounts); a workload that calls the Kubernetes API gets its own ServiceAccount, listed in `allowedServiceAccounts`.",
        framework: checkov("CKV_K8S_38", "Service account tokens are mounted only where needed"),
        tags: ["kubernetes", "identity"],
        configSchema: { properties: { allowedServiceAccounts: { type: "array", items: { type: "string" }, default: [] } } },
        validateResource: [
            ...WORKLOADS.map((t) => onType(t, (props, args, report) => {
                const spec = podSpec(t, props) ?? {};
                if (spec.automountServiceAccountToken === false) return;
                const sa = (spec.serviceAccountName as string | undefined) ?? "default";
                const allowed = args.getConfig<{ allowedServiceAccounts: string[] }>().allowedServiceAccounts;
                if (sa === "default" || !allowed.includes(sa)) report(`${args.name}: pods mount the API token of service account "${sa}" (automountServiceAccountToken is not false).`);
            })),
            onType("kubernetes:core/v1:ServiceAccount", (props, args, report) => {
                if (raw(props.metadata, "name") === "default" && props.automountServiceAccountToken !== false) report(`${args.name}: the default service account automounts its token.`);
            }),
        ],
    },
    {
        name: "k8s-high-uid-gid",
        description: "Every container runs with a user and group id of at least `minimumId` (10000 by default), set on the pod or the container, clear of host and image system accounts.",
        severity: "medium",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `securityContext.runAsUser` and `runAsGroup` (and `fsGroup`) to 10000 or more on the pod; build images whose files are readable by that id (or mount them through volumes).",
        framework: checkov("CKV_K8S_40", "Containers run as a high UID, clear of host accounts"),
        tags: ["kubernetes", "security"],
        configSchema: { properties: { minimumId: { type: "integer", minimum: 1, default: 10000 } } },
        validateResource: onContainers(WORKLOADS, (c, _init, pod, args, report) => {
            const { minimumId } = args.getConfig<{ minimumId: number }>();
            for (const key of ["runAsUser", "runAsGroup"]) {
                const id = (c.securityContext?.[key] ?? pod.securityContext?.[key]) as number | undefined;
                if (typeof id !== "number") report(`sets no ${key} (the image decides, often 0).`);
                else if (id < minimumId) report(`runs with ${key} ${id}, below ${minimumId}.`);
            }
        }),
    },
    {
        name: "k8s-image-digest",
        description: "Container images are pinned by digest (`@sha256:...`), so a re-pushed tag can never change what runs.",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Reference every image as `registry/name:tag@sha256:<64 hex>` (the tag stays for people, the digest decides); resolve digests with `crane digest` or `docker buildx imagetools inspect`.",
        framework: checkov("CKV_K8S_43", "Images are referenced by digest"),
        tags: ["kubernetes", "supply-chain"],
        validateResource: onContainers(WORKLOADS, (c, _init, _pod, _args, report) => {
            const image = String(c.image ?? "");
            if (!/@sha256:[0-9a-f]{64}$/.test(image)) report(`uses image "${image}" without a sha256 digest.`);
        }),
    },
    {
        name: "k8s-secrets-not-in-env",
        description: "Containers read Secrets from mounted files, never from environment variables (which leak into crash dumps, `/proc` and child processes).",
        severity: "medium",
        enforcementLevel: "mandatory",
        remediationSteps: "Mount the Secret as a volume (`secret.secretName`, `readOnly: true`, `defaultMode: 0400`) and point the process at the file; drop `env[].valueFrom.secretKeyRef` and `envFrom[].secretRef`.",
        framework: checkov("CKV_K8S_35", "Secrets reach containers as files, not environment variables"),
        tags: ["kubernetes", "secrets"],
        validateResource: onContainers(WORKLOADS, (c, _init, _pod, _args, report) => {
            for (const e of list<Props>(c.env)) if (e.valueFrom?.secretKeyRef) report(`reads Secret ${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key} into env ${e.name}.`);
            for (const e of list<Props>(c.envFrom)) if (e.secretRef) report(`loads Secret ${e.secretRef.name} into its environment (envFrom).`);
        }),
    },
    {
        name: "k8s-env-unique",
        description: "No container sets the same environment variable twice (the last one silently wins).",
        severity: "low",
        enforcementLevel: "mandatory",
        remediationSteps: "Keep one entry per name in `env`; merge the values where both were meant.",
        framework: kubeScore("environment-variable-key-duplication", "Environment variables are set once"),
        tags: ["kubernetes", "correctness"],
        validateResource: onContainers(WORKLOADS, (c, _init, _pod, _args, report) => {
            const names = list<Props>(c.env).map((e) => String(e.name));
            const twice = [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
            if (twice.length > 0) report(`sets ${twice.join(", ")} more than once.`);
        }),
    },
    {
        name: "k8s-no-default-namespace",
        description: "Namespaced Kubernetes resources name a namespace other than `default`.",
        severity: "low",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `metadata.namespace` to the workload's own namespace (a `k8s.core.v1.Namespace` of the component), so RBAC, NetworkPolicies and quotas can be scoped to it.",
        framework: checkov("CKV_K8S_21", "Resources live outside the default namespace"),
        tags: ["kubernetes", "isolation"],
        validateResource: NAMESPACED.map((t) => onType(t, (props, args, report) => {
            if (!isSet(props.metadata, "namespace")) report(`${args.name}: no metadata.namespace (lands in the provider's default namespace).`);
            else if (raw(props.metadata, "namespace") === "default") report(`${args.name}: metadata.namespace is "default".`);
        })),
    },
    {
        name: "k8s-network-policy-coverage",
        description: "Every workload's pods are selected by a NetworkPolicy of their namespace that restricts ingress (and egress with requireEgress).",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Add a `networking.k8s.io/v1` NetworkPolicy in the workload's namespace whose `podSelector` matches the pod template labels, with `policyTypes: [\"Ingress\"]` (and `\"Egress\"`) and `ingress` rules naming the clients (namespace/pod selectors) and ports.",
        framework: checkov("CKV2_K8S_6", "Every pod is selected by a NetworkPolicy"),
        tags: ["kubernetes", "network"],
        configSchema: { properties: { requireEgress: { type: "boolean", default: false } } },
        validateStack: (args, report) => {
            const { requireEgress } = args.getConfig<{ requireEgress: boolean }>();
            const policies = args.resources.filter((r) => r.type === NETWORK_POLICY);
            const kinds = (p: PolicyResource): string[] => {
                const types = list<string>(p.props.spec?.policyTypes);
                if (types.length > 0) return types;
                // The API server's default: Ingress always, Egress when egress rules are given.
                return isSet(p.props.spec, "egress") ? ["Ingress", "Egress"] : ["Ingress"];
            };
            for (const w of args.resources.filter((r) => WORKLOADS.includes(r.type))) {
                const labels = podLabels(w.type, w.props);
                const covering = policies.filter((p) => namespaceOf(p) === namespaceOf(w) && selectorMatches(p.props.spec?.podSelector, labels));
                const covered = new Set(covering.flatMap(kinds));
                const missing = ["Ingress", ...(requireEgress ? ["Egress"] : [])].filter((k) => !covered.has(k));
                if (missing.length > 0) report(`${w.name}: no NetworkPolicy in namespace ${namespaceOf(w)} restricts ${missing.join(" or ")} for its pods (labels ${JSON.stringify(labels)}).`, w.urn);
            }
        },
    },
    {
        name: "k8s-rbac-least-privilege",
        description: "Roles and ClusterRoles grant no wildcards and nothing that escalates: bind/escalate/impersonate, nodes/proxy, pods/exec, admission webhooks, CSR approval, services/status; ClusterRoles do not read Secrets; no binding grants a default service account.",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "List explicit `apiGroups`, `resources` and `verbs`; scope Secret access to a namespaced Role with `resourceNames`; give controllers that truly need an escalating grant a reviewed chart-managed role instead.",
        framework: checkov("CKV_K8S_49", "Roles avoid wildcards"),
        tags: ["kubernetes", "identity"],
        validateResource: [...BINDING_TYPES.map((t) => onType(t, (props, args, report) => {
            for (const sub of list<Props>(props.subjects)) {
                if (sub.kind === "ServiceAccount" && sub.name === "default") report(`${args.name}: binds a role to the default service account of ${sub.namespace ?? "its namespace"}.`);
            }
        })), ...ROLE_TYPES.map((t) => onType(t, (props, args, report) => {
            const cluster = t.endsWith(":ClusterRole");
            list<Props>(props.rules).forEach((rule, i) => {
                for (const field of ["apiGroups", "resources", "verbs"]) {
                    if (list<string>(rule[field]).includes("*")) report(`${args.name}: rule ${i + 1} has "*" in ${field}.`);
                }
                for (const [resources, verbs, why] of ESCALATING_GRANTS) {
                    if (grants(rule, resources, verbs)) report(`${args.name}: rule ${i + 1} ${why}.`);
                }
                if (cluster && grants(rule, ["secrets"], ["get", "list", "watch"]) && list(rule.resourceNames).length === 0) report(`${args.name}: rule ${i + 1} reads every Secret in the cluster.`);
            });
        }))],
    },
    {
        name: "ingress-nginx-no-snippets",
        description: "No Ingress carries ingress-nginx configuration snippets, and the controller does not accept them (CVE-2021-25742: snippets run arbitrary nginx config and read the controller's token).",
        severity: "critical",
        enforcementLevel: "mandatory",
        remediationSteps: "Drop `nginx.ingress.kubernetes.io/*-snippet` annotations (use the dedicated annotations or a ConfigMap the platform owns) and keep the chart's `controller.allowSnippetAnnotations` false.",
        framework: checkov("CKV_K8S_153", "No ingress-nginx snippet annotations"),
        tags: ["kubernetes", "edge", "security"],
        validateResource: [
            onType("kubernetes:networking.k8s.io/v1:Ingress", (props, args, report) => {
                const annotations: Record<string, string> = props.metadata?.annotations ?? {};
                for (const k of Object.keys(annotations).filter((a) => /^nginx\.ingress\.kubernetes\.io\/.*snippet$/.test(a))) report(`${args.name}: annotation ${k}.`);
            }),
            onType("kubernetes:helm.sh/v3:Release", (props, args, report) => {
                if (!/ingress-nginx/.test(String(props.chart ?? ""))) return;
                if (props.values?.controller?.allowSnippetAnnotations === true) report(`${args.name}: controller.allowSnippetAnnotations is true.`);
            }),
        ],
    },
    {
        name: "k8s-forbidden-images",
        description: "No container runs an image of the forbidden list: the Kubernetes dashboard, Helm 2's Tiller, git-sync (code pulled at run time) by default.",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Remove the container; reach the cluster through `kubectl` with access entries, deploy with Helm 3 / Pulumi, and ship code in images rather than pulling it at run time.",
        framework: checkov("CKV_K8S_33", "The Kubernetes dashboard is not deployed"),
        tags: ["kubernetes", "supply-chain"],
        configSchema: { properties: { forbiddenImages: { type: "array", items: { type: "string" }, default: ["kubernetes-dashboard", "kubernetesui/dashboard", "tiller", "git-sync"] } } },
        validateResource: onContainers(WORKLOADS, (c, _init, _pod, args, report) => {
            const name = String(c.image ?? "").split("@")[0].split("/").slice(-2).join("/").split(":")[0];
            const hit = args.getConfig<{ forbiddenImages: string[] }>().forbiddenImages.find((f) => name === f || name.endsWith(`/${f}`) || name.split("/").pop() === f);
            if (hit) report(`runs ${c.image} (forbidden: ${hit}).`);
        }),
    },
    {
        name: "k8s-service-no-node-port",
        description: "No Service opens a NodePort (a port on every node, outside NetworkPolicy-aware load balancing).",
        severity: "medium",
        enforcementLevel: "mandatory",
        remediationSteps: "Use `type: ClusterIP` behind the ingress, or `type: LoadBalancer` with `loadBalancerSourceRanges`.",
        framework: kubeScore("service-type", "Services are not of type NodePort"),
        tags: ["kubernetes", "network"],
        validateResource: onType("kubernetes:core/v1:Service", (props, args, report) => {
            if (props.spec?.type === "NodePort") report(`${args.name}: type is NodePort.`);
        }),
    },
    {
        name: "k8s-pdb-coverage",
        description: "Every replicated Deployment or StatefulSet is selected by a PodDisruptionBudget, and every budget sets minAvailable or maxUnavailable.",
        severity: "medium",
        enforcementLevel: "mandatory",
        remediationSteps: "Add a `policy/v1` PodDisruptionBudget selecting the pod template labels, with `maxUnavailable: 1` (or a percentage).",
        framework: kubeScore("deployment-has-poddisruptionbudget", "Replicated workloads have a disruption budget"),
        tags: ["kubernetes", "availability"],
        validateStack: (args, report) => {
            const pdbs = args.resources.filter((r) => r.type === PDB);
            const hpas = args.resources.filter((r) => HPA_TYPES.includes(r.type));
            for (const p of pdbs) {
                if (!isSet(p.props.spec, "minAvailable") && !isSet(p.props.spec, "maxUnavailable")) report(`${p.name}: sets neither minAvailable nor maxUnavailable.`, p.urn);
            }
            for (const w of args.resources.filter((r) => SCALABLE.includes(r.type) && r.type !== "kubernetes:apps/v1:ReplicaSet")) {
                if (minReplicasOf(w, hpas) < 2) continue;
                if (!pdbs.some((p) => selects(p, w))) report(`${w.name}: no PodDisruptionBudget selects its pods.`, w.urn);
            }
        },
    },
];
