"""Model repositories on disk for the server tests, and small HTTP helpers."""
import json
import os
import re
import shutil

SOURCE = os.environ["APPCORE_SOURCE_DIR"]
FIXTURES = os.path.join(SOURCE, "tests", "fixtures", "models")
IRIS = os.path.join(SOURCE, "examples", "models", "iris.json")
JSON = {"Content-Type": "application/json"}


def fixture(name):
    return os.path.join(FIXTURES, name + ".json")


def cases(name):
    with open(os.path.join(FIXTURES, name + ".cases.json")) as f:
        return json.load(f)


def tmp_root():
    """tmpfs when there is one: thousands of directories are slow on a busy disk."""
    return "/dev/shm" if os.access("/dev/shm", os.W_OK) else None


def put(repo, model, version, source, config=None):
    """Copy source to repo/model/version/model.json (and write config.yaml)."""
    directory = os.path.join(repo, model, str(version))
    os.makedirs(directory, exist_ok=True)
    shutil.copyfile(source, os.path.join(directory, "model.json"))
    if config is not None:
        with open(os.path.join(repo, model, "config.yaml"), "w") as f:
            f.write(config)


def publish(repo, model, version, source=None, text=None):
    """The safe way: write the version under a hidden staging directory, then rename it into
    place, so the server never sees it half-written."""
    staging = os.path.join(repo, ".staging", "%s-%s" % (model, version))
    os.makedirs(staging, exist_ok=True)
    target = os.path.join(staging, "model.json")
    if source is not None:
        shutil.copyfile(source, target)
    else:
        with open(target, "w") as f:
            f.write(text)
    os.makedirs(os.path.join(repo, model), exist_ok=True)
    os.rename(staging, os.path.join(repo, model, str(version)))


def retire(repo, model, version):
    """Remove a version: rename it out of the way first, then delete it."""
    trash = os.path.join(repo, ".trash-%s-%s" % (model, version))
    os.rename(os.path.join(repo, model, str(version)), trash)
    shutil.rmtree(trash)


def served_versions(server, model):
    status, _, doc = server.json("GET", "/v2/models/" + model)
    return doc.get("versions", []) if status == 200 else []


def oip_request(rows, datatype="FP32", outputs=None, request_id=None, flat=True):
    features = len(rows[0])
    data = [v for row in rows for v in row] if flat else rows
    body = {"inputs": [{"name": "input-0", "shape": [len(rows), features], "datatype": datatype,
                        "data": data}]}
    if outputs is not None:
        body["outputs"] = [{"name": name} for name in outputs]
    if request_id is not None:
        body["id"] = request_id
    return json.dumps(body)


def metric_value(text, name, labels):
    """The value of one series in Prometheus text, or None."""
    wanted = ",".join('%s="%s"' % item for item in labels.items())
    for line in text.splitlines():
        if line.startswith(name + "{"):
            match = re.match(r"^[^{]+\{(.*)\} (\S+)$", line)
            if match and all('%s="%s"' % item in match.group(1) for item in labels.items()):
                if wanted or match.group(1) == "":
                    return float(match.group(2))
    return None
