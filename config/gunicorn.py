"""gunicorn's configuration for ``python -m config.prod web`` (the container's command).

Every value can be changed from the environment without rebuilding the image.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("WEB_THREADS", "1"))
# Reports and exports are rendered by workers; a request taking longer than this is stuck.
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (slow leaks in libraries), not all at once.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# Django writes one JSON line per request (config/ops/context.py) with the request id and the
# schema; gunicorn's own access log could carry neither.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# /tmp may be a disk in a container, where the workers' heartbeat files can stall them; the
# image points this at a memory file system (compose.yaml: WORKER_TMP_DIR).
worker_tmp_dir = os.environ.get("WORKER_TMP_DIR") or None


def child_exit(server, worker):
    # prometheus_client's multiprocess mode: the dead worker's live gauges are dropped, its
    # counters stay summed in.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
