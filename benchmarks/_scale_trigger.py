"""A diagnostic trigger for ``benchmarks.triggerer_load --gc-freeze`` (never used by a default run).

:class:`ImageToVideoTrigger` unchanged, except that starting it first moves every object the trigger runner
holds so far out of the cyclic garbage collector's reach (``gc.freeze()``), as Airflow's LocalExecutor does
for its workers: a test of whether full collections over the runner's inherited heap stall its event loop.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

from airflow_topview.triggers.image_to_video import ImageToVideoTrigger

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from airflow.triggers.base import TriggerEvent


class FrozenHeapImageToVideoTrigger(ImageToVideoTrigger):
    async def run(self) -> AsyncIterator[TriggerEvent]:
        gc.freeze()  # cheap: moves the tracked objects to the permanent generation
        async for event in super().run():
            yield event
