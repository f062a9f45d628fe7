// Reading rendered manifests: shared by validate.mjs (deploy.render_and_validate) and
// start_binaries.mjs (deploy.manifests_start_binaries).
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import yaml from "js-yaml";

// Every object of a multi-document YAML file (`kubectl kustomize` output).
export function loadObjects(file) {
  return yaml.loadAll(readFileSync(file, "utf8")).filter((doc) => doc != null);
}

export function describe(object) {
  return `${object.kind}/${object.metadata?.name}`;
}

// The services' flag names are case-sensitive with '-' and '_' interchangeable.
export function canonicalFlag(name) {
  return name.replace(/-/g, "_");
}

// The environment variable that sets flag `name` (ETIQUETTE_<NAME>, README "flags").
export function envNameOf(flag) {
  return `ETIQUETTE_${canonicalFlag(flag).toUpperCase()}`;
}

// The flag an ETIQUETTE_* variable sets, or null for another variable.
export function flagOfEnv(envName) {
  return envName.startsWith("ETIQUETTE_") ? envName.slice(10).toLowerCase() : null;
}

// Deployments and StatefulSets, with their pod spec.
export function workloads(objects) {
  return objects
    .filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet")
    .map((o) => ({
      object: o,
      name: o.metadata.name,
      template: o.spec.template,
      pod: o.spec.template.spec,
    }));
}

// A container of the project's image: its command is one of the two binaries.
export function binaryOf(container) {
  const program = container.command?.[0] ?? "";
  const name = basename(program);
  return name === "etiquette-evaluator" || name === "etiquette-history" ? name : null;
}

// The settings of an etiquette container: flag (canonical) -> {value, source, where}, from
// args ("--name=value" only: one unambiguous form in manifests) and ETIQUETTE_* env entries.
// Errors (another form, a flag given twice, a flag also in env) go to `problems`.
export function settingsOf(container, problems) {
  const settings = new Map();
  for (const arg of container.args ?? []) {
    const match = /^--([A-Za-z0-9_-]+)=(.*)$/s.exec(String(arg));
    if (!match) {
      problems.push(`argument "${arg}" is not in the form --name=value`);
      continue;
    }
    const flag = canonicalFlag(match[1]);
    if (settings.has(flag)) problems.push(`--${flag} is given twice`);
    settings.set(flag, { value: match[2], source: "args", where: `--${match[1]}` });
  }
  for (const entry of container.env ?? []) {
    const flag = flagOfEnv(entry.name);
    if (flag === null) continue;
    if (settings.has(flag)) {
      // The command line wins over the environment: such a variable would be dead.
      problems.push(`${entry.name} and --${flag} both set ${flag} (the flag wins)`);
      continue;
    }
    settings.set(flag, { value: entry.value, valueFrom: entry.valueFrom, source: "env",
                         where: entry.name });
  }
  return settings;
}

// "host:port" (optionally "scheme://[userinfo@]host:port[/rest]") split up, or null.
export function parseAddress(value) {
  const match =
    /^(?:([a-z][a-z0-9+.-]*):\/\/([^@/]*@)?)?(\[[^\]]*\]|[A-Za-z0-9.-]*):(\d+)(\/.*)?$/.exec(
      value ?? "");
  if (!match) return null;
  return {
    scheme: match[1] ?? null,
    userinfo: match[2] ?? "",
    host: match[3],
    port: Number(match[4]),
    rest: match[5] ?? "",
  };
}

export function formatAddress(address, host, port) {
  const prefix = address.scheme ? `${address.scheme}://${address.userinfo}` : "";
  return `${prefix}${host}:${port}${address.rest}`;
}

// Hosts a server binds to (its own listen addresses) rather than connects to.
export function isBindHost(host) {
  return ["", "0.0.0.0", "[::]", "[::1]", "127.0.0.1", "localhost"].includes(host);
}

// The Service a host names: "svc", "svc.ns", "svc.ns.svc", "svc.ns.svc.cluster.local".
export function serviceNamed(objects, host) {
  for (const service of objects.filter((o) => o.kind === "Service")) {
    const name = service.metadata.name;
    const ns = service.metadata.namespace ?? "default";
    const forms = [name, `${name}.${ns}`, `${name}.${ns}.svc`, `${name}.${ns}.svc.cluster.local`];
    if (forms.includes(host)) return service;
  }
  return null;
}

// A Service's selector (a plain map) against a pod's labels; {} matches every pod.
export function mapMatches(map, labels) {
  return Object.entries(map ?? {}).every(([key, value]) => labels?.[key] === value);
}

// A LabelSelector (PDB, NetworkPolicy) against a pod's labels.
export function selectorMatches(selector, labels) {
  // These manifests use matchLabels only; refuse rather than half-implement expressions.
  if (selector?.matchExpressions?.length) {
    throw new Error("matchExpressions are not supported by the deploy tests");
  }
  return mapMatches(selector?.matchLabels, labels);
}

// The workload container port a Service port leads to: {workload, container, port} or null.
export function resolveServicePort(objects, service, port) {
  const servicePort = service.spec.ports?.find((p) => p.port === port);
  if (!servicePort) return null;
  const target = servicePort.targetPort ?? servicePort.port;
  for (const workload of workloads(objects)) {
    if (!mapMatches(service.spec.selector, workload.template.metadata?.labels)) continue;
    for (const container of workload.pod.containers) {
      for (const p of container.ports ?? []) {
        if (p.name === target || p.containerPort === target) {
          return { workload, container, port: p.containerPort };
        }
      }
    }
  }
  return null;
}

// A security setting as the container gets it: its own, else the pod's.
export function effectiveSecurity(pod, container, field) {
  return container.securityContext?.[field] ?? pod.securityContext?.[field];
}

// Every container of a pod: init containers (native sidecars among them) and the main ones.
export function allContainers(pod) {
  return [...(pod.initContainers ?? []), ...pod.containers];
}

// A native sidecar: an init container that keeps running beside the main ones.
export function isSidecar(container) {
  return container.restartPolicy === "Always";
}

// A NetworkPolicy rule's port (a number, or a name of a port of `pods`) as container port
// numbers of those pods; null for a rule without ports (every port).
export function rulePortNumbers(rule, pods) {
  if (!rule.ports?.length) return null;
  const numbers = new Set();
  for (const { port } of rule.ports) {
    if (Number.isInteger(port)) numbers.add(port);
    for (const pod of pods) {
      for (const container of allContainers(pod)) {
        for (const p of container.ports ?? []) if (p.name === port) numbers.add(p.containerPort);
      }
    }
  }
  return numbers;
}
