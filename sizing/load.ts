/**
 * The load model: from the load targets (`scaling-topology:load`) to the rates each tier must carry.
 * Pure functions, no Pulumi.
 *
 *   peakRps      = peakConcurrentUsers x requestsPerUserPerMinute / 60
 *   originRps    = peakRps x (1 - edgeAbsorbedShare)                     (what reaches the ingress)
 *   serviceRps   = originRps x trafficShare                              (per service)
 *   queries      = originRps x dbQueriesPerRequest
 *   redisOps     = queries                                               (each read looked up, each write invalidates)
 *   dbReadQps    = queries x dbReadShare x (1 - redisAbsorbedShare)
 *   dbWriteQps   = queries x (1 - dbReadShare)
 *   workingSet   = dailyActiveUsers x redis.bytesPerDailyActiveUser
 *
 * Each rate has an inverse (`peakRpsFor...`): the peak request rate at which a tier reaches a given
 * capacity. The capacity report uses them to state every component's capacity in the same unit.
 */
import type { LoadConfig } from "../config/core";

export interface Demand {
    /** Requests per second at the edge at peak. */
    peakRps: number;
    /** Requests per second reaching the origin (ingress) at peak. */
    originRps: number;
    /** Requests per second per service at peak, by service name. */
    serviceRps: Record<string, number>;
    /** Redis commands per second at peak. */
    redisOps: number;
    /** Database reads per second at peak (after Redis). */
    dbReadQps: number;
    /** Database writes per second at peak. */
    dbWriteQps: number;
    /** Bytes Redis must hold (before headroom). */
    workingSetBytes: number;
}

export const peakRpsOf = (load: LoadConfig): number => (load.peakConcurrentUsers * load.requestsPerUserPerMinute) / 60;

/** Concurrent users a given peak request rate corresponds to. */
export const usersForRps = (load: LoadConfig, rps: number): number => (rps * 60) / load.requestsPerUserPerMinute;

export function demandOf(load: LoadConfig): Demand {
    const peakRps = peakRpsOf(load);
    const originRps = peakRps * (1 - load.edgeAbsorbedShare);
    const queries = originRps * load.dbQueriesPerRequest;
    return {
        peakRps,
        originRps,
        serviceRps: Object.fromEntries(Object.entries(load.services).map(([name, s]) => [name, originRps * s.trafficShare])),
        redisOps: queries,
        dbReadQps: queries * load.dbReadShare * (1 - load.redisAbsorbedShare),
        dbWriteQps: queries * (1 - load.dbReadShare),
        workingSetBytes: load.dailyActiveUsers * load.redis.bytesPerDailyActiveUser,
    };
}

/** The same load scaled to `factor` times the peak (for minima: `offPeakShare`; maxima: 1 + headroom). */
export function scaleDemand(d: Demand, factor: number): Demand {
    return {
        peakRps: d.peakRps * factor,
        originRps: d.originRps * factor,
        serviceRps: Object.fromEntries(Object.entries(d.serviceRps).map(([k, v]) => [k, v * factor])),
        redisOps: d.redisOps * factor,
        dbReadQps: d.dbReadQps * factor,
        dbWriteQps: d.dbWriteQps * factor,
        workingSetBytes: d.workingSetBytes,
    };
}

const perPeak = (at: number, ratePerPeakRps: number): number => (ratePerPeakRps > 0 ? at / ratePerPeakRps : Infinity);

/** Peak request rate (at the edge) at which each tier reaches `capacity` of its own unit. */
export const peakRpsFor = {
    origin: (load: LoadConfig, originRps: number) => perPeak(originRps, 1 - load.edgeAbsorbedShare),
    service: (load: LoadConfig, service: string, rps: number) => perPeak(rps, (1 - load.edgeAbsorbedShare) * (load.services[service]?.trafficShare ?? 1)),
    redisOps: (load: LoadConfig, ops: number) => perPeak(ops, (1 - load.edgeAbsorbedShare) * load.dbQueriesPerRequest),
    dbReads: (load: LoadConfig, qps: number) => perPeak(qps, (1 - load.edgeAbsorbedShare) * load.dbQueriesPerRequest * load.dbReadShare * (1 - load.redisAbsorbedShare)),
    dbWrites: (load: LoadConfig, qps: number) => perPeak(qps, (1 - load.edgeAbsorbedShare) * load.dbQueriesPerRequest * (1 - load.dbReadShare)),
};
