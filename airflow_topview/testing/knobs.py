"""The simulator's behaviour knobs, settable while it runs (split from :mod:`.simulator` for size)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_topview.client.task_types import IMAGE_TO_VIDEO
from airflow_topview.testing.task_endpoints import task_key

if TYPE_CHECKING:
    from airflow_topview.client.task_types import TaskType
    from airflow_topview.testing.state import SimulatorState


class SimulatorKnobs:
    """Timing, limits, credits, URLs, video payload and which models a submit may name."""

    _state: SimulatorState

    @property
    def polls_to_finish(self) -> int:
        return self._state.polls_to_finish

    @polls_to_finish.setter
    def polls_to_finish(self, value: int) -> None:
        if value < 1:
            raise ValueError("polls_to_finish must be >= 1")
        self._state.polls_to_finish = value

    @property
    def seconds_to_finish(self) -> float | None:
        return self._state.seconds_to_finish

    @seconds_to_finish.setter
    def seconds_to_finish(self, value: float | None) -> None:
        self._state.seconds_to_finish = value

    @property
    def upload_check_lag(self) -> int:
        return self._state.upload_check_lag

    @upload_check_lag.setter
    def upload_check_lag(self, value: int) -> None:
        self._state.upload_check_lag = value

    @property
    def max_running(self) -> int | None:
        return self._state.max_running

    @max_running.setter
    def max_running(self, value: int | None) -> None:
        self._state.max_running = value

    @property
    def credits(self) -> float:
        """The credit balance; completed tasks deduct their ``costCredit`` (see also ``reserved_credits``)."""
        return self._state.credits

    @credits.setter
    def credits(self, value: float) -> None:
        with self._state.mutate():
            self._state.credits = value

    @property
    def reserved_credits(self) -> float:
        """Estimated cost of the unfinished tasks: held from submit until the task ends, so the credit
        detail's ``remainCredit`` is ``credits - reserved_credits``; a failed task's hold is released."""
        return self._state.reserved()

    @property
    def url_ttl(self) -> float:
        """Lifetime in seconds of the video URLs issued from now on (default 24 h, like S3)."""
        return self._state.signer.ttl_seconds

    @url_ttl.setter
    def url_ttl(self, value: float) -> None:
        self._state.signer.ttl_seconds = value

    @property
    def video_bytes(self) -> bytes:
        """What every generated video downloads as (default: a tiny bundled MP4); set big bytes to test
        streaming, progress and truncated downloads. Applies to downloads from now on."""
        return self._state.video_bytes

    @video_bytes.setter
    def video_bytes(self, value: bytes) -> None:
        if not isinstance(value, bytes | bytearray | memoryview):
            raise TypeError("video_bytes must be bytes")
        self._state.video_bytes = bytes(value)

    @property
    def accept_any_model(self) -> bool:
        """False (default): like TopView, a submit naming a model outside its task type's known models
        (:meth:`known_models_for`) is answered 4000 "Invalid parameter or model" (no task, no charge).
        True: every model is taken, for every task type."""
        return self._state.models.accept_any

    @accept_any_model.setter
    def accept_any_model(self, value: bool) -> None:
        with self._state.mutate():
            self._state.models.accept_any = bool(value)

    @property
    def known_models(self) -> frozenset[str]:
        """The exact, case-sensitive model spellings an Image-to-Video submit may use: the catalog's submit
        names (display names and the documented kebab ids) of models not retired, plus those added with
        :meth:`add_model`. Other task types: :meth:`known_models_for`."""
        return self.known_models_for(IMAGE_TO_VIDEO)

    def known_models_for(self, task_type: str | TaskType = IMAGE_TO_VIDEO) -> frozenset[str]:
        """:attr:`known_models` of one task type (key or declaration), e.g.
        ``sim.known_models_for("text2video")``."""
        with self._state.lock:
            return self._state.models.known(task_key(task_type))

    def add_model(self, name: str, *, task_type: str | TaskType = IMAGE_TO_VIDEO) -> None:
        """Take ``name``, exactly as spelled, as a model of ``task_type`` (default Image-to-Video; say, a
        model newer than the catalog, or a retired one a test still wants); reset() keeps it."""
        key = task_key(task_type)
        with self._state.mutate():
            self._state.models.add(name, key)
