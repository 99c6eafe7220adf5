/**
 * Validation of Gateway API and Envoy Gateway objects against the CRDs of the pinned Envoy Gateway chart
 * (`test/fixtures/crds/envoy-gateway-v1.9.0.json`: the `openAPIV3Schema` of each served version, taken
 * from the chart's `charts/crds` at v1.9.0, descriptions removed; the pinned v1.9.2 is a patch release of
 * that line, whose schemas were not available here to compare). The API server prunes fields a
 * structural schema does not declare, so a misspelt field would silently vanish: here every object
 * schema without `x-kubernetes-preserve-unknown-fields` refuses unknown fields. CEL rules
 * (`x-kubernetes-validations`) are not evaluated.
 */
import * as fs from "fs";
import * as path from "path";
import Ajv, { ValidateFunction } from "ajv";

const FIXTURE = path.join(__dirname, "fixtures", "crds", "envoy-gateway-v1.9.0.json");
const crds = JSON.parse(fs.readFileSync(FIXTURE, "utf8")) as { schemas: Record<string, object> };

/** `gateway.networking.k8s.io/v1/HTTPRoute` -> `kubernetes:gateway.networking.k8s.io/v1:HTTPRoute`. */
const typeToken = (key: string) => {
    const [group, version, kind] = key.split("/");
    return `kubernetes:${group}/${version}:${kind}`;
};
export const GATEWAY_CRD_TYPES = Object.keys(crds.schemas).map(typeToken);

function refuseUnknownFields(s: unknown): unknown {
    if (Array.isArray(s)) return s.map(refuseUnknownFields);
    if (!s || typeof s !== "object") return s;
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(s)) {
        o[k] = k === "properties" ? Object.fromEntries(Object.entries(v as object).map(([p, x]) => [p, refuseUnknownFields(x)])) : refuseUnknownFields(v);
    }
    if (o.properties && o.additionalProperties === undefined && !o["x-kubernetes-preserve-unknown-fields"]) o.additionalProperties = false;
    return o;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const compiled = new Map<string, ValidateFunction>();

/** Problems of one object against its CRD (empty = valid). */
export function gatewayCrdProblems(type: string, props: unknown): string[] {
    const key = Object.keys(crds.schemas).find((k) => typeToken(k) === type);
    if (!key) return [`no CRD schema for ${type}`];
    if (!compiled.has(key)) compiled.set(key, ajv.compile(refuseUnknownFields(crds.schemas[key]) as object));
    const validate = compiled.get(key)!;
    if (validate(props)) return [];
    return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}${e.params && "additionalProperty" in e.params ? ` (${(e.params as { additionalProperty: string }).additionalProperty})` : ""}`);
}
