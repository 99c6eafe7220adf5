/** Cross-key checks of the network config. */
import type { ConfigCheck } from "./index";
import { REGIONS_RECORDED, zonesOf } from "../catalog/regions";

export const networkChecks: ConfigCheck[] = [
    {
        needs: ["region", "network"],
        check: (c) =>
            c.network.availabilityZones.flatMap((az, i) =>
                zonesOf(c.region).includes(az)
                    ? []
                    : [{ key: `scaling-topology:network.availabilityZones[${i}]`, value: az, message: `must be a zone of aws:region "${c.region}": ${zonesOf(c.region).join(", ")} (zones of ${REGIONS_RECORDED}, catalog/regions.ts)` }],
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
