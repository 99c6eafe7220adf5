// mocha's settings for `npm test`: every test file, transpiled by scripts/register.js, in two worker
// processes (the machines have 2 cores: real-server tests wait on their servers while plans use the other).
// The slowest files start first, so neither worker is left with a long one at the end (about 8% of the
// wall time): the package install, the real-server and promtool alert tests, the workflow runner, the
// engine parity; then every other file.
const SLOWEST_FIRST = ["package", "realServers.alerts", "alerts.promtool", "workflows.run", "policy.engine", "realServers.roles", "realServers.pgbouncer"];

module.exports = {
    SLOWEST_FIRST,
    require: ["./scripts/register.js"],
    spec: [...SLOWEST_FIRST.map((name) => `test/${name}.test.ts`), `test/**/!(${SLOWEST_FIRST.join("|")}).test.ts`],
    timeout: 60000,
    reporter: "spec",
    parallel: true,
    jobs: 2,
};
