/**
 * Real PostgreSQL, PgBouncer and Redis for the data tests: installed from Debian packages when missing
 * (scripts/test-servers.sh), started in a temporary directory on free loopback ports, torn down after.
 * As root, servers run as the `postgres` system user (initdb and pgbouncer refuse root): spawned with
 * its uid/gid directly, so signals reach the server itself and teardown is clean.
 */
import { ChildProcess, execFile, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

const REPO = path.resolve(__dirname, "..");
let installed = false;

/** Installs the servers if missing (idempotent; fast when present). */
export function ensureServers(): void {
    if (installed) return;
    execFileSync("bash", [path.join(REPO, "scripts/test-servers.sh")], { stdio: ["ignore", "ignore", "inherit"], timeout: 600_000 });
    installed = true;
}

const isRoot = () => process.getuid?.() === 0;

/** The PostgreSQL binaries (initdb, pg_ctl are not on PATH on Debian). */
export function pgBin(name: string): string {
    const dirs = fs.readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a));
    for (const d of dirs) {
        const p = `/usr/lib/postgresql/${d}/bin/${name}`;
        if (fs.existsSync(p)) return p;
    }
    return name;
}

/** uid/gid of the service user when we are root (servers refuse to run as root); undefined otherwise. */
function serviceIds(): { uid: number; gid: number } | undefined {
    if (!isRoot()) return undefined;
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    return { uid, gid };
}

export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<{ stdout: string; stderr: string; code: number }> {
    return new Promise((resolve) => {
        const ids = serviceIds();
        // As the service user, root's HOME is unreadable (libpq would fail on ~/.postgresql): use /tmp.
        const home = ids ? { HOME: os.tmpdir() } : {};
        const child = execFile(cmd, args, { ...ids, cwd: os.tmpdir(), env: { ...process.env, ...home, ...opts.env }, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
            resolve({ stdout: String(stdout), stderr: String(stderr), code: err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0 });
        });
        if (opts.input !== undefined) child.stdin?.end(opts.input);
    });
}

export async function mustRun(cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): Promise<string> {
    const r = await run(cmd, args, opts);
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.code}): ${r.stderr || r.stdout}`);
    return r.stdout;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.unref();
        s.on("error", reject);
        s.listen(0, "127.0.0.1", () => {
            const port = (s.address() as net.AddressInfo).port;
            s.close(() => resolve(port));
        });
    });
}

export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
        const ok = await new Promise<boolean>((resolve) => {
            const sock = net.connect(port, "127.0.0.1");
            sock.once("connect", () => { sock.destroy(); resolve(true); });
            sock.once("error", () => resolve(false));
        });
        if (ok) return;
        if (Date.now() > until) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
    }
}

/** A temporary directory the service user owns. */
export function tempDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    const ids = serviceIds();
    if (ids) fs.chownSync(dir, ids.uid, ids.gid);
    fs.chmodSync(dir, 0o700);
    return dir;
}

/** Writes a file the service user can read. */
export function writeOwned(file: string, text: string): void {
    fs.writeFileSync(file, text, { mode: 0o600 });
    const ids = serviceIds();
    if (ids) fs.chownSync(file, ids.uid, ids.gid);
}

/** Starts a long-running server in the foreground as the service user. */
export function startProcess(cmd: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
    const out = fs.openSync(logFile, "a");
    const child = spawn(cmd, args, { ...serviceIds(), cwd: os.tmpdir(), env: { ...process.env, ...env }, stdio: ["ignore", out, out], detached: false });
    fs.closeSync(out);
    return child;
}

/** Stops a process we started (SIGTERM, then SIGKILL) and waits for it to exit. */
export async function stopProcess(child: ChildProcess | undefined, timeoutMs = 5000): Promise<void> {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    await exited;
    clearTimeout(t);
}

/** A throwaway PostgreSQL cluster on a free loopback port (socket in its own directory). */
export class TempPostgres {
    public readonly dir: string;
    public port = 0;
    private started = false;

    constructor() {
        this.dir = tempDir("data4-pg-");
    }

    public async start(settings: Record<string, string> = {}): Promise<void> {
        this.port = await freePort();
        const data = path.join(this.dir, "data");
        await mustRun(pgBin("initdb"), ["-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync"], { timeoutMs: 60_000 });
        const opts = { listen_addresses: "127.0.0.1", port: String(this.port), unix_socket_directories: this.dir, fsync: "off", synchronous_commit: "off", full_page_writes: "off", ...settings };
        const o = Object.entries(opts).map(([k, v]) => `-c ${k}=${v}`).join(" ");
        await mustRun(pgBin("pg_ctl"), ["-D", data, "-l", path.join(this.dir, "postgres.log"), "-w", "-t", "30", "-o", o, "start"], { timeoutMs: 40_000 });
        this.started = true;
    }

    /** psql as the superuser over the socket; returns unaligned tuples-only output. */
    public psql(sql: string, db = "postgres"): Promise<string> {
        return mustRun(pgBin("psql"), ["-h", this.dir, "-p", String(this.port), "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-Atc", sql]);
    }

    public async stop(): Promise<void> {
        if (this.started) await run(pgBin("pg_ctl"), ["-D", path.join(this.dir, "data"), "-m", "immediate", "-w", "stop"], { timeoutMs: 20_000 });
        this.started = false;
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

/** The installed PgBouncer's version (`1.18.0`). */
export function pgbouncerVersion(): string {
    const out = execFileSync("pgbouncer", ["--version"]).toString();
    const m = /PgBouncer (\d+\.\d+\.\d+)/.exec(out);
    if (!m) throw new Error(`cannot read the PgBouncer version from: ${out}`);
    return m[1];
}

/**
 * A throwaway CA and a server certificate for `localhost` / 127.0.0.1 (openssl), plus an unrelated CA:
 * enough to prove `verify-full` accepts the right chain and host and refuses another CA.
 */
export async function makeTlsFiles(dir: string): Promise<{ caFile: string; otherCaFile: string; certFile: string; keyFile: string }> {
    const f = (n: string) => path.join(dir, n);
    const ssl = (...args: string[]) => mustRun("openssl", args, { timeoutMs: 20_000 });
    for (const ca of ["ca", "other-ca"]) {
        await ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=data4 test ${ca}`, "-keyout", f(`${ca}.key`), "-out", f(`${ca}.pem`));
    }
    await ssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", f("server.key"), "-out", f("server.csr"));
    fs.writeFileSync(f("server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
    await ssl("x509", "-req", "-in", f("server.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial", "-days", "2", "-extfile", f("server.ext"), "-out", f("server.crt"));
    return { caFile: f("ca.pem"), otherCaFile: f("other-ca.pem"), certFile: f("server.crt"), keyFile: f("server.key") };
}
