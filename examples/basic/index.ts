import { loadStackConfig, ScalingTopology } from "scaling-topology";

new ScalingTopology("app", loadStackConfig());
