#!/usr/bin/env python3
"""Writes an OCI image layout (image-spec image-layout.md) as `docker buildx build --output
type=oci,tar=false` or `skopeo copy ... oci:DIR` would, with nothing but hashlib and json: a test
fixture independent of sluice's own code.

usage: make_oci_layout.py DIR REF_NAME CREATED ARCH [ARCH...]
One image per ARCH (a config whose "created" is CREATED, one layer of distinct bytes); with more
than one ARCH, an OCI image index of them. index.json gets one entry, annotated with REF_NAME as
org.opencontainers.image.ref.name (added beside entries already there). Prints the digest of the
entry. LAYER_MIB=N in the environment makes each layer N MiB."""
import hashlib
import json
import os
import sys


def blob(root, data):
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(root, "blobs", "sha256", digest)
    with open(path, "wb") as f:
        f.write(data)
    return "sha256:" + digest


def desc(media_type, digest, data):
    return {"mediaType": media_type, "digest": digest, "size": len(data)}


def image(root, ref_name, created, arch):
    layer = ("layer of %s for %s\n" % (arch, ref_name)).encode() * 64
    mib = int(os.environ.get("LAYER_MIB", "0"))
    if mib:  # a large layer: distinct bytes (a chain of SHA-256 blocks), written in one go
        block, parts = layer, []
        for _ in range(mib * 1024 * 1024 // 32):
            block = hashlib.sha256(block).digest()
            parts.append(block)
        layer = b"".join(parts)
    config = json.dumps({"architecture": arch, "os": "linux", "created": created,
                         "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]}},
                        separators=(",", ":")).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": desc("application/vnd.oci.image.config.v1+json", blob(root, config), config),
                           "layers": [desc("application/vnd.oci.image.layer.v1.tar", blob(root, layer), layer)]},
                          separators=(",", ":")).encode()
    d = desc("application/vnd.oci.image.manifest.v1+json", blob(root, manifest), manifest)
    d["platform"] = {"architecture": arch, "os": "linux"}
    return d, manifest


def main():
    root, ref_name, created, archs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(root, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    children = [image(root, ref_name, created, a) for a in archs]
    if len(children) == 1:
        entry = children[0][0]
        del entry["platform"]
    else:
        index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                            "manifests": [c[0] for c in children]}, separators=(",", ":")).encode()
        entry = desc("application/vnd.oci.image.index.v1+json", blob(root, index), index)
    entry["annotations"] = {"org.opencontainers.image.ref.name": ref_name}
    index_path = os.path.join(root, "index.json")
    top = {"schemaVersion": 2, "manifests": []}
    if os.path.exists(index_path):
        with open(index_path) as f:
            top = json.load(f)
    top["manifests"].append(entry)
    with open(index_path, "w") as f:
        json.dump(top, f)
    print(entry["digest"])


main()
