/**
 * Structural checks of the custom resources the program creates for Envoy Gateway (Gateway API v1 and
 * `gateway.envoyproxy.io/v1alpha1`) and External Secrets (`external-secrets.io/v1`), written here from
 * those APIs' reference documentation for the fields this program sets: required fields, their types and
 * enums, and that no unknown field sits where the API server would prune it silently. The upstream CRD
 * schemas are not kept in this repository (they are other projects' files), so this is narrower than a
 * full schema validation: CEL rules and fields the program never sets are not checked.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

/** A field rule: its type, whether it is required, an enum, nested fields, or array items. */
interface Field {
    type: "string" | "integer" | "boolean" | "object" | "array" | "any";
    required?: boolean;
    enum?: readonly string[];
    min?: number;
    max?: number;
    /** Known fields of an object; others are refused. Absent: any object. */
    fields?: Record<string, Field>;
    items?: Field;
}

const str = (o: Partial<Field> = {}): Field => ({ type: "string", ...o });
const int = (o: Partial<Field> = {}): Field => ({ type: "integer", ...o });
const obj = (fields?: Record<string, Field>, o: Partial<Field> = {}): Field => ({ type: "object", fields, ...o });
const arr = (items: Field, o: Partial<Field> = {}): Field => ({ type: "array", items, ...o });
const any: Field = { type: "any" };

const targetRef = obj({ group: str({ required: true }), kind: str({ required: true }), name: str({ required: true }), sectionName: str() });
const parentRef = obj({ group: str(), kind: str(), name: str({ required: true }), namespace: str(), sectionName: str(), port: int({ min: 1, max: 65535 }) });
const labelSelector = obj({ matchLabels: obj(), matchExpressions: arr(obj()) });

/** The spec of each kind, by Pulumi type token. */
const SPECS: Record<string, Field> = {
    "kubernetes:gateway.networking.k8s.io/v1:GatewayClass": obj({
        controllerName: str({ required: true }),
        parametersRef: obj({ group: str({ required: true }), kind: str({ required: true }), name: str({ required: true }), namespace: str() }),
        description: str(),
    }),
    "kubernetes:gateway.networking.k8s.io/v1:Gateway": obj({
        gatewayClassName: str({ required: true }),
        listeners: arr(obj({
            name: str({ required: true }),
            hostname: str(),
            port: int({ required: true, min: 1, max: 65535 }),
            protocol: str({ required: true, enum: ["HTTP", "HTTPS", "TLS", "TCP", "UDP"] }),
            tls: obj(),
            allowedRoutes: obj({
                namespaces: obj({ from: str({ enum: ["All", "Same", "Selector"] }), selector: labelSelector }),
                kinds: arr(obj({ group: str(), kind: str({ required: true }) })),
            }),
        }), { required: true, min: 1, max: 64 }),
        addresses: arr(obj()),
        infrastructure: obj(),
    }),
    "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": obj({
        parentRefs: arr(parentRef, { max: 32 }),
        hostnames: arr(str(), { max: 16 }),
        rules: arr(obj({
            name: str(),
            matches: arr(obj({
                path: obj({ type: str({ enum: ["Exact", "PathPrefix", "RegularExpression"] }), value: str() }),
                headers: arr(obj()),
                queryParams: arr(obj()),
                method: str(),
            }), { max: 64 }),
            filters: arr(obj()),
            backendRefs: arr(obj({ group: str(), kind: str(), name: str({ required: true }), namespace: str(), port: int({ min: 1, max: 65535 }), weight: int({ min: 0 }) })),
            timeouts: obj(),
        }), { max: 16 }),
    }),
    "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy": obj({ provider: obj({ type: str({ required: true, enum: ["Kubernetes", "Custom"] }), kubernetes: obj() }, { required: true }), telemetry: obj(), logging: obj(), shutdown: obj() }),
    "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy": obj({
        targetRefs: arr(targetRef, { required: true, min: 1 }),
        apiKeyAuth: obj({
            credentialRefs: arr(obj({ group: str(), kind: str(), name: str({ required: true }), namespace: str() }), { required: true, min: 1 }),
            extractFrom: arr(obj({ headers: arr(str()), params: arr(str()), cookies: arr(str()) }), { required: true, min: 1 }),
            sanitize: { type: "boolean" },
            forwardClientIDHeader: str(),
        }),
        authorization: obj(), cors: obj(), jwt: obj(), basicAuth: obj(), extAuth: obj(), oidc: obj(),
    }),
    "kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy": obj({
        targetRefs: arr(targetRef, { required: true, min: 1 }),
        clientIPDetection: obj({ xForwardedFor: obj({ numTrustedHops: int({ min: 0 }), trustedCIDRs: arr(str()) }), customHeader: obj() }),
        headers: obj({ withUnderscoresAction: str({ enum: ["Allow", "RejectRequest", "DropHeader"] }), xForwardedClientCert: obj(), enableEnvoyHeaders: { type: "boolean" }, preserveXRequestID: { type: "boolean" } }),
        timeout: obj(), connection: obj(), tls: obj(), http1: obj(), http2: obj(), http3: obj(), tcpKeepalive: obj(), path: obj(), healthCheck: obj(),
    }),
    "kubernetes:external-secrets.io/v1:ExternalSecret": obj({
        secretStoreRef: obj({ name: str({ required: true }), kind: str({ enum: ["SecretStore", "ClusterSecretStore"] }) }, { required: true }),
        target: obj({ name: str(), creationPolicy: str({ enum: ["Owner", "Orphan", "Merge", "None"] }), deletionPolicy: str({ enum: ["Retain", "Delete", "Merge"] }), template: obj(), immutable: { type: "boolean" } }),
        refreshInterval: str(),
        data: arr(obj({
            secretKey: str({ required: true }),
            remoteRef: obj({ key: str({ required: true }), property: str(), version: str(), conversionStrategy: str(), decodingStrategy: str(), metadataPolicy: str() }, { required: true }),
        })),
        dataFrom: arr(obj()),
    }),
    "kubernetes:external-secrets.io/v1:SecretStore": obj({
        provider: obj({
            aws: obj({
                service: str({ required: true, enum: ["SecretsManager", "ParameterStore"] }),
                region: str({ required: true }),
                role: str(),
                auth: obj({ jwt: obj({ serviceAccountRef: obj({ name: str({ required: true }), namespace: str(), audiences: arr(str()) }) }), secretRef: obj() }),
                additionalRoles: arr(str()), externalID: str(), prefix: str(), secretsManager: obj(), sessionTags: arr(obj()), transitiveTagKeys: arr(str()),
            }),
        }, { required: true }),
        refreshInterval: int({ min: 0 }),
        retrySettings: obj(),
        conditions: arr(obj()),
    }),
};

export const GATEWAY_CRD_TYPES = Object.keys(SPECS);

function check(value: unknown, f: Field, at: string, out: string[]): void {
    if (f.type === "any") return;
    if (f.type === "array") {
        if (!Array.isArray(value)) return void out.push(`${at}: must be an array`);
        if (f.min !== undefined && value.length < f.min) out.push(`${at}: at least ${f.min} item(s)`);
        if (f.max !== undefined && value.length > f.max) out.push(`${at}: at most ${f.max} item(s)`);
        value.forEach((v, i) => check(v, f.items ?? any, `${at}[${i}]`, out));
        return;
    }
    if (f.type === "object") {
        if (!isObj(value)) return void out.push(`${at}: must be an object`);
        if (!f.fields) return;
        for (const [k, sub] of Object.entries(f.fields)) {
            if (value[k] === undefined) {
                if (sub.required) out.push(`${at}.${k}: is required`);
            } else check(value[k], sub, `${at}.${k}`, out);
        }
        for (const k of Object.keys(value)) if (!(k in f.fields)) out.push(`${at}.${k}: is not a field of this API (the API server would drop it)`);
        return;
    }
    if (f.type === "integer" ? !Number.isInteger(value) : typeof value !== f.type) return void out.push(`${at}: must be ${f.type === "integer" ? "an integer" : `a ${f.type}`}`);
    if (f.enum && !f.enum.includes(value as string)) out.push(`${at}: must be one of ${f.enum.join(", ")}`);
    if (f.type === "integer" && ((f.min !== undefined && (value as number) < f.min) || (f.max !== undefined && (value as number) > f.max))) out.push(`${at}: must be within ${f.min ?? "-inf"}..${f.max ?? "inf"}`);
}

/** Problems of one object's `spec` against its kind's rules (empty = valid). */
export function gatewayCrdProblems(type: string, props: unknown): string[] {
    const spec = SPECS[type];
    if (!spec) return [`no rules for ${type}`];
    const out: string[] = [];
    const p = isObj(props) ? props : {};
    if (!isObj(p.metadata) || typeof p.metadata.name !== "string") out.push("/metadata.name: is required");
    check(p.spec, { ...spec, required: true }, "/spec", out);
    return out;
}
