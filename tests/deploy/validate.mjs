// deploy.render_and_validate, the Node half: validates every object of rendered overlays
// against the Kubernetes API schemas (kubernetes-models) and checks the deployment's own
// invariants. Prints one line per problem and a closing "N passed, N failed" (one per overlay);
// exits 1 on any problem.
//
// usage: node validate.mjs DEPLOY_README OVERLAY=RENDERED_YAML...
import { readFileSync } from "node:fs";
import {
  allContainers, binaryOf, describe, effectiveSecurity, isBindHost, isSidecar, loadObjects,
  mapMatches, parseAddress, resolveServicePort, rulePortNumbers, selectorMatches, serviceNamed,
  settingsOf, workloads,
} from "./manifests.mjs";

// Defaults of the binaries that the invariants depend on (README, flags tables).
const DEFAULT_SHUTDOWN_GRACE_S = 10;
const DEFAULT_DRAIN_DELAY_S = 5;
const ETIQUETTE_UID = 65532;
// Flags whose value is an address the binary listens on; the manifests must set each one,
// since a default would put a port in the pod that no containerPort, probe or test knows.
const LISTEN_FLAGS = ["listen", "health_listen", "metrics_listen"];
// History's admin listener (SenderHistoryAdmin): its own port, Service and NetworkPolicy.
const ADMIN_LISTEN_FLAG = "admin_listen";
// Objects that may expose the admin port: the admin Service and the admin NetworkPolicy.
const ADMIN_SUFFIX = "-admin";
// The placeholder of base/network-policies.yaml that the overlay's network-peers.yaml replaces.
const PEERS_PLACEHOLDER = "SET-BY-OVERLAY";
const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
// Overlays whose images must be pinned by digest and whose services must require TLS.
const PRODUCTION_OVERLAYS = ["production"];
const DIGEST_REFERENCE = /@sha256:[0-9a-f]{64}$/;

// --- Schema validation -------------------------------------------------------------------

// The kubernetes-models class for an object: module "kubernetes-models/<apiVersion>", export
// <kind>. Null when the package has none (an unknown or misspelled kind or apiVersion).
async function modelClass(object) {
  try {
    const module = await import(`kubernetes-models/${object.apiVersion}`);
    const cls = module[object.kind];
    return typeof cls === "function" && typeof cls.prototype.validate === "function" ? cls : null;
  } catch {
    return null;
  }
}

// kubernetes-models' schemas accept unknown fields (the API server rejects them: kubectl
// apply validates strictly). Its compiled validators read every property their schema
// defines, so the validator runs once more on a Proxy that records which properties were
// read; an own property never read is not in the schema.
function unknownFields(cls, object) {
  const reads = new Map();
  const track = (value) => {
    if (value === null || typeof value !== "object") return value;
    if (!reads.has(value)) reads.set(value, new Set());
    const seen = reads.get(value);
    return new Proxy(value, {
      get(target, property, receiver) {
        if (typeof property === "string") seen.add(property);
        return track(Reflect.get(target, property, receiver));
      },
    });
  };
  try {
    cls.prototype.validate.call(track(object));
  } catch {
    // Reported by the plain validation.
  }
  const unknown = [];
  const walk = (value, path) => {
    if (value === null || typeof value !== "object") return;
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, `${path}[${i}]`));
      return;
    }
    const seen = reads.get(value) ?? new Set();
    for (const key of Object.keys(value)) {
      if (seen.has(key)) walk(value[key], `${path}.${key}`);
      else unknown.push(`${path}.${key}`.slice(1));
    }
  };
  walk(object, "");
  return unknown;
}

// Custom resources with no schema in kubernetes-models, and where they are checked instead.
const CUSTOM_KINDS = {
  // tests/prometheus: promtool check / test rules, and prometheus.rules_in_sync.
  "monitoring.coreos.com/v1 PrometheusRule": (object) =>
    Array.isArray(object.spec?.groups) && object.spec.groups.length > 0,
};

async function validateSchemas(objects, fail) {
  for (const object of objects) {
    const custom = CUSTOM_KINDS[`${object.apiVersion} ${object.kind}`];
    if (custom !== undefined) {
      if (!custom(object)) fail(`${describe(object)}: no spec.groups`);
      continue;
    }
    const cls = await modelClass(object);
    if (cls === null) {
      fail(`${describe(object)}: unknown apiVersion/kind ${object.apiVersion} ${object.kind}`);
      continue;
    }
    try {
      new cls(object).validate();
    } catch (error) {
      fail(`${describe(object)}: ${error.message}`);
    }
    for (const field of unknownFields(cls, object)) {
      fail(`${describe(object)}: unknown field ${field}`);
    }
  }
}

// --- Invariants of every workload ----------------------------------------------------------

function checkResources(where, container, fail) {
  for (const kind of ["requests", "limits"]) {
    for (const resource of ["cpu", "memory"]) {
      if (container.resources?.[kind]?.[resource] === undefined) {
        fail(`${where}: no resources.${kind}.${resource}`);
      }
    }
  }
}

function checkSecurity(where, pod, container, fail, { probes = true } = {}) {
  const get = (field) => effectiveSecurity(pod, container, field);
  if (get("runAsNonRoot") !== true) fail(`${where}: runAsNonRoot is not true`);
  const uid = get("runAsUser");
  if (!Number.isInteger(uid) || uid <= 0) fail(`${where}: runAsUser is not a non-root uid`);
  if (container.securityContext?.readOnlyRootFilesystem !== true) {
    fail(`${where}: readOnlyRootFilesystem is not true`);
  }
  if (container.securityContext?.allowPrivilegeEscalation !== false) {
    fail(`${where}: allowPrivilegeEscalation is not false`);
  }
  if (!container.securityContext?.capabilities?.drop?.includes("ALL")) {
    fail(`${where}: capabilities do not drop ALL`);
  }
  if (get("seccompProfile")?.type !== "RuntimeDefault") {
    fail(`${where}: seccompProfile is not RuntimeDefault`);
  }
  if (!probes) return;
  if (!container.readinessProbe) fail(`${where}: no readinessProbe`);
  if (!container.livenessProbe) fail(`${where}: no livenessProbe`);
}

// The project's own containers: flags, gRPC probes, ports, shutdown timing, scraping.
function checkEtiquetteContainer(where, workload, container, fail) {
  const problems = [];
  const settings = settingsOf(container, problems);
  problems.forEach((p) => fail(`${where}: ${p}`));
  const { pod, template } = workload;

  if (effectiveSecurity(pod, container, "runAsUser") !== ETIQUETTE_UID) {
    fail(`${where}: runAsUser is not ${ETIQUETTE_UID}, the image's user`);
  }
  if (pod.enableServiceLinks !== false) {
    fail(`${where}: enableServiceLinks is not false (service links add ETIQUETTE_* variables)`);
  }
  if (pod.automountServiceAccountToken !== false) {
    fail(`${where}: automountServiceAccountToken is not false`);
  }
  if (!pod.topologySpreadConstraints?.length) fail(`${where}: no topologySpreadConstraints`);

  const ports = {};
  const listenFlags = binaryOf(container) === "etiquette-history"
    ? [...LISTEN_FLAGS, ADMIN_LISTEN_FLAG] : LISTEN_FLAGS;
  for (const flag of listenFlags) {
    const address = parseAddress(settings.get(flag)?.value);
    if (!settings.has(flag)) {
      fail(`${where}: --${flag} is not set (the default would be a port nobody declared)`);
    } else if (!address || !["", "0.0.0.0", "[::]"].includes(address.host)) {
      // A loopback address would be out of reach of the kubelet's probes and of other pods.
      fail(`${where}: --${flag}=${settings.get(flag).value} is not a host:port on every ` +
           `interface (0.0.0.0:PORT)`);
    } else {
      ports[flag] = address.port;
      if (!container.ports?.some((p) => p.containerPort === address.port)) {
        fail(`${where}: --${flag} port ${address.port} is not a containerPort`);
      }
    }
  }

  // Native gRPC probes on the plaintext health port: the kubelet cannot do TLS.
  for (const kind of ["readinessProbe", "livenessProbe"]) {
    const probe = container[kind];
    if (!probe?.grpc) {
      fail(`${where}: ${kind} is not a gRPC probe`);
    } else if (probe.grpc.port !== ports.health_listen) {
      fail(`${where}: ${kind} port ${probe.grpc.port} is not the --health_listen port ` +
           `${ports.health_listen}`);
    }
  }
  // The image has no shell tools to rely on.
  for (const handler of [container.lifecycle?.preStop, container.lifecycle?.postStart,
                         container.readinessProbe, container.livenessProbe, container.startupProbe]) {
    if (handler?.exec) fail(`${where}: exec handler ${JSON.stringify(handler.exec.command)}`);
  }

  // The kubelet's SIGKILL must come after the service's own drain: the delay while endpoint
  // removal spreads (and any preStop sleep), then the grace for calls in flight.
  const grace = Number(settings.get("shutdown_grace_s")?.value ?? DEFAULT_SHUTDOWN_GRACE_S);
  const delay = Number(settings.get("drain_delay_s")?.value ?? DEFAULT_DRAIN_DELAY_S);
  const preStop = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
  const termination = pod.terminationGracePeriodSeconds ?? 30;
  if (!(termination > grace + delay + preStop)) {
    fail(`${where}: terminationGracePeriodSeconds ${termination} is not more than ` +
         `--drain_delay_s ${delay} + --shutdown_grace_s ${grace} + preStop sleep ${preStop}`);
  }
  if (!(delay > 0)) fail(`${where}: --drain_delay_s is 0: calls routed during endpoint removal fail`);
  // A rollout takes the next old pod only once clients have connected to the new one.
  if (workload.object.kind === "Deployment" && !(workload.object.spec.minReadySeconds > 0)) {
    fail(`${where}: no minReadySeconds`);
  }

  const annotations = template.metadata?.annotations ?? {};
  if (annotations["prometheus.io/scrape"] !== "true") {
    fail(`${where}: no prometheus.io/scrape: "true" annotation on the pod`);
  }
  if (Number(annotations["prometheus.io/port"]) !== ports.metrics_listen) {
    fail(`${where}: prometheus.io/port ${annotations["prometheus.io/port"]} is not the ` +
         `--metrics_listen port ${ports.metrics_listen}`);
  }
  if (!annotations["prometheus.io/path"]?.startsWith("/")) {
    fail(`${where}: no prometheus.io/path annotation`);
  }
  return settings;
}

// Addresses the service connects to, given as a bare name, must be a Service of the overlay
// with that port (a typo would otherwise surface only as a failing pod).
function checkServiceAddresses(objects, where, settings, fail) {
  for (const [flag, setting] of settings) {
    const address = parseAddress(setting.value);
    if (!address || isBindHost(address.host) || address.host.includes(".")) continue;
    const service = serviceNamed(objects, address.host);
    if (!service) {
      fail(`${where}: ${setting.where} names host ${address.host}, which is no Service here`);
    } else if (!resolveServicePort(objects, service, address.port)) {
      fail(`${where}: ${setting.where}: Service ${address.host} has no port ${address.port} ` +
           `leading to a container port`);
    }
  }
}

// --- Invariants across objects -------------------------------------------------------------

function checkReferences(objects, readme, fail) {
  const byKind = (kind) => objects.filter((o) => o.kind === kind);
  const all = workloads(objects);
  const configMaps = new Set(byKind("ConfigMap").map((o) => o.metadata.name));

  for (const workload of all) {
    const where = `${workload.object.kind}/${workload.name}`;
    for (const volume of workload.pod.volumes ?? []) {
      if (volume.configMap && !configMaps.has(volume.configMap.name)) {
        fail(`${where}: volume ${volume.name} uses ConfigMap ${volume.configMap.name}, ` +
             `which the overlay does not create`);
      }
      // Secrets are created by the operator; deploy/README.md must list each one.
      const secret = volume.secret?.secretName;
      if (secret && !readme.includes(`\`${secret}\``)) {
        fail(`${where}: Secret ${secret} is not documented in deploy/README.md`);
      }
    }
    for (const container of allContainers(workload.pod)) {
      for (const entry of container.env ?? []) {
        const secret = entry.valueFrom?.secretKeyRef?.name;
        if (secret && !readme.includes(`\`${secret}\``)) {
          fail(`${where}: Secret ${secret} is not documented in deploy/README.md`);
        }
        const configMap = entry.valueFrom?.configMapKeyRef?.name;
        if (configMap && !configMaps.has(configMap)) {
          fail(`${where}: env ${entry.name} uses ConfigMap ${configMap}, which is not created`);
        }
      }
    }
  }

  for (const service of byKind("Service")) {
    const backing = all.filter((w) => mapMatches(service.spec.selector, w.template.metadata?.labels));
    if (backing.length === 0) fail(`${describe(service)}: selects no workload's pods`);
    for (const port of service.spec.ports ?? []) {
      if (backing.length && !resolveServicePort(objects, service, port.port)) {
        fail(`${describe(service)}: port ${port.port} has no matching container port`);
      }
    }
    // gRPC backends of the project: headless, so that clients balance per call over the pods
    // (a virtual IP pins each HTTP/2 connection, and so every call on it, to one pod).
    // The admin Service is a ClusterIP on purpose (base/history.yaml says why).
    const grpcPort = (service.spec.ports ?? []).some((p) => p.appProtocol === "grpc");
    const ours = backing.some((w) => binaryOf(w.pod.containers[0]));
    const admin = service.metadata.name.endsWith(ADMIN_SUFFIX);
    if (grpcPort && ours && !admin && service.spec.clusterIP !== "None") {
      fail(`${describe(service)}: a gRPC backend Service is not headless (clusterIP: None)`);
    }
  }

  const hpaTargets = new Set();
  for (const hpa of byKind("HorizontalPodAutoscaler")) {
    const ref = hpa.spec.scaleTargetRef;
    const target = all.find((w) => w.object.kind === ref.kind && w.name === ref.name);
    if (!target) fail(`${describe(hpa)}: scales ${ref.kind}/${ref.name}, which does not exist`);
    else hpaTargets.add(target);
  }

  for (const workload of all.filter((w) => w.object.kind === "Deployment")) {
    const where = `Deployment/${workload.name}`;
    const labels = workload.template.metadata?.labels;
    if (!byKind("PodDisruptionBudget").some((p) => selectorMatches(p.spec.selector, labels))) {
      fail(`${where}: no PodDisruptionBudget selects its pods`);
    }
    if (hpaTargets.has(workload) && workload.object.spec.replicas !== undefined) {
      fail(`${where}: sets replicas although a HorizontalPodAutoscaler owns them`);
    }
  }

  for (const policy of byKind("NetworkPolicy")) {
    const selected = all.filter((w) =>
      selectorMatches(policy.spec.podSelector, w.template.metadata?.labels));
    if (selected.length === 0) fail(`${describe(policy)}: selects no workload's pods`);
    for (const rule of policy.spec.ingress ?? []) {
      for (const { port } of rule.ports ?? []) {
        // Ingress ports are ports of the selected pods (egress ports are the peers').
        const declared = selected.every((w) => w.pod.containers.some((c) =>
          (c.ports ?? []).some((p) => p.name === port || p.containerPort === port)));
        if (!declared) fail(`${describe(policy)}: port ${port} is not a port of its pods`);
      }
    }
  }
}

// --- Network policies (what a security review checks) -----------------------------------------

// A peer's namespaceSelector names namespaces by name: kubernetes.io/metadata.name, which
// Kubernetes sets and nobody can forge (any other namespace label can be set by whoever may
// label a namespace). Returns the names, or a problem.
function namespaceNames(selector) {
  if (!selector) return { problem: "no namespaceSelector" };
  const names = [];
  const label = selector.matchLabels?.[NAMESPACE_NAME_LABEL];
  if (label !== undefined) names.push(label);
  for (const expression of selector.matchExpressions ?? []) {
    if (expression.key !== NAMESPACE_NAME_LABEL || expression.operator !== "In") {
      return { problem: `namespaceSelector expression ${expression.key} ${expression.operator} ` +
                        `is not "${NAMESPACE_NAME_LABEL} In [names]"` };
    }
    names.push(...(expression.values ?? []));
  }
  const otherLabels = Object.keys(selector.matchLabels ?? {}).filter((k) => k !== NAMESPACE_NAME_LABEL);
  if (otherLabels.length) return { problem: `namespaceSelector uses label ${otherLabels[0]}` };
  if (names.length === 0) return { problem: `namespaceSelector does not name namespaces by ${NAMESPACE_NAME_LABEL}` };
  if (names.includes(PEERS_PLACEHOLDER)) {
    return { problem: `namespace list still ${PEERS_PLACEHOLDER} (network-peers.yaml / ` +
                      `the network-peers component did not fill it)` };
  }
  return { names };
}

// Each peer: namespace by name AND a pod label, in the same element (two elements would be
// an OR: any pod of those namespaces, or that label in this namespace). Egress may also go to
// an ipBlock (a Redis outside the cluster).
function checkPeers(policy, fail) {
  const check = (peer, where, allowIpBlock) => {
    if (peer.ipBlock) {
      if (!allowIpBlock) fail(`${describe(policy)}: ${where}: an ipBlock peer (by namespace and pod only)`);
      return;
    }
    const { problem } = namespaceNames(peer.namespaceSelector);
    if (problem) fail(`${describe(policy)}: ${where}: ${problem}`);
    if (!Object.keys(peer.podSelector?.matchLabels ?? {}).length) {
      fail(`${describe(policy)}: ${where}: no podSelector label in the same peer`);
    }
  };
  (policy.spec.ingress ?? []).forEach((rule, i) => {
    if (!rule.from?.length) fail(`${describe(policy)}: ingress[${i}] admits every source`);
    (rule.from ?? []).forEach((peer, j) => check(peer, `ingress[${i}].from[${j}]`, false));
  });
  (policy.spec.egress ?? []).forEach((rule, i) => {
    if (!rule.to?.length) fail(`${describe(policy)}: egress[${i}] allows every destination`);
    if (!rule.ports?.length) fail(`${describe(policy)}: egress[${i}] allows every port`);
    (rule.to ?? []).forEach((peer, j) => check(peer, `egress[${i}].to[${j}]`, true));
  });
}

function checkNetworkPolicies(objects, fail) {
  const policies = objects.filter((o) => o.kind === "NetworkPolicy");
  policies.forEach((policy) => checkPeers(policy, fail));
  const all = workloads(objects);
  const selecting = (workload, type) => policies.filter((p) =>
    (p.spec.policyTypes ?? ["Ingress"]).includes(type) &&
    selectorMatches(p.spec.podSelector, workload.template.metadata?.labels));

  // Default deny, in and out, for the whole namespace.
  const defaultDeny = policies.some((p) => Object.keys(p.spec.podSelector ?? {}).length === 0 &&
    ["Ingress", "Egress"].every((t) => p.spec.policyTypes?.includes(t)) &&
    !p.spec.ingress?.length && !p.spec.egress?.length);
  if (!defaultDeny) fail("no default-deny NetworkPolicy (podSelector {}, Ingress and Egress, no rules)");

  for (const workload of all) {
    const where = `${workload.object.kind}/${workload.name}`;
    const egress = selecting(workload, "Egress").flatMap((p) => p.spec.egress ?? []);
    if (egress.length === 0) fail(`${where}: no NetworkPolicy allows it any egress`);
    // DNS: kube-dns in kube-system, UDP and TCP 53.
    for (const protocol of ["UDP", "TCP"]) {
      const dns = egress.some((rule) =>
        (rule.ports ?? []).some((p) => (p.protocol ?? "TCP") === protocol && p.port === 53) &&
        (rule.to ?? []).some((peer) =>
          namespaceNames(peer.namespaceSelector).names?.includes("kube-system") &&
          peer.podSelector?.matchLabels?.["k8s-app"] === "kube-dns"));
      if (!dns) fail(`${where}: no egress to kube-dns (kube-system) on ${protocol} 53`);
    }
  }

  // Each connection an etiquette service makes to a Service of the overlay is allowed out of
  // its pod, to the backing pods' port (evaluator -> history, history -> in-cluster Redis).
  for (const workload of all) {
    const container = workload.pod.containers[0];
    if (!binaryOf(container)) continue;
    for (const [flag, setting] of settingsOf(container, [])) {
      if (flag.endsWith("listen")) continue;
      const address = parseAddress(setting.value);
      if (!address || isBindHost(address.host)) continue;
      const service = serviceNamed(objects, address.host);
      const target = service && resolveServicePort(objects, service, address.port);
      if (!target) continue;
      const allowed = selecting(workload, "Egress").some((p) => (p.spec.egress ?? []).some((rule) =>
        (rule.to ?? []).some((peer) => peer.podSelector &&
          selectorMatches(peer.podSelector, target.workload.template.metadata?.labels) &&
          namespaceNames(peer.namespaceSelector).names?.includes(workload.object.metadata.namespace)) &&
        rulePortNumbers(rule, [target.workload.pod])?.has(target.port)));
      if (!allowed) {
        fail(`Deployment/${workload.name}: ${setting.where} connects to ${address.host}:` +
             `${address.port}, which no egress rule allows`);
      }
    }
  }

  // History's admin port: only the -admin Service and the -admin NetworkPolicy expose it.
  for (const workload of all.filter((w) => binaryOf(w.pod.containers[0]) === "etiquette-history")) {
    const admin = parseAddress(settingsOf(workload.pod.containers[0], []).get(ADMIN_LISTEN_FLAG)?.value);
    if (!admin) continue;
    const labels = workload.template.metadata?.labels;
    for (const service of objects.filter((o) => o.kind === "Service")) {
      if (!mapMatches(service.spec.selector, labels) || service.metadata.name.endsWith(ADMIN_SUFFIX)) {
        continue;
      }
      for (const port of service.spec.ports ?? []) {
        if (resolveServicePort(objects, service, port.port)?.port === admin.port) {
          fail(`${describe(service)}: exposes history's admin port ${admin.port} (only a ` +
               `*${ADMIN_SUFFIX} Service may)`);
        }
      }
    }
    for (const policy of selectingPolicies(policies, labels)) {
      if (policy.metadata.name.endsWith(ADMIN_SUFFIX)) continue;
      (policy.spec.ingress ?? []).forEach((rule, i) => {
        const ports = rulePortNumbers(rule, [workload.pod]);
        if (ports === null || ports.has(admin.port)) {
          fail(`${describe(policy)}: ingress[${i}] admits history's admin port ${admin.port} ` +
               `(only a *${ADMIN_SUFFIX} NetworkPolicy may)`);
        }
      });
    }
  }
}

function selectingPolicies(policies, labels) {
  return policies.filter((p) => selectorMatches(p.spec.podSelector, labels));
}

// --- Production -------------------------------------------------------------------------------

// Images by digest (what runs is what was released, whatever happens to a tag), TLS required.
function checkProduction(objects, fail) {
  for (const workload of workloads(objects)) {
    for (const container of allContainers(workload.pod)) {
      const where = `${workload.object.kind}/${workload.name} container ${container.name}`;
      if (!DIGEST_REFERENCE.test(container.image ?? "")) {
        fail(`${where}: image ${container.image} is not pinned by digest (@sha256:<64 hex>)`);
      }
      if (binaryOf(container) && !(container.args ?? []).includes("--require_tls=true")) {
        fail(`${where}: args do not contain --require_tls=true`);
      }
    }
  }
}

// --- Main ------------------------------------------------------------------------------------

async function validateOverlay(name, file, readme) {
  const failures = new Set(); // A Set: two env entries from one Secret make one message.
  const fail = (message) => failures.add(message);
  const objects = loadObjects(file);
  if (objects.length === 0) fail("renders no objects");

  await validateSchemas(objects, fail);
  for (const workload of workloads(objects)) {
    for (const container of workload.pod.initContainers ?? []) {
      const where = `${workload.object.kind}/${workload.name} init container ${container.name}`;
      checkResources(where, container, fail);
      // Probes are for the main containers (a plain init container cannot have any).
      checkSecurity(where, workload.pod, container, fail, { probes: false });
      if (isSidecar(container) && binaryOf(container)) fail(`${where}: a service as a sidecar`);
    }
    for (const container of workload.pod.containers) {
      const where = `${workload.object.kind}/${workload.name} container ${container.name}`;
      checkResources(where, container, fail);
      checkSecurity(where, workload.pod, container, fail);
      if (binaryOf(container)) {
        const settings = checkEtiquetteContainer(where, workload, container, fail);
        checkServiceAddresses(objects, where, settings, fail);
      }
    }
  }
  if (!workloads(objects).some((w) => binaryOf(w.pod.containers[0]) === "etiquette-evaluator") ||
      !workloads(objects).some((w) => binaryOf(w.pod.containers[0]) === "etiquette-history")) {
    fail("does not run both etiquette-evaluator and etiquette-history");
  }
  checkReferences(objects, readme, fail);
  checkNetworkPolicies(objects, fail);
  if (PRODUCTION_OVERLAYS.includes(name)) checkProduction(objects, fail);

  for (const message of failures) console.log(`FAIL: ${name}: ${message}`);
  const kinds = [...new Set(objects.map((o) => o.kind))].sort().join(", ");
  if (failures.size === 0) console.log(`ok: ${name}: ${objects.length} objects valid (${kinds})`);
  return failures.size === 0;
}

async function main() {
  const [readmeFile, ...overlays] = process.argv.slice(2);
  if (!readmeFile || overlays.length === 0) {
    console.error("usage: node validate.mjs DEPLOY_README OVERLAY=RENDERED_YAML...");
    process.exit(2);
  }
  const readme = readFileSync(readmeFile, "utf8");
  let passed = 0;
  let failed = 0;
  for (const overlay of overlays) {
    const [name, file] = overlay.split("=");
    if (await validateOverlay(name, file, readme)) passed++;
    else failed++;
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

await main();
