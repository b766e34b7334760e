"""Run the worker's redelivery job from this process's PULSE_* environment, once a start file appears.

Used by test_redelivery_processes.py: two of these start at the same moment on one PostgreSQL database.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from app.cli.common import session_factory
from app.contracts import load_contracts
from app.settings import load_settings
from app.sync.runner import Connectors
from app.sync.worker import Worker


def main(start_file: str, passes: int) -> None:
    settings = load_settings()
    factory = session_factory(settings)
    contracts = load_contracts(settings.contracts)
    with httpx.Client() as http:
        worker = Worker(settings, factory, contracts, Connectors(settings, factory, write_pause=0), http)
        print("READY", flush=True)
        while not Path(start_file).exists():
            time.sleep(0.01)
        done = [worker.redeliver(datetime.now(UTC)) for _ in range(passes)]
    print(json.dumps({"requested": sum(r.requested for r in done), "already": sum(r.already for r in done),
                      "errors": [e for r in done for e in r.errors]}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
