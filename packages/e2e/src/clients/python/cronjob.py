"""The official Kubernetes Python client (Debian's python3-kubernetes) on batch/v1 CronJobs.

Run by python-cronjob.test.ts as `/usr/bin/python3 cronjob.py KUBECONFIG RUN_ID` with a kubeconfig made
by `jobfleet kubeconfig`: create_namespaced_cron_job with typed models, list (with a label selector and
for all namespaces), read, patch of spec.suspend, read_namespaced_cron_job_status, a refused schedule
(422), delete with Background propagation, and the 404 after it. Prints one JSON report of what it
observed; the test asserts on it.
"""
import sys

from kubernetes import client, config

from steps import api_error, print_report, step

KUBECONFIG, RUN = sys.argv[1], sys.argv[2]
NS = f"pycj-{RUN}"
NAME = "nightly"
config.load_kube_config(config_file=KUBECONFIG)
batch = client.BatchV1Api()


def cron_job(name, schedule):
    return client.V1CronJob(
        api_version="batch/v1",
        kind="CronJob",
        metadata=client.V1ObjectMeta(name=name, labels={"run": RUN}),
        spec=client.V1CronJobSpec(
            schedule=schedule,
            concurrency_policy="Forbid",
            successful_jobs_history_limit=2,
            job_template=client.V1JobTemplateSpec(
                spec=client.V1JobSpec(
                    template=client.V1PodTemplateSpec(
                        spec=client.V1PodSpec(
                            restart_policy="OnFailure",
                            containers=[client.V1Container(name="main", image="busybox", command=["echo", "hi"])],
                        )
                    )
                )
            ),
        ),
    )


def summary(cj):
    return {
        "kind": type(cj).__name__,
        "name": cj.metadata.name,
        "uid": cj.metadata.uid,
        "schedule": cj.spec.schedule,
        "concurrencyPolicy": cj.spec.concurrency_policy,
        "suspend": cj.spec.suspend,
        "successfulJobsHistoryLimit": cj.spec.successful_jobs_history_limit,
        "failedJobsHistoryLimit": cj.spec.failed_jobs_history_limit,
        "templateKind": type(cj.spec.job_template).__name__,
    }


@step("create")
def _():
    return summary(batch.create_namespaced_cron_job(NS, cron_job(NAME, "0 3 * * *")))


@step("list")
def _():
    mine = batch.list_namespaced_cron_job(NS, label_selector=f"run={RUN}")
    everywhere = batch.list_cron_job_for_all_namespaces(label_selector=f"run={RUN}")
    return {
        "kind": type(mine).__name__,
        "names": [cj.metadata.name for cj in mine.items],
        "allNamespaces": [f"{cj.metadata.namespace}/{cj.metadata.name}" for cj in everywhere.items],
        "none": [cj.metadata.name for cj in batch.list_namespaced_cron_job(NS, label_selector="run=nobody").items],
    }


@step("read")
def _():
    return summary(batch.read_namespaced_cron_job(NAME, NS))


@step("patch_suspend")
def _():
    patched = batch.patch_namespaced_cron_job(NAME, NS, {"spec": {"suspend": True}})
    return {"patched": patched.spec.suspend, "read": batch.read_namespaced_cron_job(NAME, NS).spec.suspend, "generation": patched.metadata.generation}


@step("read_status")
def _():
    status = batch.read_namespaced_cron_job_status(NAME, NS)
    return {"kind": type(status).__name__, "active": status.status.active, "lastScheduleTime": status.status.last_schedule_time}


@step("invalid_schedule")
def _():
    return api_error(lambda: batch.create_namespaced_cron_job(NS, cron_job("broken", "not a schedule")))


@step("delete")
def _():
    batch.delete_namespaced_cron_job(NAME, NS, propagation_policy="Background")
    return api_error(lambda: batch.read_namespaced_cron_job(NAME, NS))


print_report()
