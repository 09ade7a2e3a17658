"""Run the simulator by hand: ``python -m airflow_topview.testing --port 8080``.

Prints the base URL first, then one line per request (never headers, so never the API key).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from typing import TYPE_CHECKING

from airflow_topview.testing.simulator import TopviewSimulator

if TYPE_CHECKING:
    from types import FrameType


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m airflow_topview.testing", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--uid", default="demo-uid")
    parser.add_argument("--api-key", default="sk-demo")
    parser.add_argument("--polls-to-finish", type=int, default=2)
    parser.add_argument("--seconds-to-finish", type=float, default=None)
    parser.add_argument("--upload-check-lag", type=int, default=0)
    parser.add_argument("--max-running", type=int, default=None)
    parser.add_argument("--credits", type=float, default=10000.0)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(message)s")
    # Only the simulator's own lines: third-party loggers could echo request details.
    logging.getLogger().handlers[0].addFilter(logging.Filter("airflow_topview.testing"))
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sim = TopviewSimulator(
        uid=args.uid,
        api_key=args.api_key,
        polls_to_finish=args.polls_to_finish,
        seconds_to_finish=args.seconds_to_finish,
        upload_check_lag=args.upload_check_lag,
        max_running=args.max_running,
        host=args.host,
        port=args.port,
        credits=args.credits,
    )
    with sim:
        print(sim.base_url, flush=True)
        print(f"TopView simulator for uid {args.uid!r}; Ctrl-C stops it.", flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
