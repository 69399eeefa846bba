"""The official Kubernetes Python client (Debian's python3-kubernetes) on its daily paths against jobfleet.

Run by python-client.test.ts as `/usr/bin/python3 daily.py KUBECONFIG RUN_ID`: it loads the kubeconfig as a
user would, drives the typed APIs and prints one JSON report of what it observed (the test asserts on it).
Each step records its result or the exception it raised, so that one failing step does not hide the others.
"""
import json
import sys
import time

from kubernetes import client, config, watch

from steps import api_error, print_report, report, step

KUBECONFIG, RUN = sys.argv[1], sys.argv[2]
NS = "default"
def job(name, script, labels=None):
    return client.V1Job(
        api_version="batch/v1",
        kind="Job",
        metadata=client.V1ObjectMeta(name=name, labels={"run": RUN, **(labels or {})}),
        spec=client.V1JobSpec(
            backoff_limit=0,
            template=client.V1PodTemplateSpec(
                spec=client.V1PodSpec(
                    restart_policy="Never",
                    containers=[client.V1Container(name="main", image="busybox", command=["sh", "-c", script])],
                )
            ),
        ),
    )


config.load_kube_config(config_file=KUBECONFIG)
batch = client.BatchV1Api()
core = client.CoreV1Api()
ECHO = f"py-echo-{RUN}"
SLOW = f"py-slow-{RUN}"


@step("version")
def _():
    info = client.VersionApi().get_code()  # GET /version/
    return {"gitVersion": info.git_version, "compiler": info.compiler, "minor": info.minor}


@step("discovery")
def _():
    return {
        "core": client.CoreApi().get_api_versions().versions,  # GET /api/
        "groups": [g.name for g in client.ApisApi().get_api_versions().groups],  # GET /apis/
        "batch": [r.name for r in batch.get_api_resources().resources],  # GET /apis/batch/v1/
    }


@step("create")
def _():
    created = batch.create_namespaced_job(NS, job(ECHO, "echo hello from python", {"kind": "echo"}))
    batch.create_namespaced_job(NS, job(SLOW, "echo first; sleep 6; echo second", {"kind": "slow"}))
    return {"name": created.metadata.name, "uid": created.metadata.uid, "selector": created.spec.selector.match_labels}


@step("get")
def _():
    got = batch.read_namespaced_job(ECHO, NS)
    return {"name": got.metadata.name, "uid": got.metadata.uid, "completions": got.spec.completions}


@step("list_with_selectors")
def _():
    by_label = batch.list_namespaced_job(NS, label_selector=f"run={RUN},kind=slow")
    by_field = batch.list_namespaced_job(NS, field_selector=f"metadata.name={ECHO}")
    page = batch.list_namespaced_job(NS, label_selector=f"run={RUN}", limit=1)
    rest = batch.list_namespaced_job(NS, label_selector=f"run={RUN}", limit=1, _continue=page.metadata._continue)
    return {
        "byLabel": [j.metadata.name for j in by_label.items],
        "byField": [j.metadata.name for j in by_field.items],
        "pages": [[j.metadata.name for j in page.items], [j.metadata.name for j in rest.items]],
    }


@step("watch_until_complete")
def _():
    seen = []
    w = watch.Watch()
    for event in w.stream(batch.list_namespaced_job, NS, field_selector=f"metadata.name={ECHO}", timeout_seconds=90):
        obj = event["object"]
        conditions = {c.type: c.status for c in (obj.status.conditions or [])}
        seen.append({"type": event["type"], "kind": type(obj).__name__, "succeeded": obj.status.succeeded, "conditions": conditions})
        if conditions.get("Complete") == "True":
            w.stop()
    return seen


@step("pods_typed")
def _():
    pods = core.list_namespaced_pod(NS, label_selector=f"job-name={ECHO}")
    pod = core.read_namespaced_pod(pods.items[0].metadata.name, NS)
    status = pod.status.container_statuses[0]
    return {
        "names": [p.metadata.name for p in pods.items],
        "phase": pod.status.phase,
        "imageID": status.image_id,
        "terminated": status.state.terminated.reason if status.state.terminated else None,
        "log": core.read_namespaced_pod_log(pod.metadata.name, NS),
    }


@step("log_follow")
def _():
    # The pod is found untyped, so that this step does not depend on the typed pod model (pods_typed).
    running = []
    deadline = time.monotonic() + 60
    while not running and time.monotonic() < deadline:
        raw = core.list_namespaced_pod(NS, label_selector=f"job-name={SLOW}", _preload_content=False)
        running = [p["metadata"]["name"] for p in json.loads(raw.data)["items"] if p["status"].get("phase") == "Running"]
        time.sleep(0.1)
    started = time.monotonic()
    lines = []
    for line in watch.Watch().stream(core.read_namespaced_pod_log, running[0], NS):  # sends follow=True
        lines.append({"line": line, "at": round(time.monotonic() - started, 3)})
    return lines


@step("patch")
def _():
    patched = batch.patch_namespaced_job(ECHO, NS, {"metadata": {"labels": {"patched": "yes"}}})
    return patched.metadata.labels


@step("replace")
def _():
    current = batch.read_namespaced_job(ECHO, NS)
    stale_rv = current.metadata.resource_version
    current.metadata.labels["replaced"] = "yes"
    replaced = batch.replace_namespaced_job(ECHO, NS, current)
    current.metadata.resource_version = stale_rv
    current.metadata.labels["replaced"] = "again"
    conflict = api_error(lambda: batch.replace_namespaced_job(ECHO, NS, current))
    return {"labels": replaced.metadata.labels, "rvChanged": replaced.metadata.resource_version != stale_rv, "conflict": conflict}


@step("errors")
def _():
    bad = job(f"py-bad-{RUN}", "true")
    bad.spec.parallelism = -1
    return {
        "notFound": api_error(lambda: batch.read_namespaced_job(f"py-missing-{RUN}", NS)),
        "invalid": api_error(lambda: batch.create_namespaced_job(NS, bad)),
        "exists": api_error(lambda: batch.create_namespaced_job(NS, job(ECHO, "true"))),
        "badLimit": api_error(lambda: batch.list_namespaced_job(NS, limit="x")),
    }


@step("access_review")
def _():
    def can(verb, resource, group):
        review = client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec(resource_attributes=client.V1ResourceAttributes(namespace=NS, verb=verb, resource=resource, group=group)))
        status = client.AuthorizationV1Api().create_self_subject_access_review(review).status
        return {"allowed": status.allowed, "reason": status.reason}

    return {"createJobs": can("create", "jobs", "batch"), "createCronjobs": can("create", "cronjobs", "batch")}


@step("delete")
def _():
    status = batch.delete_namespaced_job(ECHO, NS, propagation_policy="Background")
    return {"status": status.status, "after": api_error(lambda: batch.read_namespaced_job(ECHO, NS))}


@step("delete_collection")
def _():
    batch.delete_collection_namespaced_job(NS, label_selector=f"run={RUN}", propagation_policy="Background")
    return [j.metadata.name for j in batch.list_namespaced_job(NS, label_selector=f"run={RUN}").items]


print_report()
