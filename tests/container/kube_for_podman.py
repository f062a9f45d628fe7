#!/usr/bin/env python3
"""Turns a rendered overlay into what `podman kube play` (Debian 12's podman 4.3) can start.

usage: kube_for_podman.py RENDERED.yaml OUT_DIR REDIS_IMAGE SECRET=KEY=FILE...

Writes one file per workload (OUT_DIR/<name>.yaml): the workload as a Deployment, followed by
the ConfigMaps it mounts, so that each can be played on its own with the network alias its
Service name gives it. Prints "<name> <file> <podman volume>..." per workload (kube play
keeps the volumes it makes for ConfigMaps and emptyDirs after the pod is gone).

- Deployment: kept as rendered.
- StatefulSet (the dev overlay's Redis): played as a Deployment of the same pod template;
  its volumeClaimTemplates become emptyDir volumes (kube play has no StatefulSet).
- ConfigMap: kept. Secrets (the overlays only reference them; an operator creates them) come
  from SECRET=KEY=FILE arguments: podman 4.3's kube play has no Secret kind (a secret volume
  crashes it, a podman secret for secretKeyRef must be a JSON it fails to decode), so a secret
  volume becomes a hostPath folder written here (OUT_DIR/secrets/<volume>, the items' paths)
  and a secretKeyRef variable gets the value itself.
- `$(VAR)` references in command/args are expanded here, as the kubelet would (kube play 4.3
  does not).
- Dropped, as kube play does not start them: Namespace, Service (a network alias with the
  Service's name stands in: the Services here are headless, one name per workload),
  HorizontalPodAutoscaler, PodDisruptionBudget, NetworkPolicy. Anything else fails.
- Init containers (the dev Redis's `acl`) run as a first step of their pod's main container
  (same image, their mounts added): kube play 4.3 often fails removing an exited init container.
- The Redis image (the official redis:7.0.15-bookworm, not reachable here) is replaced by
  REDIS_IMAGE, Debian's redis-server built from deploy/Dockerfile's stage redis.
"""
import os
import re
import shlex
import sys

import yaml

DROPPED = {"Namespace", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget",
           "NetworkPolicy"}


def main():
    rendered, out_dir, redis_image = sys.argv[1:4]
    secrets = {}
    for arg in sys.argv[4:]:
        name, key, path = arg.split("=", 2)
        with open(path, "rb") as f:
            secrets.setdefault(name, {})[key] = f.read()
    with open(rendered) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]

    config_maps = {}
    workloads = []
    for doc in docs:
        kind = doc["kind"]
        if kind == "ConfigMap":
            config_maps[doc["metadata"]["name"]] = doc
        elif kind == "Deployment":
            workloads.append(doc)
        elif kind == "StatefulSet":
            spec = doc["spec"]
            template = spec["template"]
            # emptyDir becomes a podman volume of the volume's name: make it the workload's.
            for claim in spec.get("volumeClaimTemplates", []):
                old_name = claim["metadata"]["name"]
                new_name = f"{doc['metadata']['name']}-{old_name}"
                template["spec"].setdefault("volumes", []).append(
                    {"name": new_name, "emptyDir": {}})
                for container in template["spec"]["containers"]:
                    for mount in container.get("volumeMounts", []):
                        if mount["name"] == old_name:
                            mount["name"] = new_name
            workloads.append({
                "apiVersion": "apps/v1", "kind": "Deployment", "metadata": doc["metadata"],
                "spec": {"replicas": 1, "selector": spec["selector"], "template": template}})
        elif kind not in DROPPED:
            sys.exit(f"kube_for_podman: unexpected kind {kind} ({doc['metadata']['name']})")

    for workload in workloads:
        pod = workload["spec"]["template"]["spec"]
        every_container = pod["containers"] + pod.get("initContainers", [])
        if pod.get("initContainers"):
            # kube play 4.3 often fails to remove an exited init container ("cannot remove
            # container ... as it is running") and gives up on the pod. Run each init container's
            # command first in the (same image) main container instead, with its mounts too.
            main = pod["containers"][0]
            steps = []
            for init in pod.pop("initContainers"):
                if init["image"] != main["image"]:
                    sys.exit(f"kube_for_podman: init container {init['name']} of {name0(workload)} "
                             "has another image than its main container")
                steps.append(shlex.join(init.get("command", []) + init.get("args", [])))
                mounted = {m["mountPath"]: m for m in main.get("volumeMounts", [])}
                for mount in init.get("volumeMounts", []):
                    if mount["mountPath"] not in mounted:
                        main.setdefault("volumeMounts", []).append(mount)
                    elif not mount.get("readOnly"):  # the init step writes where main reads
                        mounted[mount["mountPath"]].pop("readOnly", None)
            steps.append("exec " + shlex.join(main.get("command", []) + main.get("args", [])))
            main["command"] = ["sh", "-c", " && ".join(steps)]
            main.pop("args", None)
            every_container = pod["containers"]
        for container in every_container:
            if container["image"].startswith("redis:"):
                container["image"] = redis_image
        name = workload["metadata"]["name"]
        extra = []
        for volume in pod.get("volumes", []):
            if "configMap" in volume:
                extra.append(config_maps[volume["configMap"]["name"]])
            elif "secret" in volume:
                source = volume.pop("secret")
                data = secret(source["secretName"], secrets, name)
                folder = os.path.join(out_dir, "secrets", name, volume["name"])
                os.makedirs(folder, mode=0o755)
                items = source.get("items") or [{"key": k, "path": k} for k in data]
                for item in items:
                    path = os.path.join(folder, item["path"])
                    with open(path, "wb") as f:
                        f.write(data[item["key"]])
                    os.chmod(path, 0o444)  # the container's uid is not the file's owner
                volume["hostPath"] = {"path": os.path.abspath(folder), "type": "Directory"}
        for container in every_container:
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    del env["valueFrom"]
                    env["value"] = secret(ref["name"], secrets, name)[ref["key"]].decode()
            # `$(VAR)` in command and args, expanded as the kubelet does (kube play 4.3 passes
            # them on literally: Redis's password would be the text "$(REDIS_PASSWORD)").
            values = {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}
            for field in ("command", "args"):
                if field in container:
                    container[field] = [expand(a, values) for a in container[field]]
        path = os.path.join(out_dir, name + ".yaml")
        with open(path, "w") as f:
            yaml.safe_dump_all([workload] + extra, f)
        # The podman volumes kube play makes for them (kept after the pod is removed).
        volumes = [v["configMap"]["name"] if "configMap" in v else v["name"]
                   for v in pod.get("volumes", []) if "configMap" in v or "emptyDir" in v]
        print(name, path, *volumes)


def name0(workload):
    return workload["metadata"]["name"]


def expand(arg, values):
    """Kubernetes' $(VAR) expansion: known names replaced, $$ is a literal $."""
    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                  lambda m: "$" if m.group(0) == "$$" else values.get(m.group(1), m.group(0)),
                  arg)


def secret(name, secrets, workload):
    if name not in secrets:
        sys.exit(f"kube_for_podman: {workload} needs Secret {name}; pass its keys as "
                 "SECRET=KEY=FILE")
    return secrets[name]


if __name__ == "__main__":
    main()
