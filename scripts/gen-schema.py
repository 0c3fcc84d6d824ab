#!/usr/bin/env python3
"""Regenerates src/schema/data/ from the Kubernetes JSON schemas that ship in
the PyPI package kubernetes-validate (Apache-2.0).

    python3 scripts/gen-schema.py            # downloads the wheel with pip
    python3 scripts/gen-schema.py WHEEL.whl  # uses a wheel already on disk

Writes, deterministically:
  src/schema/data/k8s.json           field trees (no descriptions), deduplicated
                                     over the Kubernetes versions
  src/schema/data/descriptions.json  one description per definition and field,
                                     from the newest version that has it
  src/schema/data/SOURCE             where the data came from, its version and licence
See src/schema/mod.rs for the format.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile

PACKAGE = "kubernetes-validate"
PACKAGE_VERSION = "1.37.0"
VERSIONS = [f"1.{m}" for m in range(25, 38)]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "schema", "data")
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
REF = "#/$defs/"
TYPES = {"object": "o", "string": "s", "integer": "i", "number": "n", "boolean": "b", "array": "a"}


def wheel_path(tmp):
    if len(sys.argv) > 1:
        return sys.argv[1]
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
         f"{PACKAGE}=={PACKAGE_VERSION}", "-d", tmp],
        check=True,
    )
    (whl,) = [f for f in os.listdir(tmp) if f.endswith(".whl")]
    return os.path.join(tmp, whl)


def node(s, name=None):
    """One schema node in the compact form (see src/schema/mod.rs)."""
    if name == QUANTITY:
        return {"t": "q"}
    if name == INT_OR_STRING:
        return {"t": "x"}
    out = {}
    if "$ref" in s:
        out["$"] = s["$ref"][len(REF):]
        return out
    t = s.get("type")
    nullable = True
    if isinstance(t, list):
        ts = [x for x in t if x != "null"]
        nullable = "null" in t
        t = ts[0] if ts else None
    elif t is not None:
        nullable = False
    if t is None and "properties" in s:
        t = "object"
    if t is None and "additionalProperties" in s:
        t = "object"
    if t is None and "items" in s:
        t = "array"
    out["t"] = TYPES.get(t, "*")
    if not nullable and out["t"] != "*":
        out["z"] = 1
    if "properties" in s:
        out["p"] = {k: node(v) for k, v in sorted(s["properties"].items())}
    if s.get("required"):
        out["r"] = sorted(s["required"])
    if "enum" in s:
        out["e"] = [v for v in s["enum"] if v is not None]
    if "items" in s:
        out["i"] = node(s["items"])
    ap = s.get("additionalProperties")
    if isinstance(ap, dict):
        out["m"] = node(ap)
    if s.get("x-kubernetes-list-type") == "map" and s.get("x-kubernetes-list-map-keys"):
        out["k"] = s["x-kubernetes-list-map-keys"]
    if s.get("x-kubernetes-preserve-unknown-fields"):
        out["u"] = 1
    if s.get("x-kubernetes-int-or-string"):
        out["t"] = "x"
    return out


def main():
    with tempfile.TemporaryDirectory() as tmp:
        whl = wheel_path(tmp)
        with zipfile.ZipFile(whl) as z:
            defs_by_version = []
            for v in VERSIONS:
                path = f"kubernetes_validate/kubernetes-json-schema/v{v}.0-local/_definitions.json"
                defs_by_version.append(json.loads(z.read(path))["$defs"])
            wheel_sha = hashlib.sha256(open(whl, "rb").read()).hexdigest()
    bodies, body_ids = [], {}
    defs = {}
    kinds = {}
    descriptions = {}
    for vi, defs_v in enumerate(defs_by_version):
        for name in sorted(defs_v):
            s = defs_v[name]
            body = node(s, name)
            key = json.dumps(body, sort_keys=True, separators=(",", ":"))
            bi = body_ids.get(key)
            if bi is None:
                bi = body_ids[key] = len(bodies)
                bodies.append(body)
            entries = defs.setdefault(name, [])
            if entries and entries[-1][0] == bi:
                entries[-1][1].append(vi)
            else:
                entries.append([bi, [vi]])
            for gvk in s.get("x-kubernetes-group-version-kind", []):
                # Meta types list every group (DeleteOptions, WatchEvent): keep
                # only the definition whose own package is that group's.
                k = (gvk["group"], gvk["version"], gvk["kind"])
                if len(s["x-kubernetes-group-version-kind"]) > 1:
                    continue
                kinds.setdefault(k, {}).setdefault(name, []).append(vi)
            d = {"": s.get("description", "")}
            for f, fs in s.get("properties", {}).items():
                if fs.get("description"):
                    d[f] = fs["description"]
            descriptions[name] = d  # newest version wins
    kind_rows = []
    for (g, v, k), by_def in sorted(kinds.items()):
        for name, vis in sorted(by_def.items()):
            kind_rows.append([g, v, k, name, vis])
    data = {
        "source": f"PyPI {PACKAGE} {PACKAGE_VERSION} (Apache-2.0), kubernetes-json-schema/v1.NN.0-local/_definitions.json",
        "versions": VERSIONS,
        "bodies": bodies,
        "defs": dict(sorted(defs.items())),
        "kinds": kind_rows,
    }
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "k8s.json"), "w") as f:
        json.dump(data, f, sort_keys=True, separators=(",", ":"))
        f.write("\n")
    with open(os.path.join(OUT, "descriptions.json"), "w") as f:
        json.dump(dict(sorted(descriptions.items())), f, sort_keys=True, separators=(",", ":"))
        f.write("\n")
    with open(os.path.join(OUT, "SOURCE"), "w") as f:
        f.write(
            f"Generated by scripts/gen-schema.py from the PyPI package {PACKAGE}=={PACKAGE_VERSION}\n"
            f"(wheel sha256 {wheel_sha}),\n"
            "files kubernetes_validate/kubernetes-json-schema/v1.NN.0-local/_definitions.json for\n"
            f"Kubernetes {VERSIONS[0]} to {VERSIONS[-1]}.\n"
            "Licence: Apache-2.0 (kubernetes-validate, Copyright (C) 2018 Will Thames; the schemas are\n"
            "generated from the Kubernetes OpenAPI documents, Copyright The Kubernetes Authors, Apache-2.0).\n"
            "Regenerate with: python3 scripts/gen-schema.py\n"
        )
    print(f"{len(bodies)} definition bodies, {len(defs)} definitions, {len(kind_rows)} kinds")


if __name__ == "__main__":
    main()
