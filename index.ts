/**
 * This repository's program: the stack's config, validated and sized in full before any resource is
 * constructed (an invalid stack fails with one message listing every problem), then the whole topology
 * (a disaster-recovery secondary first reads and checks its primary). The stack outputs are the
 * topology's operator outputs.
 */
import { loadStackConfig, ScalingTopology } from "./components";

const config = loadStackConfig();

export = ScalingTopology.create(config.stack, config).then((topology) => topology.outputs);
