/**
 * Config keys of the providers whose namespaces a stack file may set (`aws:`, `cloudflare:`, `kubernetes:`):
 * pure data, read by the config schema to catch typos (`aws:regoin`). From the provider packages this
 * repository pins (`config/vars.d.ts` of @pulumi/aws 7.48.0 and @pulumi/cloudflare 6.22.1, `ProviderArgs`
 * of @pulumi/kubernetes 4.34.2), recorded 2026-11-30; a test compares them with the installed packages.
 *
 * The topology creates its providers explicitly (region and default tags from `scaling-topology:` config),
 * so these keys configure the default providers only; `aws:region` and `cloudflare:apiToken` are read by
 * the program itself.
 */
export const PROVIDER_CONFIG_KEYS: Readonly<Record<string, readonly string[]>> = Object.freeze({
    aws: [
        "accessKey", "allowedAccountIds", "assumeRoleWithWebIdentity", "assumeRoles", "customCaBundle", "defaultTags",
        "ec2MetadataServiceEndpoint", "ec2MetadataServiceEndpointMode", "endpoints", "forbiddenAccountIds", "httpProxy",
        "httpsProxy", "ignoreTags", "insecure", "maxRetries", "noProxy", "profile", "region", "retryMode",
        "s3UsEast1RegionalEndpoint", "s3UsePathStyle", "secretKey", "sharedConfigFiles", "sharedCredentialsFiles",
        "skipCredentialsValidation", "skipMetadataApiCheck", "skipRegionValidation", "skipRequestingAccountId", "stsRegion",
        "tagPolicyCompliance", "token", "tokenBucketRateLimiterCapacity", "useDualstackEndpoint", "useFipsEndpoint", "userAgents",
    ],
    cloudflare: ["apiKey", "apiToken", "apiUserServiceKey", "baseUrl", "email", "userAgentOperatorSuffix"],
    kubernetes: [
        "alwaysRender", "cluster", "clusterIdentifier", "context", "deleteUnreachable", "enableConfigMapMutable", "enablePatchForce",
        "enableSecretMutable", "enableServerSideApply", "helmReleaseSettings", "kubeClientSettings", "kubeconfig", "namespace",
        "renderYamlToDirectory", "skipUpdateUnreachable", "suppressDeprecationWarnings", "suppressHelmHookWarnings", "upsertExistingObjects",
    ],
});

/**
 * Namespaces a stack file may use besides the project's own: the providers above, the providers the
 * program uses without config (`random`, `tls`), and the engine's own `pulumi:` settings (`pulumi:tags`, ...).
 */
export const OTHER_CONFIG_NAMESPACES: readonly string[] = Object.freeze(["pulumi", "random", "tls"]);

/** Keys whose values must be `secure:` in the stack file: credentials. */
export const SECRET_CONFIG_KEYS: readonly string[] = Object.freeze([
    "cloudflare:apiToken", "cloudflare:apiKey", "cloudflare:apiUserServiceKey", "aws:secretKey", "aws:accessKey", "aws:token",
    // the image cache's registry logins (config/images.ts)
    "scaling-topology:dockerHubAccessToken", "scaling-topology:ghcrAccessToken",
]);
