"""Render a kustomization of this folder without kustomize: ``python deploy/k8s/render.py deploy/k8s/overlays/dev``.

CI has no kustomize, so the tests render the base and the overlays with this and validate every
manifest against the Kubernetes schemas (tests/unit/test_deploy_manifests.py). It implements only
the subset of kustomize the files here use, and refuses anything else rather than guess:

- ``resources`` (files, or folders with their own kustomization) and ``components``;
- ``patches`` with a ``path``: a strategic-merge patch (a mapping; lists of mappings merged by
  ``name``) aimed by its kind and name, or a JSON 6902 patch (a list of ``add``/``replace``/``remove``
  operations) applied to every resource matching ``target`` (``kind``, ``name``);
- ``namespace`` and ``images`` (``newName``/``newTag``).

Where ``kubectl`` exists, a test checks that ``kubectl kustomize`` renders the same objects.
"""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path
from typing import Any

import yaml

Manifest = dict[str, Any]
KNOWN_KEYS = {"apiVersion", "kind", "namespace", "resources", "components", "patches", "images"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PriorityClass"}


def render(folder: Path) -> list[Manifest]:
    """Every object the kustomization (or component) in ``folder`` produces."""
    spec = yaml.safe_load((folder / "kustomization.yaml").read_text())
    unknown = set(spec) - KNOWN_KEYS
    if unknown:
        raise ValueError(f"{folder}: render.py does not support {sorted(unknown)}")
    manifests: list[Manifest] = []
    for entry in spec.get("resources", []):
        path = folder / entry
        manifests.extend(render(path) if path.is_dir() else _load(path))
    for entry in spec.get("components", []):
        _apply_component(manifests, folder / entry)
    for patch in spec.get("patches", []):
        _apply_patch(manifests, folder, patch)
    if "namespace" in spec:
        for manifest in manifests:
            if manifest["kind"] not in CLUSTER_SCOPED:
                manifest["metadata"]["namespace"] = spec["namespace"]
    for image in spec.get("images", []):
        for container in _containers(manifests):
            _set_image(container, image)
    return manifests


def _load(path: Path) -> list[Manifest]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _apply_component(manifests: list[Manifest], folder: Path) -> None:
    spec = yaml.safe_load((folder / "kustomization.yaml").read_text())
    if spec.get("kind") != "Component":
        raise ValueError(f"{folder}: not a kustomize Component")
    for entry in spec.get("resources", []):
        manifests.extend(_load(folder / entry))
    for patch in spec.get("patches", []):
        _apply_patch(manifests, folder, patch)


def _apply_patch(manifests: list[Manifest], folder: Path, patch: dict[str, Any]) -> None:
    if set(patch) - {"path", "target"}:
        raise ValueError(f"{folder}: render.py supports patches with 'path' and 'target' only: {patch}")
    body = yaml.safe_load((folder / patch["path"]).read_text())
    if isinstance(body, list):
        targets = [m for m in manifests if _matches(m, patch.get("target", {}))]
        if not targets:
            raise ValueError(f"{folder}/{patch['path']}: no resource matches {patch.get('target')}")
        for manifest in targets:
            for operation in body:
                _json6902(manifest, operation)
        return
    target = patch.get("target") or {"kind": body["kind"], "name": body["metadata"]["name"]}
    targets = [m for m in manifests if _matches(m, target)]
    if not targets:
        raise ValueError(f"{folder}/{patch['path']}: no resource matches {target}")
    for manifest in targets:
        merged = _merge(manifest, {k: v for k, v in body.items() if k != "metadata"})
        manifest.clear()
        manifest.update(merged)


def _matches(manifest: Manifest, target: dict[str, str]) -> bool:
    if set(target) - {"kind", "name"}:
        raise ValueError(f"render.py supports targets by kind and name only: {target}")
    return all(re.fullmatch(target[key], _field(manifest, key)) for key in target)


def _field(manifest: Manifest, key: str) -> str:
    return str(manifest["kind"] if key == "kind" else manifest["metadata"]["name"])


def _merge(base: Any, patch: Any) -> Any:
    """Strategic merge, as far as used here: mappings deep, lists of named mappings by name."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            out[key] = _merge(base[key], value) if key in base else copy.deepcopy(value)
        return out
    if isinstance(base, list) and isinstance(patch, list) and _named(base) and _named(patch):
        out_list = list(base)
        for item in patch:
            index = next((i for i, old in enumerate(out_list) if old["name"] == item["name"]), None)
            if index is None:
                out_list.append(copy.deepcopy(item))
            else:
                out_list[index] = _merge(out_list[index], item)
        return out_list
    return copy.deepcopy(patch)


def _named(items: list[Any]) -> bool:
    return all(isinstance(item, dict) and "name" in item for item in items)


def _json6902(manifest: Manifest, operation: dict[str, Any]) -> None:
    *parents, last = [part.replace("~1", "/").replace("~0", "~") for part in operation["path"].split("/")[1:]]
    node: Any = manifest
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    op = operation["op"]
    if op not in {"add", "replace", "remove"}:
        raise ValueError(f"render.py does not support the JSON patch operation {op!r}")
    if isinstance(node, list):
        index = len(node) if last == "-" else int(last)
        if op == "add":
            node.insert(index, copy.deepcopy(operation["value"]))
        elif op == "replace":
            node[index] = copy.deepcopy(operation["value"])
        else:
            del node[index]
    elif op == "remove":
        del node[last]
    else:
        if op == "replace" and last not in node:
            raise ValueError(f"cannot replace missing {operation['path']} in {manifest['kind']}")
        node[last] = copy.deepcopy(operation["value"])


def _containers(manifests: list[Manifest]) -> list[dict[str, Any]]:
    pods = [m["spec"]["template"]["spec"] for m in manifests if "template" in m.get("spec", {})]
    return [c for pod in pods for c in pod.get("containers", []) + pod.get("initContainers", [])]


def _set_image(container: dict[str, Any], image: dict[str, str]) -> None:
    name, _, tag = container["image"].partition(":")
    if name != image["name"]:
        return
    container["image"] = image.get("newName", name) + (
        f":{image['newTag']}" if "newTag" in image else f":{tag}" if tag else ""
    )


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: render.py FOLDER (e.g. deploy/k8s/overlays/production)", file=sys.stderr)
        return 2
    print(yaml.safe_dump_all(render(Path(argv[0])), sort_keys=False), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
