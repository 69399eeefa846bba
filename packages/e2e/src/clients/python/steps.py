"""What the client scripts share: each step's outcome goes into one JSON report that the test reads."""
import json
import time
import traceback

from kubernetes.client.rest import ApiException

report = {}


def step(name):
    """Runs the decorated function once, at once, and records its value or its error under `name`."""
    def wrap(fn):
        started = time.monotonic()
        try:
            report[name] = {"ok": True, "value": fn()}
        except Exception as err:  # noqa: BLE001 - the report says what failed, the test judges it
            report[name] = {"ok": False, "error": f"{type(err).__name__}: {err}", "trace": traceback.format_exc()[-2000:]}
        report[name]["seconds"] = round(time.monotonic() - started, 3)
        return fn

    return wrap


def api_error(fn):
    """The ApiException a call raises, as (status, reason, Status.reason, Status.message)."""
    try:
        fn()
    except ApiException as err:
        body = json.loads(err.body) if err.body else {}
        return {"status": err.status, "reason": err.reason, "kind": body.get("kind"), "statusReason": body.get("reason"), "message": body.get("message")}
    return None


def print_report():
    print(json.dumps(report))
