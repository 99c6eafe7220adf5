/**
 * This repository's program: the stack's config, validated and sized in full before any resource is
 * constructed (an invalid stack fails with one message listing every problem), then the whole topology.
 */
import { loadStackConfig, ScalingTopology } from "./components";

const config = loadStackConfig();
const topology = new ScalingTopology(config.stack, config);

export const {
    clusterName, clusterEndpoint, clusterSecurityGroupId, oidcProviderArn, ingressHostname, serviceHosts,
    auroraWriterEndpoint, auroraReaderEndpoint, auroraPort, auroraSecretArn, redisConfigurationEndpoint,
    pgbouncerReadWriteHost, pgbouncerReadOnlyHost, pgbouncerClientCaCert, edgeHostname, cloudfrontDomainName,
    originVerifyHeader, originVerifySecret, backupVaultName, backupPlanId, backupDrVaultArn, backupRoleArn,
    region, environment, vpcId, publicSubnetIds, privateSubnetIds, isolatedSubnetIds, natGatewayIds,
    prometheusEndpoint, alertTopicArn,
} = topology.outputs;
