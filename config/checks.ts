/** Cross-key checks of the network config. */
import type { ConfigCheck } from "./index";

export const networkChecks: ConfigCheck[] = [
    {
        needs: ["region", "network"],
        check: (c) =>
            c.network.availabilityZones.flatMap((az, i) =>
                az.startsWith(c.region) && /^[a-z]$/.test(az.slice(c.region.length))
                    ? []
                    : [{ key: `scaling-topology:network.availabilityZones[${i}]`, value: az, message: `must be a zone of aws:region "${c.region}" (e.g. ${c.region}a)` }],
            ),
    },
];

/** Cross-field checks of the load targets. */
export const loadChecks: ConfigCheck[] = [
    {
        needs: ["load"],
        check: (c) =>
            c.load.peakConcurrentUsers > c.load.dailyActiveUsers
                ? [{ key: "scaling-topology:load.peakConcurrentUsers", value: c.load.peakConcurrentUsers, message: `cannot exceed load.dailyActiveUsers (${c.load.dailyActiveUsers})` }]
                : [],
    },
];
