#!/usr/bin/env python3
"""Replicates the valid files of ../shared/data/k8s-examples into OUT until it holds about
TARGET resources. Each copy gets a unique metadata.name suffix so that the copies are distinct
objects (sluice rejects the same kind/namespace/name twice). Invalid files (the list in
tests/fixtures/k8s/examples-expected.txt) are left out: the benchmark times valid input."""
import os, sys, yaml

examples, expected, out, target = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
invalid = {l.split('\t')[0] for l in open(expected) if l.strip() and not l.startswith('#')}
files = []
for root, _, names in os.walk(examples):
    for n in sorted(names):
        rel = os.path.relpath(os.path.join(root, n), examples)
        if n.endswith(('.yaml', '.yml')) and rel not in invalid:
            files.append(rel)
files.sort()

def objects(doc):
    if isinstance(doc, dict) and str(doc.get('kind', '')).endswith('List') and isinstance(doc.get('items'), list):
        return doc['items']
    return [doc] if isinstance(doc, dict) else []

os.makedirs(out, exist_ok=True)
count, copy, serial = 0, 0, 0
while count < target:
    for rel in files:
        docs = [d for d in yaml.safe_load_all(open(os.path.join(examples, rel))) if d is not None]
        for d in docs:
            for o in objects(d):
                meta = o.setdefault('metadata', {}) or {}
                if 'name' in meta:
                    serial += 1
                    meta['name'] = '%s-%x' % (str(meta['name'])[:50], serial)
                count += 1
        name = '%04d-%s' % (copy, rel.replace('/', '_'))
        with open(os.path.join(out, name), 'w') as f:
            yaml.safe_dump_all(docs, f, sort_keys=False)
        if count >= target:
            break
    copy += 1
print(count)
