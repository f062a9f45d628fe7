// deploy.manifests_start_binaries, the Node half: for each rendered overlay, starts the real
// binaries (and redis-server) with exactly the command, args, env and ports that the
// Deployments and the StatefulSet give them, then checks what the kubelet and Prometheus would:
// every gRPC probe answers SERVING, every scrape target answers HTTP 200, the evaluator reaches
// history through the manifests' wiring (TLS included), and SIGTERM ends each service with
// exit 0 well inside its termination grace period.
//
// What is replaced, and only that:
//   - hosts: a Service name (any of its DNS forms) becomes 127.0.0.1, through the Service's
//     targetPort to the backing container's port; a Redis URL whose host is outside the
//     overlay (production's managed Redis) points at the test's redis-server; so does every
//     seed of a redis-cluster:// URL (production's Redis Cluster), and that redis-server then
//     runs in cluster mode with all 16384 slots (a one-master cluster, which the history
//     service treats like any other); listen addresses (0.0.0.0:P) bind 127.0.0.1;
//   - ports: every port a manifest uses is mapped, consistently for every use (containerPort,
//     listen flags, probes, scrape annotation, Service targetPort), to a free loopback port.
//     Fixed ports would collide with ctest -j2 and with a developer's scripts/run.sh
//     (127.0.0.1:50051/50052); the mapping is one-to-one, so a probe or annotation that points
//     at a port nothing listens on still fails;
//   - files: each volumeMount is a folder under the work dir, filled from the rendered
//     ConfigMap (configMap volumes) or with test secrets (secret volumes), and every value
//     under a mountPath is rewritten to that folder;
//   - secrets: tls.crt / tls.key / ca.crt are the test PKI (made with openssl by the shell
//     half), any other key a random string (the same one everywhere it is used);
//   - init containers: a plain one that runs `sh SCRIPT ARGS` (the dev Redis's render-acl.sh)
//     runs here, with its mounts, env and path arguments as above, before its pod's main
//     container; production's TLS sidecar (stunnel, image etiquette-tls-sidecar) is not run:
//     history's loopback Redis address (the sidecar's end) points at the test's stand-in
//     Redis, so the TLS leg itself is not covered here. The stand-in Redis has the ACL user
//     that history's --redis_user_file names, with its password; its `default` user has
//     another password, so history must log in as its own user.
//
// usage: node start_binaries.mjs sans OVERLAY=RENDERED_YAML...
//          prints the DNS names the test certificate must carry (Services, all forms)
//        node start_binaries.mjs run WORK_DIR PKI_DIR PID_FILE EVALUATOR HISTORY CLI
//                                    OVERLAY=RENDERED_YAML...
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { basename, dirname, join } from "node:path";
import {
  binaryOf, canonicalFlag, flagOfEnv, formatAddress, isBindHost, isSidecar, loadObjects,
  parseAddress, resolveServicePort, serviceNamed, settingsOf, workloads,
} from "./manifests.mjs";

const REDIS_SERVER = "redis-server";
const TLS_SIDECAR_IMAGE = "etiquette-tls-sidecar";
const REDIS_CLI = "redis-cli";
// Bounds of every wait; each is a poll that ends as soon as the condition holds.
const STARTUP_TIMEOUT_MS = 30_000;
const WIRING_TIMEOUT_MS = 15_000;
const POLL_INTERVAL_MS = 100;
const CALL_TIMEOUT_MS = 5_000;
const DEFAULT_TERMINATION_GRACE_S = 30;
const LOG_TAIL_LINES = 25;

// --- Processes ------------------------------------------------------------------------------

const children = new Set();
let pidFile = null;

// SIGKILL whatever is still running when this process ends, however it ends; the shell half
// also kills every pid in PID_FILE from its trap.
process.on("exit", () => {
  for (const child of children) {
    try {
      process.kill(child.process.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
});
process.on("SIGINT", () => process.exit(130));
process.on("SIGTERM", () => process.exit(143));

// Starts argv with exactly `env` (nothing inherited but PATH), output to `logFile`.
function start(name, argv, env, logFile) {
  const log = openSync(logFile, "w");
  const child = spawn(argv[0], argv.slice(1), {
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", log, log],
  });
  const record = { name, process: child, logFile, exit: null };
  record.exited = new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      record.exit = { code, signal };
      children.delete(record);
      resolve(record.exit);
    });
    child.on("error", (error) => {
      record.exit = { code: null, signal: null, error };
      children.delete(record);
      resolve(record.exit);
    });
  });
  children.add(record);
  if (child.pid !== undefined) appendFileSync(pidFile, `${child.pid}\n`);
  return record;
}

function logTail(record) {
  let text = "";
  try {
    text = readFileSync(record.logFile, "utf8");
  } catch {
    return "  | (no log)";
  }
  const lines = text.trimEnd().split("\n").slice(-LOG_TAIL_LINES);
  return lines.map((line) => `  | ${line}`).join("\n");
}

class TestFailure extends Error {}

function exitDescription(exit) {
  if (exit.error) return `could not start: ${exit.error.message}`;
  return exit.signal ? `was killed by ${exit.signal}` : `exited with status ${exit.code}`;
}

// Polls `check` (async; a truthy result ends the wait) every POLL_INTERVAL_MS for at most
// `timeoutMs`. Fails at once if `record` (the process being waited on) exits.
async function waitFor(what, timeoutMs, check, record) {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    if (record?.exit) {
      throw new TestFailure(`${record.name} ${exitDescription(record.exit)} while waiting for ` +
                            `${what}:\n${logTail(record)}`);
    }
    const result = await check();
    if (result.ok) return result;
    last = result.detail ?? last;
    if (Date.now() >= deadline) {
      throw new TestFailure(`${what}: not within ${timeoutMs / 1000} s` +
                            (last ? ` (last answer: ${last})` : "") +
                            (record ? `\n${record.name} log:\n${logTail(record)}` : ""));
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

function run(argv, env = {}) {
  return new Promise((resolve) => {
    execFile(argv[0], argv.slice(1),
             { env: { PATH: process.env.PATH, ...env }, timeout: CALL_TIMEOUT_MS },
             (error, stdout, stderr) => resolve({ error, stdout, stderr }));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function httpStatus(port, path) {
  return new Promise((resolve) => {
    const request = http.get({ host: "127.0.0.1", port, path, timeout: CALL_TIMEOUT_MS },
                             (response) => {
                               response.resume();
                               resolve(String(response.statusCode));
                             });
    request.on("timeout", () => request.destroy(new Error("timeout")));
    request.on("error", (error) => resolve(error.message));
  });
}

// --- Test secrets ----------------------------------------------------------------------------

class Secrets {
  constructor(pkiDir) {
    this.pkiDir = pkiDir;
    this.values = new Map();
  }

  value(secret, key) {
    const pki = { "tls.crt": "leaf.crt", "tls.key": "leaf.key", "ca.crt": "ca.crt" }[key];
    if (pki) return readFileSync(join(this.pkiDir, pki), "utf8");
    const id = `${secret}/${key}`;
    if (!this.values.has(id)) this.values.set(id, randomBytes(24).toString("hex"));
    return this.values.get(id);
  }
}

// --- One overlay -----------------------------------------------------------------------------

class Overlay {
  constructor(name, file, options) {
    this.name = name;
    this.objects = loadObjects(file);
    this.workloads = workloads(this.objects);
    this.options = options;
    this.workDir = join(options.workDir, name);
    this.secrets = new Secrets(options.pkiDir);
    this.ports = new Map(); // "workload:port" -> loopback port
    this.externalRedisPort = null;
    this.processes = []; // Every process started for this overlay, stopped when it ends.
  }

  launch(name, argv, env, logFile) {
    const record = start(name, argv, env, logFile);
    this.processes.push(record);
    return record;
  }

  ok(message) {
    const elapsed = ((Date.now() - this.startedAt) / 1000).toFixed(1);
    console.log(`ok: ${this.name}: ${message} [${elapsed} s]`);
  }

  configMap(name) {
    const map = this.objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === name);
    if (!map) throw new TestFailure(`ConfigMap ${name} is not in the rendered overlay`);
    return map.data ?? {};
  }

  mappedPort(workload, port) {
    const key = `${workload.name}:${port}`;
    if (!this.ports.has(key)) throw new Error(`internal: port ${key} was not mapped`);
    return this.ports.get(key);
  }

  // Every port number that a workload's manifests use, each mapped to a free loopback port.
  async mapPorts() {
    const taken = new Set();
    for (const workload of this.workloads) {
      const ports = new Set();
      for (const container of workload.pod.containers) {
        for (const p of container.ports ?? []) ports.add(p.containerPort);
        for (const probe of [container.readinessProbe, container.livenessProbe,
                             container.startupProbe]) {
          const port = probe?.grpc?.port ?? probe?.tcpSocket?.port ?? probe?.httpGet?.port;
          if (Number.isInteger(port)) ports.add(port);
        }
        if (binaryOf(container)) {
          for (const setting of settingsOf(container, []).values()) {
            const address = parseAddress(setting.value);
            if (address && isBindHost(address.host)) ports.add(address.port);
          }
        }
      }
      const scrapePort = Number(workload.template.metadata?.annotations?.["prometheus.io/port"]);
      if (Number.isInteger(scrapePort) && scrapePort > 0) ports.add(scrapePort);
      for (const port of ports) {
        let free;
        do free = await freePort(); while (taken.has(free));
        taken.add(free);
        this.ports.set(`${workload.name}:${port}`, free);
      }
    }
  }

  // Folders for a container's volumeMounts, filled as the kubelet would. Returns the mounts,
  // longest mountPath first, as {mountPath, dir, volume, claim}.
  materializeMounts(workload, container) {
    const root = join(this.workDir, workload.name, "root");
    const mounts = [];
    for (const mount of container.volumeMounts ?? []) {
      const dir = join(root, mount.mountPath);
      mkdirSync(dir, { recursive: true });
      const volume = workload.pod.volumes?.find((v) => v.name === mount.name);
      const claim = workload.object.spec.volumeClaimTemplates?.find(
        (c) => c.metadata.name === mount.name);
      if (volume?.configMap) {
        const data = this.configMap(volume.configMap.name);
        const items = volume.configMap.items ?? Object.keys(data).map((key) => ({ key, path: key }));
        for (const { key, path } of items) {
          if (!(key in data)) {
            throw new TestFailure(`${workload.name}: ConfigMap ${volume.configMap.name} has no ` +
                                  `key ${key}`);
          }
          mkdirSync(dirname(join(dir, path)), { recursive: true });
          writeFileSync(join(dir, path), data[key]);
        }
      } else if (volume?.secret) {
        // Without items the Secret's keys are unknown here; files referenced under the mount
        // are created on demand (secretFileFor).
        for (const { key, path } of volume.secret.items ?? []) {
          mkdirSync(dirname(join(dir, path)), { recursive: true });
          writeFileSync(join(dir, path), this.secrets.value(volume.secret.secretName, key),
                        { mode: 0o600 });
        }
      } else if (!volume?.emptyDir && !claim) {
        throw new TestFailure(`${workload.name}: volume ${mount.name} is neither a configMap, ` +
                              `a secret, an emptyDir nor a volumeClaimTemplate`);
      }
      mounts.push({ mountPath: mount.mountPath, dir, volume, claim });
    }
    return mounts.sort((a, b) => b.mountPath.length - a.mountPath.length);
  }

  // A value with a mounted path rewritten to the test's folder.
  rewritePath(value, mounts) {
    for (const mount of mounts) {
      if (value !== mount.mountPath && !value.startsWith(`${mount.mountPath}/`)) continue;
      const path = join(mount.dir, value.slice(mount.mountPath.length));
      const secret = mount.volume?.secret;
      if (secret && !secret.items && value !== mount.mountPath) {
        const key = value.slice(mount.mountPath.length + 1);
        writeFileSync(path, this.secrets.value(secret.secretName, key), { mode: 0o600 });
      }
      return path;
    }
    return value;
  }

  // A value with an address rewritten to the loopback port that stands for it. In a
  // redis-cluster:// URL, every seed host:port is rewritten so.
  rewriteAddress(value, workload, where) {
    const cluster = parseClusterUrl(value);
    if (cluster) {
      const seeds = cluster.seeds.map((seed) =>
        this.rewriteAddress(`redis://${seed}`, workload, where).slice("redis://".length));
      return `redis-cluster://${cluster.userinfo}${seeds.join(",")}${cluster.rest}`;
    }
    const address = parseAddress(value);
    if (!address) return value;
    if (isBindHost(address.host)) {
      return formatAddress(address, "127.0.0.1", this.mappedPort(workload, address.port));
    }
    const service = serviceNamed(this.objects, address.host);
    if (service) {
      const target = resolveServicePort(this.objects, service, address.port);
      if (!target) {
        throw new TestFailure(`${where}: Service ${service.metadata.name} has no port ` +
                              `${address.port} leading to a container port`);
      }
      return formatAddress(address, "127.0.0.1", this.mappedPort(target.workload, target.port));
    }
    if (address.scheme === "redis") {
      // A Redis outside the overlay (production's managed one): the test's redis-server.
      return formatAddress(address, "127.0.0.1", this.externalRedisPort);
    }
    throw new TestFailure(`${where}: ${value} names host ${address.host}, which is neither a ` +
                          `Service of the overlay nor a Redis URL`);
  }

  // The container's environment as the kubelet builds it: values, Secret and ConfigMap keys,
  // $(VAR) references to earlier entries.
  environment(workload, container) {
    const env = {};
    for (const entry of container.env ?? []) {
      let value;
      if (entry.valueFrom?.secretKeyRef) {
        value = this.secrets.value(entry.valueFrom.secretKeyRef.name,
                                   entry.valueFrom.secretKeyRef.key);
      } else if (entry.valueFrom?.configMapKeyRef) {
        const ref = entry.valueFrom.configMapKeyRef;
        value = this.configMap(ref.name)[ref.key];
        if (value === undefined) {
          throw new TestFailure(`${workload.name}: ConfigMap ${ref.name} has no key ${ref.key}`);
        }
      } else if (entry.valueFrom) {
        throw new TestFailure(`${workload.name}: env ${entry.name}: only value, secretKeyRef ` +
                              `and configMapKeyRef are supported by this test`);
      } else {
        value = expand(entry.value ?? "", env);
      }
      env[entry.name] = value;
    }
    return env;
  }

  // --- Redis ---

  async startRedis() {
    const statefulSet = this.workloads.find(
      (w) => basename(w.pod.containers[0].command?.[0] ?? "") === REDIS_SERVER);
    if (statefulSet) return this.startRedisFromManifest(statefulSet);
    // No in-cluster Redis: stand in for the external one, with history's password.
    const history = this.workloads.find((w) => binaryOf(w.pod.containers[0]) === "etiquette-history");
    let password = "";
    let user = "";
    let cluster = false;
    if (history) {
      const container = history.pod.containers[0];
      const mounts = this.materializeMounts(history, container);
      const settings = settingsOf(container, []);
      const file = settings.get("redis_password_file")?.value;
      if (file) password = readFileSync(this.rewritePath(file, mounts), "utf8").trim();
      const userFile = settings.get("redis_user_file")?.value;
      if (userFile) user = readFileSync(this.rewritePath(userFile, mounts), "utf8").trim();
      cluster = parseClusterUrl(settings.get("redis")?.value) !== null;
    }
    this.externalRedisPort = await freePort();
    const dir = join(this.workDir, "external-redis");
    mkdirSync(dir, { recursive: true });
    const argv = [REDIS_SERVER, "--port", String(this.externalRedisPort), "--bind", "127.0.0.1",
                  "--save", "", "--appendonly", "no", "--dir", dir];
    // With an ACL user, `default` gets a password history does not know: history must AUTH as
    // its user (the Redis Cluster's ACL).
    const adminPassword = user ? this.secrets.value("test-stand-in-redis", "default") : password;
    if (adminPassword) argv.push("--requirepass", adminPassword);
    if (user) argv.push("--user", user, "on", `>${password}`, "~*", "&*", "+@all");
    if (cluster) {
      // A Redis Cluster of one master: its own bus port (the default, port + 10000, may not
      // exist or be free).
      let busPort;
      do busPort = await freePort(); while (busPort === this.externalRedisPort);
      argv.push("--cluster-enabled", "yes", "--cluster-config-file", join(dir, "nodes.conf"),
                "--cluster-port", String(busPort));
    }
    const what = cluster ? "the external Redis Cluster (one master, all slots)"
                         : "the external Redis";
    const record = this.launch(`redis-server (stand-in for ${what})`, argv, {},
                               join(this.workDir, "external-redis.log"));
    const env = { REDISCLI_AUTH: adminPassword };
    await this.waitForRedis(record, this.externalRedisPort, env);
    if (cluster) await this.assignAllSlots(record, this.externalRedisPort, env);
    this.ok(`redis-server stands in for ${what} on 127.0.0.1:${this.externalRedisPort}` +
            (user ? ` (ACL user ${user})` : ""));
    return record;
  }

  // CLUSTER ADDSLOTSRANGE 0 16383 on a fresh cluster-mode redis-server, then waits for
  // cluster_state:ok (a new master reports it only after a couple of seconds).
  async assignAllSlots(record, port, env) {
    const cli = [REDIS_CLI, "-p", String(port)];
    const { stdout, stderr } = await run([...cli, "cluster", "addslotsrange", "0", "16383"], env);
    if (stdout.trim() !== "OK") {
      throw new TestFailure(`${record.name}: CLUSTER ADDSLOTSRANGE 0 16383 answered ` +
                            `${(stdout + stderr).trim()}`);
    }
    await waitFor(`${record.name} reporting cluster_state:ok`, STARTUP_TIMEOUT_MS, async () => {
      const { stdout: info } = await run([...cli, "cluster", "info"], env);
      const state = /^cluster_state:(\w+)/m.exec(info)?.[1];
      return { ok: state === "ok", detail: state ?? info.trim() };
    }, record);
  }

  // The StatefulSet's own command line, its redis.conf from the ConfigMap and its password
  // from the Secret; only the port, bind address and data folder are the test's.
  async startRedisFromManifest(workload) {
    const container = workload.pod.containers[0];
    await this.runInitContainers(workload);
    const mounts = this.materializeMounts(workload, container);
    const env = this.environment(workload, container);
    const redisPort = container.ports?.[0]?.containerPort;
    const port = this.mappedPort(workload, redisPort);
    // Redis must write where the PersistentVolumeClaim is mounted. Redis enters `dir` while
    // it reads the file, so the test's copy of the config names the test's folder instead.
    const data = mounts.find((m) => m.claim);
    const confs = mounts.filter((m) => m.volume?.configMap).flatMap((m) =>
      Object.keys(this.configMap(m.volume.configMap.name)).map((key) => join(m.dir, key)));
    const dirs = [];
    for (const conf of confs) {
      const text = readFileSync(conf, "utf8").replace(/^dir\s+(\S+)\s*$/gm, (line, dir) => {
        dirs.push(dir);
        return dir === data?.mountPath ? `dir ${data.dir}` : line;
      }).replace(/^aclfile\s+(\S+)\s*$/gm, (line, file) => `aclfile ${this.rewritePath(file, mounts)}`);
      writeFileSync(conf, text);
    }
    if (!data || dirs.length !== 1 || dirs[0] !== data.mountPath) {
      throw new TestFailure(`${workload.name}: redis.conf's dir (${dirs.join(", ") || "none"}) ` +
                            `is not the PersistentVolumeClaim's mountPath ` +
                            `(${data?.mountPath ?? "no claim mounted"})`);
    }
    const argv = [REDIS_SERVER,
                  ...(container.args ?? []).map((arg) => this.rewritePath(expand(arg, env), mounts)),
                  "--port", String(port), "--bind", "127.0.0.1", "--daemonize", "no"];
    const record = this.launch(`${workload.name} (redis-server)`, argv, env,
                         join(this.workDir, `${workload.name}.log`));
    const probe = container.readinessProbe?.exec?.command;
    if (probe?.[0] === "sh" && probe[1] === "-c") {
      // The manifest's own readiness probe (as its ACL user), pointed at the test's port.
      const script = probe[2].replace(/\bredis-cli\b/g, `${REDIS_CLI} -p ${port}`);
      await waitFor(`${record.name} readiness probe (${probe[2]})`, STARTUP_TIMEOUT_MS,
                    async () => {
                      const { error, stdout, stderr } = await run(["sh", "-c", script], env);
                      return { ok: !error, detail: (stdout + stderr).trim() };
                    }, record);
    } else {
      await this.waitForRedis(record, port, env);
    }
    this.ok(`${workload.name}: redis-server runs with the manifest's redis.conf and ACL ` +
            `(port ${redisPort} -> ${port})`);
    return record;
  }

  // The pod's plain init containers, in order, as the kubelet runs them: `sh SCRIPT ARGS` with
  // the container's mounts, env and path arguments; each must exit 0. Sidecars are not run.
  async runInitContainers(workload) {
    for (const container of workload.pod.initContainers ?? []) {
      if (isSidecar(container)) continue;
      const mounts = this.materializeMounts(workload, container);
      const env = this.environment(workload, container);
      const argv = [...(container.command ?? []), ...(container.args ?? [])]
        .map((arg) => this.rewritePath(expand(arg, env), mounts));
      const name = `${workload.name} init container ${container.name}`;
      const log = join(this.workDir, `${workload.name}.init-${container.name}.log`);
      const record = this.launch(name, argv, env, log);
      const exit = await record.exited;
      if (exit.code !== 0) {
        throw new TestFailure(`${name} ${exitDescription(exit)}:\n${logTail(record)}`);
      }
      const script = argv.find((arg) => arg.endsWith(".sh")) ?? argv.join(" ");
      this.ok(`${name} ran (${basename(script)})`);
    }
  }

  async waitForRedis(record, port, env) {
    await waitFor(`${record.name} answering PONG`, STARTUP_TIMEOUT_MS, async () => {
      const { stdout } = await run([REDIS_CLI, "-p", String(port), "ping"], env);
      return { ok: stdout.trim() === "PONG", detail: stdout.trim() };
    }, record);
  }

  // --- The services ---

  // Flags (args and ETIQUETTE_* env) the binary does not have, from its --help.
  async unknownFlags(container, settings) {
    const binary = this.options.binaries[binaryOf(container)];
    const { stdout, error } = await run([binary, "--help"]);
    if (error) throw new TestFailure(`${binary} --help failed: ${error.message}`);
    const known = new Set([...stdout.matchAll(/^\s*--([A-Za-z0-9_-]+)/gm)]
      .map((m) => canonicalFlag(m[1])));
    return [...settings].filter(([flag]) => !known.has(flag)).map(([, s]) => s.where);
  }

  async startService(workload) {
    const container = workload.pod.containers[0];
    const problems = [];
    const settings = settingsOf(container, problems);
    if (problems.length) throw new TestFailure(`${workload.name}: ${problems.join("; ")}`);
    const mounts = this.materializeMounts(workload, container);
    const where = workload.name;
    const sidecar = (workload.pod.initContainers ?? []).find((c) =>
      isSidecar(c) && c.image?.split(/[:@]/)[0].endsWith(TLS_SIDECAR_IMAGE));
    const rewrite = (flag, value) => {
      // History's Redis at the TLS sidecar's loopback end: the test's stand-in Redis.
      const address = parseAddress(value);
      if (flag === "redis" && sidecar && ["127.0.0.1", "localhost"].includes(address?.host)) {
        return formatAddress(address, "127.0.0.1", this.externalRedisPort);
      }
      // The sidecar's node map: the stand-in is the only node, dialled as itself.
      if (flag === "redis_node_map" && sidecar) {
        return `127.0.0.1:${this.externalRedisPort}=127.0.0.1:${this.externalRedisPort}`;
      }
      const cluster = flag === "redis" && sidecar ? parseClusterUrl(value) : null;
      if (cluster && cluster.seeds.every((seed) => /^(127\.0\.0\.1|localhost):/.test(seed))) {
        return `redis-cluster://${cluster.userinfo}127.0.0.1:${this.externalRedisPort}${cluster.rest}`;
      }
      return this.rewriteAddress(this.rewritePath(value, mounts), workload, where);
    };
    const env = this.environment(workload, container);
    for (const name of Object.keys(env)) {
      const flag = flagOfEnv(name);
      if (flag !== null) env[name] = rewrite(flag, env[name]);
    }
    const args = (container.args ?? []).map((arg) => {
      const match = /^--([^=]+)=(.*)$/s.exec(expand(arg, env));
      return match ? `--${match[1]}=${rewrite(canonicalFlag(match[1]), match[2])}` : arg;
    });
    const argv = [this.options.binaries[binaryOf(container)], ...args];
    const record = this.launch(workload.name, argv, env, join(this.workDir, `${workload.name}.log`));
    record.workload = workload;
    record.settings = settings;

    // Every probe the kubelet would run, on the port it would use.
    for (const kind of ["startupProbe", "readinessProbe", "livenessProbe"]) {
      const probe = container[kind];
      if (!probe) continue;
      if (!probe.grpc) throw new TestFailure(`${where}: ${kind} is not a gRPC probe`);
      const port = this.mappedPort(workload, probe.grpc.port);
      const service = probe.grpc.service ?? "";
      await waitFor(`${where} ${kind} (gRPC health "${service}" on manifest port ` +
                    `${probe.grpc.port} -> ${port}) answering SERVING`, STARTUP_TIMEOUT_MS,
                    async () => {
                      const { stdout, stderr } = await run(
                        [this.options.cli, "-plaintext", "-d", JSON.stringify({ service }),
                         `127.0.0.1:${port}`, "grpc.health.v1.Health/Check"]);
                      return { ok: /"status":\s*"SERVING"/.test(stdout),
                               detail: (stdout + stderr).replace(/\s+/g, " ").trim() };
                    }, record);
      this.ok(`${where}: ${kind} gRPC health "${service}" on port ${probe.grpc.port} is SERVING`);
    }

    // What Prometheus would scrape.
    const annotations = workload.template.metadata?.annotations ?? {};
    if (annotations["prometheus.io/scrape"] === "true") {
      const port = this.mappedPort(workload, Number(annotations["prometheus.io/port"]));
      const path = annotations["prometheus.io/path"] ?? "/metrics";
      await waitFor(`${where} metrics (http://pod:${annotations["prometheus.io/port"]}${path}) ` +
                    `answering 200`, STARTUP_TIMEOUT_MS, async () => {
        const status = await httpStatus(port, path);
        return { ok: status === "200", detail: status };
      }, record);
      this.ok(`${where}: scrape target :${annotations["prometheus.io/port"]}${path} answers 200`);
    }
    return record;
  }

  // A TLS port: open (something listens: a closed port would "refuse" anything), yet a
  // plaintext gRPC client gets no answer.
  async checkRefusesPlaintext(record, flag) {
    const address = parseAddress(record.settings.get(flag).value);
    const port = this.mappedPort(record.workload, address.port);
    const open = await new Promise((resolve) => {
      const socket = net.connect({ host: "127.0.0.1", port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (!open) {
      throw new TestFailure(`${record.name}: nothing listens on --${flag} port ${address.port}`);
    }
    const { error } = await run([this.options.cli, "-plaintext", `127.0.0.1:${port}`, "list"]);
    if (!error) {
      throw new TestFailure(`${record.name}: has TLS settings, yet its --${flag} port ` +
                            `${address.port} answers a plaintext client`);
    }
    this.ok(`${record.name}: --${flag} port ${address.port} is open and refuses plaintext (TLS)`);
  }

  // The evaluator reaches history through the manifests' address and TLS settings: an
  // Evaluate answer that is not degraded proves it (history answered, Redis included).
  async checkWiring(evaluator, history) {
    // TLS in effect on history's port: a plaintext client gets nowhere.
    if (history?.settings.has("tls_cert")) await this.checkRefusesPlaintext(history, "listen");
    // The admin listener with its own TLS: a plaintext client gets nowhere there either.
    if (history?.settings.has("admin_tls_cert")) {
      await this.checkRefusesPlaintext(history, "admin_listen");
    }
    const tls = evaluator.settings.has("tls_cert");
    if (tls) {
      await this.checkRefusesPlaintext(evaluator, "listen");
      console.log(`note: ${this.name}: the evaluator serves TLS; grpc_reflect_cli is ` +
                  `plaintext-only, so the evaluator-to-history call is not checked`);
      return;
    }
    const listen = parseAddress(evaluator.settings.get("listen").value);
    const port = this.mappedPort(evaluator.workload, listen.port);
    const request = JSON.stringify({ invitation: {
      invitationId: "deploy-test-1", sender: { memberId: "m-deploy-a" },
      recipient: { memberId: "m-deploy-b" }, relationship: { familiarity: "FAMILIARITY_COLLEAGUE" },
    } });
    // Without server reflection (production), the types come from the descriptor set.
    const types = evaluator.settings.get("reflection")?.value === "false"
      ? ["-protoset", process.env.ETIQUETTE_PROTOSET] : [];
    // The first call may meet a channel still connecting (a 50 ms deadline): poll.
    await waitFor(`${evaluator.name} Evaluate answered with history (not degraded)`,
                  WIRING_TIMEOUT_MS, async () => {
                    const { stdout, stderr } = await run(
                      [this.options.cli, ...types, "-plaintext", "-d", request, `127.0.0.1:${port}`,
                       "etiquette.v1.InvitationEvaluator/Evaluate"]);
                    const ok = /"decision"/.test(stdout) && !/"degraded":\s*true/.test(stdout);
                    return { ok, detail: (stdout + stderr).replace(/\s+/g, " ").trim() };
                  }, evaluator);
    const address = evaluator.settings.get("history")?.value;
    const secured = evaluator.settings.has("history_tls_ca") ? " over TLS with a client " +
      "certificate" : "";
    this.ok(`${evaluator.name}: Evaluate uses history at ${address}${secured} (not degraded)`);
  }

  // SIGTERM as the kubelet sends it (after the preStop sleep): the service must exit 0 before
  // the kubelet's SIGKILL, i.e. within terminationGracePeriodSeconds minus that sleep.
  async checkShutdown(record) {
    const pod = record.workload.pod;
    const preStop = pod.containers[0].lifecycle?.preStop?.sleep?.seconds ?? 0;
    const budgetS = (pod.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_S) - preStop;
    const started = Date.now();
    record.process.kill("SIGTERM");
    let timer;
    const exit = await Promise.race([
      record.exited,
      new Promise((resolve) => { timer = setTimeout(() => resolve(null), budgetS * 1000); }),
    ]);
    clearTimeout(timer); // A pending timer would keep this process alive.
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (exit === null) {
      throw new TestFailure(`${record.name}: still running ${budgetS} s after SIGTERM (the ` +
                            `kubelet would SIGKILL it):\n${logTail(record)}`);
    }
    if (exit.code !== 0) {
      throw new TestFailure(`${record.name}: after SIGTERM ${exitDescription(exit)}, not 0:\n` +
                            logTail(record));
    }
    this.ok(`${record.name}: SIGTERM -> exit 0 in ${seconds} s (budget ${budgetS} s)`);
  }

  async run() {
    this.startedAt = Date.now();
    mkdirSync(this.workDir, { recursive: true });
    await this.mapPorts();
    try {
      for (const workload of this.workloads) {
        const command = workload.pod.containers[0].command?.[0] ?? "";
        if (workload.pod.containers.length !== 1) {
          throw new TestFailure(`${workload.name}: one container per pod is all this test runs`);
        }
        for (const init of workload.pod.initContainers ?? []) {
          const known = isSidecar(init)
            ? init.image?.split(/[:@]/)[0].endsWith(TLS_SIDECAR_IMAGE)
            : init.command?.[0] === "sh";
          if (!known) {
            throw new TestFailure(`${workload.name}: init container ${init.name} is neither ` +
                                  `an \`sh\` script nor the ${TLS_SIDECAR_IMAGE} sidecar`);
          }
        }
        if (!binaryOf(workload.pod.containers[0]) && basename(command) !== REDIS_SERVER) {
          throw new TestFailure(`${workload.name}: runs ${command || "the image's entrypoint"}, ` +
                                `which this test does not know how to start`);
        }
      }
      const order = ["etiquette-history", "etiquette-evaluator"];
      const services = this.workloads.filter((w) => binaryOf(w.pod.containers[0]))
        .sort((a, b) => order.indexOf(binaryOf(a.pod.containers[0])) -
                        order.indexOf(binaryOf(b.pod.containers[0])));
      // Every flag of every service first, so that one run names all that are missing.
      const missing = [];
      for (const workload of services) {
        const container = workload.pod.containers[0];
        const unknown = await this.unknownFlags(container, settingsOf(container, []));
        if (unknown.length) {
          missing.push(`${workload.name}: ${binaryOf(container)} has no flag for ` +
                       `${unknown.join(", ")} (not in its --help)`);
        }
      }
      if (missing.length) throw new TestFailure(missing.join("\n  "));

      await this.startRedis();
      const records = [];
      for (const workload of services) records.push(await this.startService(workload));
      const find = (binary) => records.find((r) => binaryOf(r.workload.pod.containers[0]) ===
                                                   binary);
      const evaluator = find("etiquette-evaluator");
      if (evaluator) await this.checkWiring(evaluator, find("etiquette-history"));
      for (const record of records.reverse()) await this.checkShutdown(record);
      return true;
    } catch (error) {
      if (!(error instanceof TestFailure)) throw error;
      console.log(`FAIL: ${this.name}: ${error.message}`);
      return false;
    } finally {
      for (const record of this.processes) {
        if (!record.exit) {
          record.process.kill("SIGKILL");
          await record.exited;
        }
      }
    }
  }
}

// "redis-cluster://[userinfo@]host:port,host:port...[/rest]" split up, or null.
function parseClusterUrl(value) {
  const match = /^redis-cluster:\/\/([^@/]*@)?([^/]*)(\/.*)?$/.exec(value ?? "");
  if (!match) return null;
  return { userinfo: match[1] ?? "", seeds: match[2].split(","), rest: match[3] ?? "" };
}

// Kubernetes' $(VAR) expansion in command, args and env values; $$ escapes a dollar.
function expand(value, env) {
  return String(value).replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, name) => {
    if (match === "$$") return "$";
    return name in env ? env[name] : match;
  });
}

// --- Main ------------------------------------------------------------------------------------

function parseOverlays(list) {
  return list.map((item) => {
    const [name, file] = item.split("=");
    return { name, file };
  });
}

async function main() {
  const [mode, ...rest] = process.argv.slice(2);
  if (mode === "sans") {
    const names = new Set(["localhost"]);
    for (const { file } of parseOverlays(rest)) {
      for (const service of loadObjects(file).filter((o) => o.kind === "Service")) {
        const name = service.metadata.name;
        const ns = service.metadata.namespace ?? "default";
        for (const form of [name, `${name}.${ns}`, `${name}.${ns}.svc`,
                            `${name}.${ns}.svc.cluster.local`]) names.add(form);
      }
    }
    console.log([...names].join("\n"));
    return 0;
  }
  if (mode !== "run" || rest.length < 7) {
    console.error("usage: node start_binaries.mjs sans OVERLAY=FILE...\n" +
                  "       node start_binaries.mjs run WORK_DIR PKI_DIR PID_FILE EVALUATOR " +
                  "HISTORY CLI OVERLAY=FILE...");
    return 2;
  }
  const [workDir, pkiDir, pids, evaluator, history, cli, ...overlays] = rest;
  pidFile = pids;
  const options = {
    workDir, pkiDir, cli,
    binaries: { "etiquette-evaluator": evaluator, "etiquette-history": history },
  };
  let passed = 0;
  let failed = 0;
  for (const { name, file } of parseOverlays(overlays)) {
    if (await new Overlay(name, file, options).run()) passed++;
    else failed++;
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

// exit() rather than exitCode: nothing left pending (a child, a timer) may keep the test alive.
process.exit(await main());
