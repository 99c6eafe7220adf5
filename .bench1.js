const { spawnSync } = require("child_process");
const wall = (args, env = {}) => { const t = process.hrtime.bigint(); const r = spawnSync(process.execPath, args, { env: { ...process.env, ...env }, encoding: "utf8" }); if (r.status !== 0) throw new Error(r.stderr); return Number(process.hrtime.bigint() - t) / 1e6; };
const load = ["-e", "require('@pulumi/pulumi'); require('@pulumi/aws'); require('@pulumi/kubernetes')"];
const plan = ["-r", "./scripts/register.js", "cli/main.ts", "plan", "--stack", "prod", "--format", "json", "--out", "/tmp/pb.json"];
const planCC = ["-r", "./scripts/register.js", "-r", "./.cc.js", "cli/main.ts", "plan", "--stack", "prod", "--format", "json", "--out", "/tmp/pb.json"];
const res = { load: [], plan: [], planSemi: [], planCC: [] };
for (let i = 0; i < 5; i++) {
  res.load.push(wall(load)); res.plan.push(wall(plan)); res.planSemi.push(wall(plan, { NODE_OPTIONS: "--max-semi-space-size=32" })); res.planCC.push(wall(planCC));
}
const med = (xs) => xs.sort((a, b) => a - b)[2];
for (const [k, v] of Object.entries(res)) console.log(k, med(v) | 0, (med(v) / med(res.load)).toFixed(2));
