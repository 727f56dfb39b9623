#!/usr/bin/env python3
"""A second Kubernetes manifest validator that installs here, to time beside sluice: every YAML
file under DIR loaded with PyYAML (C loader when present) and every object (List items too)
validated with the Python jsonschema package against SCHEMAS/{group}/{kind}_{version}.json.
No Kubernetes-specific checks, no positions: it does less than sluice. Exit 0; 2 on a file it
cannot read or a missing schema (the corpus is meant to be valid).
  jsonschema_peer.py SCHEMAS DIR
"""
import json
import os
import sys

import jsonschema
import yaml

Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Loader(Base):
    pass


Loader.yaml_implicit_resolvers = {k: [(t, r) for t, r in v if t != "tag:yaml.org,2002:timestamp"]
                                  for k, v in Base.yaml_implicit_resolvers.items()}


def main():
    schemas, root = sys.argv[1], sys.argv[2]
    validators, objects, errors = {}, 0, 0
    for dirpath, _, names in os.walk(root):
        for n in names:
            if not n.endswith((".yaml", ".yml")):
                continue
            with open(os.path.join(dirpath, n), encoding="utf-8") as f:
                docs = [d for d in yaml.load_all(f, Loader=Loader) if d is not None]
            for d in docs:
                items = d["items"] if isinstance(d, dict) and str(d.get("kind", "")).endswith("List") \
                    and isinstance(d.get("items"), list) else [d]
                for o in items:
                    group, _, version = str(o.get("apiVersion", "")).rpartition("/")
                    path = os.path.join(schemas, group or "core", "%s_%s.json" % (str(o.get("kind", "")).lower(), version))
                    if path not in validators:
                        if not os.path.exists(path):
                            print("no schema: " + path, file=sys.stderr)
                            return 2
                        with open(path) as f:
                            s = json.load(f)
                        validators[path] = jsonschema.validators.validator_for(s)(s)
                    objects += 1
                    errors += sum(1 for _ in validators[path].iter_errors(o))
    print("%d objects, %d schema errors" % (objects, errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
