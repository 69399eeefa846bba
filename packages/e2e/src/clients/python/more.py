"""The official Kubernetes Python client (Debian's python3-kubernetes) beyond the daily paths.

Run by python-more.test.ts as `/usr/bin/python3 more.py KUBECONFIG RUN_ID` with a kubeconfig made by
`jobfleet kubeconfig`: pod log options (limit_bytes, since_seconds and their validation),
nodes/status and namespaces/status reads, namespace replace and label validation, watches of
namespaces and nodes through watch.Watch().stream, a pod field selector on status.podIP, and the pod's
defaulted securityContext. Prints one JSON report of what it observed; the test asserts on it. Each
step records its result or the exception it raised, so that one failing step does not hide the others.
"""
import sys
import threading
import time

from kubernetes import client, config, watch

from steps import api_error, print_report, report, step

KUBECONFIG, RUN = sys.argv[1], sys.argv[2]
NS = "default"
config.load_kube_config(config_file=KUBECONFIG)
batch = client.BatchV1Api()
core = client.CoreV1Api()
LOGS = f"pym-logs-{RUN}"
NSNAME = f"pym-ns-{RUN}"

batch.create_namespaced_job(
    NS,
    client.V1Job(
        api_version="batch/v1",
        kind="Job",
        metadata=client.V1ObjectMeta(name=LOGS),
        spec=client.V1JobSpec(
            backoff_limit=0,
            template=client.V1PodTemplateSpec(
                spec=client.V1PodSpec(
                    restart_policy="Never",
                    containers=[client.V1Container(name="main", image="busybox", command=["sh", "-c", "sleep 1; echo early; echo late-1; echo late-2"])],
                )
            ),
        ),
    ),
)


def finished_pod():
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pods = core.list_namespaced_pod(NS, label_selector=f"job-name={LOGS}").items
        if pods and pods[0].status.phase in ("Succeeded", "Failed"):
            return pods[0]
        time.sleep(0.2)
    raise TimeoutError("the pod did not finish in 60 s")


@step("watch_namespaces")
def _():
    seen = []

    def follow():
        for event in watch.Watch().stream(core.list_namespace, timeout_seconds=8):
            obj = event["object"]
            if obj.metadata.name == NSNAME:
                seen.append({"type": event["type"], "kind": type(obj).__name__, "labels": obj.metadata.labels})
                if event["type"] == "DELETED":
                    return

    watcher = threading.Thread(target=follow)
    watcher.start()
    time.sleep(1.5)  # the watch is open (it polls every second)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=NSNAME)))
    time.sleep(1.5)
    core.patch_namespace(NSNAME, {"metadata": {"labels": {"stage": "patched"}}})
    time.sleep(1.5)
    core.delete_namespace(NSNAME)
    watcher.join()
    return seen


@step("watch_nodes")
def _():
    return [{"type": e["type"], "kind": type(e["object"]).__name__, "name": e["object"].metadata.name} for e in watch.Watch().stream(core.list_node, timeout_seconds=2)]


@step("node_status")
def _():
    name = core.list_node().items[0].metadata.name
    node = core.read_node_status(name)
    return {"name": node.metadata.name, "ready": [c.status for c in node.status.conditions if c.type == "Ready"]}


@step("namespace_status_and_replace")
def _():
    status = core.read_namespace_status(NS)
    current = core.read_namespace(NS)
    current.metadata.labels = {**(current.metadata.labels or {}), f"py-{RUN}": "replaced"}
    replaced = core.replace_namespace(NS, current)
    return {"phase": status.status.phase, "labels": replaced.metadata.labels}


@step("namespace_label_validation")
def _():
    return {
        "badKey": api_error(lambda: core.patch_namespace(NS, {"metadata": {"labels": {"bad key!": "x"}}})),
        "badValue": api_error(lambda: core.patch_namespace(NS, {"metadata": {"labels": {"ok": "not a value!"}}})),
        "labelsAfter": core.read_namespace(NS).metadata.labels,
    }


@step("log_options")
def _():
    # The client has no since_time (its OpenAPI lacks the parameter): kubectl's test covers it.
    pod = finished_pod().metadata.name
    return {
        "all": core.read_namespaced_pod_log(pod, NS),
        "limitBytes": core.read_namespaced_pod_log(pod, NS, limit_bytes=7),
        "limitTail": core.read_namespaced_pod_log(pod, NS, limit_bytes=4, tail_lines=1),
        "sinceSeconds": core.read_namespaced_pod_log(pod, NS, since_seconds=3600),
        "zeroLimit": api_error(lambda: core.read_namespaced_pod_log(pod, NS, limit_bytes=0)),
        "zeroSince": api_error(lambda: core.read_namespaced_pod_log(pod, NS, since_seconds=0)),
    }


@step("pod_fields")
def _():
    pod = finished_pod()
    by_ip = core.list_namespaced_pod(NS, field_selector=f"status.podIP={pod.status.pod_ip}")
    host_network = core.list_namespaced_pod(NS, field_selector=f"spec.hostNetwork=false,metadata.name={pod.metadata.name}")
    return {
        "podIP": pod.status.pod_ip,
        "byIP": [p.metadata.name for p in by_ip.items],
        "byHostNetwork": [p.metadata.name for p in host_network.items],
        "name": pod.metadata.name,
        "securityContext": type(pod.spec.security_context).__name__,
    }


batch.delete_namespaced_job(LOGS, NS, propagation_policy="Background")
print_report()
