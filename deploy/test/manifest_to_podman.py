#!/usr/bin/env python3
"""Turns a pod template from rendered Kubernetes manifests (kubectl kustomize output) into `podman run` arguments, so a
test runs the containers exactly as the manifests say. Taken verbatim: command, args, env (value, secretKeyRef,
configMapKeyRef, envFrom), the image's user and read-only root, dropped capabilities, volume mounts. Substituted, as a
pod's surroundings become a container's: the pod's name and its DNS names (POD.SERVICE[.NS[.svc[.cluster.local]]],
SERVICE.NS.svc...) become container names; downward-API values (fieldRef, resourceFieldRef) their container
equivalents; persistent volumes become named podman volumes, emptyDirs tmpfs mounts. Resources and probes are not
applied (the test waits for readiness itself).
    manifest_to_podman.py run RENDERED.yaml KIND/NAME --container-name C --ip IP --volume-prefix P --image IMAGE
        prints the arguments after `podman run`, NUL-separated (network, name and ports are the caller's)
    manifest_to_podman.py secret RENDERED.yaml KEY      prints the value of KEY from the Secret that holds it
    manifest_to_podman.py port RENDERED.yaml SERVICE    prints the container port behind the Service's first port
    manifest_to_podman.py fill-secrets KUSTOMIZE_DIR    writes every missing secretGenerator env file with random values
"""
import argparse
import base64
import json
import math
import os
import re
import secrets
import socket
import sys
import tempfile
import yaml


def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def find(docs, kind, name):
    for d in docs:
        if d["kind"] == kind and d["metadata"]["name"] == name:
            return d
    sys.exit(f"manifest_to_podman: no {kind} named {name} in the rendered manifests")


def by_name(docs, kind, name):
    """A generated Secret or ConfigMap as references name it after kustomize (name plus hash suffix)."""
    for d in docs:
        if d["kind"] == kind and d["metadata"]["name"] == name:
            return d
    sys.exit(f"manifest_to_podman: a reference names {kind} {name}, which the manifests do not define")


def data_of(obj):
    values = {k: base64.b64decode(v).decode() for k, v in (obj.get("data") or {}).items()} if obj["kind"] == "Secret" \
        else dict(obj.get("data") or {})
    values.update(obj.get("stringData") or {})
    return values


QUANTITY = {"m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def quantity(text):
    m = re.fullmatch(r"([0-9.]+)([a-zA-Z]*)", str(text))
    return float(m.group(1)) * QUANTITY.get(m.group(2), 1)


def resource_field(container, ref):
    kind, resource = ref["resource"].split(".", 1)  # limits.cpu, requests.memory
    value = ((container.get("resources") or {}).get(kind) or {}).get(resource)
    if value is None:  # as Kubernetes does without a limit: the node's allocatable
        value = os.cpu_count() if resource == "cpu" else os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return str(math.ceil(quantity(value) / quantity(ref.get("divisor", "1"))))


class Pod:
    def __init__(self, docs, workload, container_name, ip):
        self.docs, self.workload, self.name, self.ip = docs, workload, container_name, ip
        self.template = workload["spec"]["template"]
        self.namespace = workload["metadata"].get("namespace", "default")
        services = [d for d in docs if d["kind"] == "Service"]
        self.service_names = [s["metadata"]["name"] for s in services]

    def field(self, path):
        meta = self.template.get("metadata") or {}
        known = {"metadata.name": self.name, "metadata.namespace": self.namespace, "status.podIP": self.ip,
                 "status.podIPs": self.ip, "status.hostIP": self.ip, "spec.nodeName": socket.gethostname(),
                 "spec.serviceAccountName": self.template["spec"].get("serviceAccountName", "default")}
        if path in known:
            return known[path]
        m = re.fullmatch(r"metadata\.(labels|annotations)\['([^']+)'\]", path)
        if m:
            return (meta.get(m.group(1)) or {}).get(m.group(2), "")
        sys.exit(f"manifest_to_podman: no container equivalent for the downward-API field {path}")

    def dns(self, text):
        """POD.SERVICE[.NS[.svc[.cluster.local]]] -> POD; SERVICE.NS[.svc[.cluster.local]] -> SERVICE (the container names)."""
        services = "|".join(map(re.escape, self.service_names))
        ns = re.escape(self.namespace)
        suffix = rf"(?:\.{ns}(?:\.svc(?:\.cluster\.local)?)?)?"
        text = re.sub(rf"\b([a-z0-9][a-z0-9-]*)\.(?:{services}){suffix}(?![\w.-])", r"\1", text)
        return re.sub(rf"\b({services})\.{ns}(?:\.svc(?:\.cluster\.local)?)?(?![\w.-])", r"\1", text)

    @staticmethod
    def expand(text, env):
        """Kubernetes' $(VAR) expansion: known variables replaced, $$ escapes, unknown references left as they are."""
        return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)",
                      lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)), text)

    def environment(self, container):
        env = {}
        for source in container.get("envFrom") or []:
            ref = source.get("secretRef") or source.get("configMapRef")
            kind = "Secret" if "secretRef" in source else "ConfigMap"
            for k, v in data_of(by_name(self.docs, kind, ref["name"])).items():
                env[source.get("prefix", "") + k] = v
        for e in container.get("env") or []:
            if "value" in e:
                env[e["name"]] = self.expand(str(e["value"]), env)
                continue
            src = e["valueFrom"]
            if "secretKeyRef" in src or "configMapKeyRef" in src:
                ref = src.get("secretKeyRef") or src.get("configMapKeyRef")
                kind = "Secret" if "secretKeyRef" in src else "ConfigMap"
                data = data_of(by_name(self.docs, kind, ref["name"]))
                if ref["key"] not in data and ref.get("optional"):
                    continue  # as the kubelet does: an optional key that is missing sets nothing
                env[e["name"]] = data[ref["key"]]
            elif "fieldRef" in src:
                env[e["name"]] = self.field(src["fieldRef"]["fieldPath"])
            elif "resourceFieldRef" in src:
                env[e["name"]] = resource_field(container, src["resourceFieldRef"])
            else:
                sys.exit(f"manifest_to_podman: env {e['name']}: unsupported valueFrom {list(src)}")
        return {k: self.dns(v) for k, v in env.items()}

    def volumes(self, container, prefix):
        spec = self.template["spec"]
        declared = {v["name"]: v for v in spec.get("volumes") or []}
        claims = {t["metadata"]["name"] for t in self.workload["spec"].get("volumeClaimTemplates") or []}
        args = []
        for mount in container.get("volumeMounts") or []:
            name, path, ro = mount["name"], mount["mountPath"], ",ro" if mount.get("readOnly") else ""
            volume = declared.get(name, {})
            if name in claims or "persistentVolumeClaim" in volume:
                args += ["-v", f"{prefix}-{name}:{path}{ro and ':ro'}"]
            elif "emptyDir" in volume:
                size = volume["emptyDir"].get("sizeLimit")
                args += ["--tmpfs", f"{path}:rw,mode=1777" + (f",size={int(quantity(size))}" if size else "")]
            elif "secret" in volume or "configMap" in volume:
                kind, ref = ("Secret", volume["secret"]["secretName"]) if "secret" in volume else ("ConfigMap", volume["configMap"]["name"])
                folder = tempfile.mkdtemp(prefix=f"{prefix}-{name}-")
                for k, v in data_of(by_name(self.docs, kind, ref)).items():
                    with open(os.path.join(folder, k), "w") as f:
                        f.write(v)
                os.chmod(folder, 0o755)
                for k in os.listdir(folder):
                    os.chmod(os.path.join(folder, k), 0o644)
                args += ["-v", f"{folder}:{path}:ro"]
            else:
                sys.exit(f"manifest_to_podman: volume {name}: unsupported source {list(volume) or 'none'}")
        return args

    def security(self, container):
        pod = self.template["spec"].get("securityContext") or {}
        ctx = {**pod, **(container.get("securityContext") or {})}
        args = []
        if "runAsUser" in ctx:
            args += ["--user", f"{ctx['runAsUser']}" + (f":{ctx['runAsGroup']}" if "runAsGroup" in ctx else "")]
        if "fsGroup" in pod:
            args += ["--group-add", str(pod["fsGroup"])]
        if ctx.get("readOnlyRootFilesystem"):
            args += ["--read-only", "--read-only-tmpfs=false"]  # as in Kubernetes: only the volumes are writable
        if ctx.get("allowPrivilegeEscalation") is False:
            args += ["--security-opt", "no-new-privileges"]
        for cap in (ctx.get("capabilities") or {}).get("drop") or []:
            args += ["--cap-drop", cap.lower()]
        for cap in (ctx.get("capabilities") or {}).get("add") or []:
            args += ["--cap-add", cap.lower()]
        return args

    def run_args(self, container_name, prefix, image):
        containers = self.template["spec"]["containers"]
        container = next((c for c in containers if c["name"] == container_name), None) \
            or sys.exit(f"manifest_to_podman: {self.workload['metadata']['name']} has no container {container_name}")
        env = self.environment(container)
        args = []
        for k, v in env.items():
            args += ["--env", f"{k}={v}"]
        args += self.volumes(container, prefix) + self.security(container)
        grace = self.template["spec"].get("terminationGracePeriodSeconds", 30)  # what `podman stop` waits, as a drain does
        args += ["--stop-timeout", str(grace)]
        if container.get("workingDir"):
            args += ["--workdir", container["workingDir"]]
        command = [self.dns(self.expand(str(c), env)) for c in container.get("command") or []]
        if command:
            args += ["--entrypoint", json.dumps(command)]
        args.append(image)
        args += [self.dns(self.expand(str(a), env)) for a in container.get("args") or []]
        return args


def fill_secrets(root):
    """The test's own secrets: random values for every env file a secretGenerator names and the checkout lacks (its
    keys from the example beside it, else api-key and join-token)."""
    for folder, _, files in os.walk(root):
        for f in files:
            if f not in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
                continue
            with open(os.path.join(folder, f)) as k:
                kustomization = yaml.safe_load(k) or {}
            for generator in kustomization.get("secretGenerator") or []:
                for env_file in generator.get("envs") or []:
                    path = os.path.join(folder, env_file)
                    if os.path.exists(path):
                        continue
                    examples = [os.path.join(folder, e) for e in os.listdir(folder) if e.startswith(os.path.basename(env_file)) and "example" in e]
                    keys = ["api-key", "join-token"]
                    if examples:
                        with open(examples[0]) as e:
                            keys = [line.split("=", 1)[0].strip() for line in e if "=" in line and not line.lstrip().startswith("#")]
                    with open(path, "w") as out:
                        out.writelines(f"{key}={secrets.token_hex(24)}\n" for key in keys)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run")
    run.add_argument("rendered"); run.add_argument("workload"); run.add_argument("container")
    run.add_argument("--container-name", required=True); run.add_argument("--ip", required=True)
    run.add_argument("--volume-prefix", required=True); run.add_argument("--image", required=True)
    sec = sub.add_parser("secret"); sec.add_argument("rendered"); sec.add_argument("key")
    port = sub.add_parser("port"); port.add_argument("rendered"); port.add_argument("service")
    fill = sub.add_parser("fill-secrets"); fill.add_argument("root")
    a = p.parse_args()
    if a.cmd == "fill-secrets":
        return fill_secrets(a.root)
    docs = load(a.rendered)
    if a.cmd == "run":
        kind, name = a.workload.split("/", 1)
        pod = Pod(docs, find(docs, kind, name), a.container_name, a.ip)
        sys.stdout.write("\0".join(pod.run_args(a.container, a.volume_prefix, a.image)) + "\0")
    elif a.cmd == "secret":
        values = [data_of(d)[a.key] for d in docs if d["kind"] == "Secret" and a.key in data_of(d)]
        if len(values) != 1:
            sys.exit(f"manifest_to_podman: {len(values)} Secrets hold the key {a.key}; expected one")
        print(values[0])
    elif a.cmd == "port":
        service_port = find(docs, "Service", a.service)["spec"]["ports"][0]
        target = service_port.get("targetPort", service_port["port"])
        if isinstance(target, str):  # a named port: look it up in the workloads' containers
            target = next(p["containerPort"] for d in docs if d["kind"] in ("Deployment", "StatefulSet")
                          for c in d["spec"]["template"]["spec"]["containers"] for p in c.get("ports") or [] if p.get("name") == target)
        print(target)


if __name__ == "__main__":
    main()
