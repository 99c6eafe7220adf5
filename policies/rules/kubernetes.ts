/**
 * Kubernetes workload rules: containers (resources, probes, images, privileges), HPA, PDB, VPA.
 * Helm releases are opaque to these rules (their manifests render in the cluster); workloads the
 * program declares as `kubernetes:*` resources are checked.
 */
import { ReportViolation, ResourceValidationArgs } from "@pulumi/policy";
import { checkov, isSet, list, onType, PolicyResource, Props, Rule } from "./common";

/** Workload type tokens and where their pod template lives. */
export const POD_SPEC_PATH: Record<string, string[]> = {
    "kubernetes:apps/v1:Deployment": ["spec", "template", "spec"],
    "kubernetes:apps/v1:StatefulSet": ["spec", "template", "spec"],
    "kubernetes:apps/v1:DaemonSet": ["spec", "template", "spec"],
    "kubernetes:apps/v1:ReplicaSet": ["spec", "template", "spec"],
    "kubernetes:batch/v1:Job": ["spec", "template", "spec"],
    "kubernetes:batch/v1:CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
    "kubernetes:core/v1:Pod": ["spec"],
};
export const LONG_RUNNING = ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet"];
export const SCALABLE = ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:ReplicaSet"];
export const HPA_TYPES = ["kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "kubernetes:autoscaling/v1:HorizontalPodAutoscaler"];
export const PDB = "kubernetes:policy/v1:PodDisruptionBudget";
const VPA = "kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler";

export function podSpec(type: string, props: Props): Props | undefined {
    let v: Props | undefined = props;
    for (const k of POD_SPEC_PATH[type] ?? []) v = v?.[k];
    return v;
}

/** Every container of a pod spec, init containers flagged. */
export function containers(spec: Props | undefined): { c: Props; init: boolean }[] {
    return [...list(spec?.initContainers).map((c) => ({ c, init: true })), ...list(spec?.containers).map((c) => ({ c, init: false }))];
}

/** A resource validation over every workload type's containers. */
export function onContainers(types: string[], check: (c: Props, init: boolean, pod: Props, args: ResourceValidationArgs, report: (m: string) => void) => void) {
    return types.map((t) => onType(t, (props, args, report: ReportViolation) => {
        const spec = podSpec(t, props);
        for (const { c, init } of containers(spec)) check(c, init, spec!, args, (m) => report(`${args.name}: container "${c.name}" ${m}`));
    }));
}

/** `repo/name:tag` or `name@sha256:...`: the tag, "" when untagged. */
export function imageTag(image: string): { tag: string; digest: boolean } {
    if (image.includes("@sha256:")) return { tag: image.split("@")[0].split("/").pop()!.split(":")[1] ?? "", digest: true };
    const last = image.split("/").pop()!;
    return { tag: last.includes(":") ? last.split(":").pop()! : "", digest: false };
}

export const WORKLOADS = Object.keys(POD_SPEC_PATH);

export const kubernetes: Rule[] = [
    {
        name: "helm-chart-pinned",
        description: "Helm releases pin an exact chart version from an HTTPS (or OCI) repository, so a preview shows what `up` installs.",
        severity: "medium",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `version` to an exact chart version (e.g. `4.15.1`, no range or `latest`) and `repositoryOpts.repo` to the chart's https:// or oci:// repository (or an oci:// chart reference).",
        tags: ["kubernetes", "supply-chain"],
        validateResource: onType("kubernetes:helm.sh/v3:Release", (props, args, report) => {
            const chart = String(props.chart ?? "");
            const version = props.version as string | undefined;
            if (!version || !/^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/.test(version)) report(`${args.name}: chart ${chart} version ${JSON.stringify(version ?? null)} is not an exact version.`);
            const repo = props.repositoryOpts?.repo as string | undefined;
            if (!chart.startsWith("oci://") && !(repo && /^(https|oci):\/\//.test(repo))) report(`${args.name}: chart ${chart} has no https:// or oci:// repository (${JSON.stringify(repo ?? null)}).`);
        }),
    },
    {
        name: "k8s-resources-requests-limits",
        description: "Every container requests CPU and memory and has a memory limit (a CPU limit too with requireCpuLimit).",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `resources.requests.cpu`, `resources.requests.memory` and `resources.limits.memory` on every container (the scheduler, HPA and cluster autoscaler all size from requests).",
        framework: checkov("CKV_K8S_12", "Memory requests should be set"),
        tags: ["kubernetes", "capacity"],
        configSchema: { properties: { requireCpuLimit: { type: "boolean", default: false } } },
        validateResource: onContainers(WORKLOADS, (c, _init, _pod, args, report) => {
            const req: Props = c.resources?.requests ?? {};
            const lim: Props = c.resources?.limits ?? {};
            const missing = [
                !isSet(req, "cpu") && "requests.cpu",
                !isSet(req, "memory") && "requests.memory",
                !isSet(lim, "memory") && "limits.memory",
                args.getConfig<{ requireCpuLimit: boolean }>().requireCpuLimit && !isSet(lim, "cpu") && "limits.cpu",
            ].filter(Boolean);
            if (missing.length > 0) report(`has no ${missing.join(", ")}.`);
        }),
    },
    {
        name: "k8s-probes",
        description: "Every long-running container has a readiness and a liveness probe.",
        severity: "medium",
        enforcementLevel: "mandatory",
        remediationSteps: "Add `readinessProbe` (gates traffic during rollouts and scale-out) and `livenessProbe` (restarts a wedged process) to every container.",
        framework: checkov("CKV_K8S_9", "Readiness Probe Should be Configured"),
        tags: ["kubernetes", "availability"],
        validateResource: onContainers(LONG_RUNNING, (c, init, _pod, _args, report) => {
            if (init) return;
            const missing = [!isSet(c, "readinessProbe") && "readinessProbe", !isSet(c, "livenessProbe") && "livenessProbe"].filter(Boolean);
            if (missing.length > 0) report(`has no ${missing.join(" or ")}.`);
        }),
    },
    {
        name: "k8s-image-pinned",
        description: "Container images carry an explicit tag other than `latest`, or a digest.",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Reference images as `repo:1.2.3` or `repo@sha256:...`; never `latest` or untagged.",
        framework: checkov("CKV_K8S_14", "Image Tag should be fixed - not latest or blank"),
        tags: ["kubernetes", "supply-chain"],
        validateResource: onContainers(WORKLOADS, (c, _init, _pod, _args, report) => {
            const image = String(c.image ?? "");
            const { tag, digest } = imageTag(image);
            if (!digest && (tag === "" || tag === "latest")) report(`uses image "${image}" (${tag === "" ? "untagged" : "latest"}).`);
        }),
    },
    {
        name: "k8s-no-privileged",
        description: "No container is privileged or allows privilege escalation.",
        severity: "critical",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `securityContext: { privileged: false, allowPrivilegeEscalation: false, capabilities: { drop: [\"ALL\"] } }` on every container.",
        framework: checkov("CKV_K8S_20", "Containers should not run with allowPrivilegeEscalation"),
        tags: ["kubernetes", "security"],
        validateResource: onContainers(WORKLOADS, (c, _init, _pod, _args, report) => {
            const sc: Props = c.securityContext ?? {};
            if (sc.privileged === true) report("is privileged.");
            if (sc.allowPrivilegeEscalation !== false) report("does not set securityContext.allowPrivilegeEscalation: false.");
        }),
    },
    {
        name: "k8s-run-as-non-root",
        description: "Every container runs as a non-root user (runAsNonRoot or a non-zero runAsUser, on the container or the pod).",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `securityContext.runAsNonRoot: true` (and a `runAsUser` above 0) on the pod or each container.",
        framework: checkov("CKV_K8S_23", "Minimize the admission of root containers"),
        tags: ["kubernetes", "security"],
        validateResource: onContainers(WORKLOADS, (c, _init, pod, _args, report) => {
            const csc: Props = c.securityContext ?? {};
            const psc: Props = pod.securityContext ?? {};
            const nonRoot = csc.runAsNonRoot ?? psc.runAsNonRoot;
            const user = csc.runAsUser ?? psc.runAsUser;
            if (user === 0 || (nonRoot !== true && !(typeof user === "number" && user > 0))) report("may run as root (no runAsNonRoot: true / runAsUser > 0).");
        }),
    },
    {
        name: "k8s-hpa-min-replicas",
        description: "Horizontal pod autoscalers keep at least `minimum` replicas (2 by default), so one pod loss or drain never empties a service.",
        severity: "medium",
        enforcementLevel: "mandatory",
        remediationSteps: "Set `spec.minReplicas` to 2 or more.",
        tags: ["kubernetes", "availability"],
        configSchema: { properties: { minimum: { type: "integer", minimum: 1, default: 2 } } },
        validateResource: HPA_TYPES.map((t) => onType(t, (props, args, report) => {
            const min = (props.spec?.minReplicas as number | undefined) ?? 1;
            const { minimum } = args.getConfig<{ minimum: number }>();
            if (min < minimum) report(`${args.name}: minReplicas is ${min}; at least ${minimum} required.`);
        })),
    },
    {
        name: "k8s-pdb-allows-drain",
        description: "Pod disruption budgets leave room for at least one voluntary eviction (node drains, upgrades, consolidation).",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Use `maxUnavailable: 1` (or a percentage above 0), or a `minAvailable` below the workload's minimum replicas.",
        tags: ["kubernetes", "availability"],
        validateStack: (args, report) => {
            const workloads = args.resources.filter((r) => SCALABLE.includes(r.type));
            const hpas = args.resources.filter((r) => HPA_TYPES.includes(r.type));
            for (const pdb of args.resources.filter((r) => r.type === PDB)) {
                const spec: Props = pdb.props.spec ?? {};
                if (isSet(spec, "maxUnavailable")) {
                    if (spec.maxUnavailable === 0 || spec.maxUnavailable === "0%" || spec.maxUnavailable === "0") report(`${pdb.name}: maxUnavailable is 0: no pod can ever be evicted.`, pdb.urn);
                    continue;
                }
                if (!isSet(spec, "minAvailable")) continue;
                const minAvailable = spec.minAvailable as number | string;
                if (minAvailable === "100%") {
                    report(`${pdb.name}: minAvailable is 100%: no pod can ever be evicted.`, pdb.urn);
                    continue;
                }
                if (typeof minAvailable !== "number") continue;
                for (const w of workloads.filter((w) => selects(pdb, w))) {
                    const replicas = minReplicasOf(w, hpas);
                    if (minAvailable >= replicas) report(`${pdb.name}: minAvailable ${minAvailable} >= ${replicas} replica(s) of ${w.name}: a drain can never evict one.`, pdb.urn);
                }
            }
        },
    },
    {
        name: "k8s-no-hpa-vpa-conflict",
        description: "No workload is scaled by an HPA on CPU/memory while a VPA in an active mode resizes the same resources.",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: "Run the VPA with `updatePolicy.updateMode: \"Off\"` (recommendations only), or make the HPA scale on custom/external metrics, or limit the VPA's `controlledResources` to what the HPA does not use.",
        tags: ["kubernetes", "autoscaling"],
        validateStack: (args, report) => {
            const hpas = args.resources.filter((r) => HPA_TYPES.includes(r.type));
            for (const vpa of args.resources.filter((r) => r.type === VPA)) {
                const spec: Props = vpa.props.spec ?? {};
                const mode = (spec.updatePolicy?.updateMode as string | undefined) ?? "Auto";
                if (mode === "Off") continue;
                const controlled = new Set<string>(list<Props>(spec.resourcePolicy?.containerPolicies).flatMap((p) => (isSet(p, "controlledResources") ? list<string>(p.controlledResources) : ["cpu", "memory"])));
                if (controlled.size === 0) ["cpu", "memory"].forEach((r) => controlled.add(r));
                for (const hpa of hpas.filter((h) => sameTarget(h.props.spec?.scaleTargetRef, h, spec.targetRef, vpa, args.resources))) {
                    const used = hpaResources(hpa);
                    const overlap = used.filter((r) => controlled.has(r));
                    if (overlap.length > 0) report(`${vpa.name} (updateMode ${mode}) and ${hpa.name} both act on ${overlap.join(", ")} of ${spec.targetRef?.kind}/${spec.targetRef?.name}.`, vpa.urn);
                }
            }
        },
    },
];

/** The resource metrics an HPA scales on (an HPA without metrics scales on CPU). */
function hpaResources(hpa: PolicyResource): string[] {
    const spec: Props = hpa.props.spec ?? {};
    if (hpa.type.endsWith("v1:HorizontalPodAutoscaler")) return ["cpu"];
    const metrics = list<Props>(spec.metrics);
    if (metrics.length === 0) return ["cpu"];
    return metrics.flatMap((m) => (m.type === "Resource" ? [m.resource?.name] : m.type === "ContainerResource" ? [m.containerResource?.name] : [])).filter(Boolean);
}

const namespaceOf = (r: PolicyResource): string => (r.props.metadata?.namespace as string | undefined) ?? "default";

/** Does the PDB's selector pick the workload's pods (same namespace, matchLabels subset)? */
export function selects(pdb: PolicyResource, w: PolicyResource): boolean {
    if (namespaceOf(pdb) !== namespaceOf(w)) return false;
    const match: Record<string, string> = pdb.props.spec?.selector?.matchLabels ?? {};
    const labels: Record<string, string> = w.props.spec?.template?.metadata?.labels ?? {};
    const keys = Object.keys(match);
    return keys.length > 0 && keys.every((k) => labels[k] === match[k]);
}

/** Minimum replicas of a workload: its HPA's minReplicas, else spec.replicas (default 1). */
export function minReplicasOf(w: PolicyResource, hpas: PolicyResource[]): number {
    const hpa = hpas.find((h) => targets(h.props.spec?.scaleTargetRef, h, w));
    if (hpa) return (hpa.props.spec?.minReplicas as number | undefined) ?? 1;
    return (w.props.spec?.replicas as number | undefined) ?? 1;
}

/**
 * Does `ref` ({kind, name}) on `holder` point at workload `w`? By name when both are literal; else
 * by the dependency the engine records when the ref was built from the workload's outputs.
 */
function targets(ref: Props | undefined, holder: PolicyResource, w: PolicyResource): boolean {
    if (!ref || `kubernetes:apps/v1:${ref.kind}` !== w.type) return false;
    if (namespaceOf(holder) !== namespaceOf(w)) return false;
    if (isSet(w.props.metadata, "name")) return w.props.metadata.name === ref.name;
    return holder.dependencies.some((d) => d.urn === w.urn);
}

function sameTarget(a: Props | undefined, ha: PolicyResource, b: Props | undefined, hb: PolicyResource, all: PolicyResource[]): boolean {
    if (!a || !b || a.kind !== b.kind) return false;
    if (namespaceOf(ha) !== namespaceOf(hb)) return false;
    if (a.name === b.name) return true;
    return all.some((w) => targets(a, ha, w) && targets(b, hb, w));
}
