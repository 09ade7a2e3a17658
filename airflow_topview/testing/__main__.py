"""Run the TopView simulator by hand, e.g. for a local Airflow: ``python -m airflow_topview.testing``.

Prints the base URL first, then an ``export AIRFLOW_CONN_TOPVIEW_DEFAULT=...`` line for the shell that runs
Airflow, then one line per request (never headers). Ctrl-C or SIGTERM stops it and frees the port.
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import signal
import socket
import sys
from typing import TYPE_CHECKING

from airflow_topview.client.task_types import TASK_TYPES

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from types import FrameType

    from airflow_topview.testing.simulator import TopviewSimulator

#: Not Airflow's api-server (8080) nor its other default ports, so both run side by side.
DEFAULT_PORT = 8765
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

_EPILOG = """\
example, with Airflow in another shell:
  python -m airflow_topview.testing --seconds-to-finish 3
  # paste the printed export line into the shell that runs `airflow standalone`
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m airflow_topview.testing",
        description="A local TopView API for trying DAGs without a TopView account or credits.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)")
    add(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="port to listen on; 0 picks a free one, printed at start (default: %(default)s, "
        "clear of Airflow's 8080)",
    )
    add("--uid", default="demo-uid", help="Topview-Uid clients must send (default: %(default)s)")
    add(
        "--api-key",
        default="sk-demo",
        help="API key clients must send as a Bearer token (default: %(default)s)",
    )
    add(
        "--polls-to-finish",
        type=int,
        default=2,
        help="a task answers running until its N-th status query, which finishes it (default: %(default)s)",
    )
    add(
        "--seconds-to-finish",
        type=float,
        default=None,
        metavar="S",
        help="finish tasks S seconds after submit, polled or not; overrides --polls-to-finish",
    )
    add(
        "--upload-check-lag",
        type=int,
        default=0,
        metavar="N",
        help="upload checks answer false N times after an upload, as TopView's can (default: %(default)s)",
    )
    add(
        "--max-running",
        type=int,
        default=None,
        metavar="N",
        help="answer 4007 (unfinished task exists) to a submit while N tasks run (default: no limit)",
    )
    add("--credits", type=float, default=10000.0, help="starting credit balance (default: %(default)s)")
    add(
        "--model",
        action="append",
        default=[],
        metavar="NAME",
        help="also take this Image-to-Video model name, exactly as spelled (repeatable); catalog names are "
        "always taken",
    )
    add(
        "--model-for",
        nargs=2,
        action="append",
        default=[],
        metavar=("TASK_TYPE", "NAME"),
        help=f"also take NAME as a model of TASK_TYPE ({', '.join(TASK_TYPES)}), e.g. "
        "--model-for text2video 'New Model 2' (repeatable)",
    )
    add(
        "--accept-any-model",
        action="store_true",
        help="take any model name instead of answering 4000 'Invalid parameter or model' like TopView",
    )
    return parser


def connection_export(sim: TopviewSimulator) -> str:
    """A shell line pointing Airflow's ``topview_default`` connection at ``sim`` (its key is the demo key)."""
    conn = {"conn_type": "topview", "login": sim.uid, "password": sim.api_key, "host": sim.base_url}
    return f"export AIRFLOW_CONN_TOPVIEW_DEFAULT={shlex.quote(json.dumps(conn))}"


def wait_for_signal(signals: Iterable[int] = STOP_SIGNALS, ready: Callable[[], None] = lambda: None) -> int:
    """Call ``ready()`` with ``signals`` caught, then block until one arrives; returns its number.

    The C-level handler writes each signal to a wakeup socket whichever thread it lands on, so the main
    thread wakes even when the kernel picked the server's thread. Handlers are restored on return: a
    second Ctrl-C while stopping interrupts as usual. Main thread only.
    """
    wanted = set(signals)
    reader, writer = socket.socketpair()
    writer.setblocking(False)

    def ignore(signum: int, frame: FrameType | None) -> None:
        """The wakeup socket carries the signal; a Python-level handler must exist for it to be written."""

    old_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    old = {signum: signal.signal(signum, ignore) for signum in wanted}
    try:
        ready()
        while True:
            for signum in reader.recv(64):
                if signum in wanted:
                    return signum
    finally:
        for signum, handler in old.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(old_fd)
        reader.close()
        writer.close()


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    for task_type, _ in args.model_for:
        if task_type not in TASK_TYPES:
            parser.error(f"--model-for: task type must be one of {', '.join(TASK_TYPES)}, got {task_type!r}")
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(message)s")
    # Only the simulator's own lines: third-party loggers could echo request details.
    logging.getLogger().handlers[0].addFilter(logging.Filter("airflow_topview.testing"))
    from airflow_topview.testing.simulator import TopviewSimulator  # after argparse: --help stays fast

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
        accept_any_model=args.accept_any_model,
    )
    for task_type, name in args.model_for:
        sim.add_model(name, task_type=task_type)
    for name in args.model:
        sim.add_model(name)

    def serve() -> None:
        sim.start()
        counts = ", ".join(f"{len(sim.known_models_for(key))} {key}" for key in TASK_TYPES)
        models = "any model" if args.accept_any_model else f"model names ({counts})"
        print(sim.base_url, flush=True)
        print(connection_export(sim), flush=True)
        print(f"TopView simulator for uid {args.uid!r}, taking {models}; Ctrl-C stops it.", flush=True)

    try:
        signum = wait_for_signal(STOP_SIGNALS, ready=serve)
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc} (try --port 0)", file=sys.stderr)
        return 1
    finally:
        sim.stop()
    print(f"{signal.Signals(signum).name}: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
