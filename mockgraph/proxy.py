"""Record mode on the road: forward to the upstream, answer with what it says, keep it as a fixture.

Which requests go upstream depends on the mode: all of them in `all`; in `new`, those no
documented fixture answers and that were not recorded before (a recording answers its own request
only, never another that happens to share its path). `once` was decided at start: it is `all`
where the fixtures hold no recording yet, else nothing is forwarded.
"""

from __future__ import annotations

import logging

from .config import Settings
from .exchange import Answer, Request
from .index import Miss
from .recorder import RECORDED_KIND, Interaction, Recorder
from .redact import Redactor
from .replay import FixtureAnswerer
from .upstream import Upstream

log = logging.getLogger("mockgraph")


class RecordingAnswerer:
    """Forwards what the record mode sends upstream; new recordings are served from then on."""

    def __init__(self, mode: str, upstream: Upstream, recorder: Recorder, fixtures: FixtureAnswerer) -> None:
        self.mode = mode  # "new" or "all"
        self.upstream = upstream
        self.recorder = recorder
        self.fixtures = fixtures

    async def answer(self, request: Request) -> Answer | None:
        if not self._goes_upstream(request):
            return None
        return await self.upstream.forward(request, self._keep)

    def _goes_upstream(self, request: Request) -> bool:
        if self.mode == "all":
            return True
        content_type = request.headers.get("Content-Type", "")
        if self.recorder.identity(request.method, request.target, request.body, content_type) in self.recorder.known:
            return False
        lookup = self.fixtures.lookup
        outcome = lookup.index.match(lookup.incoming(request.method, request.path, request.query))
        return isinstance(outcome, Miss) or outcome.route.fixture.source.kind == RECORDED_KIND

    async def _keep(self, interaction: Interaction) -> str | None:
        """Record an interaction and serve it from now on; its fixture's name, or None where it is
        not recorded. A failing recorder never touches the answer, whose head is on its way already:
        a full disk or a read-only folder, or a body it cannot write (a lone surrogate, deep nesting)."""
        try:
            recorded = await self.recorder.save(interaction)
        except OSError as exc:
            log.error("could not record %s %s: %s", interaction.method, interaction.raw_path, exc)
            return None
        except Exception as exc:  # whatever the recorder trips on, the answer must still go out whole
            log.warning("not recording %s %s: %s: %s", interaction.method, interaction.raw_path, type(exc).__name__, exc)
            return None
        if recorded is None:
            return None
        name, fixture = recorded
        self.fixtures.add(name, fixture)
        return name

    async def close(self) -> None:
        await self.upstream.close()


def recording_for(settings: Settings, fixtures: FixtureAnswerer, redactor: Redactor) -> RecordingAnswerer | None:
    """The record mode's answerer, or None where nothing is forwarded."""
    mode = settings.record
    if mode == "once":  # record the first time, replay every time after
        mode = "none" if fixtures.lookup.recorded else "all"
    if mode == "none" or settings.upstream is None:
        return None
    upstream = Upstream(settings.upstream, settings.upstream_timeout, settings.max_body_bytes)
    recorder = Recorder(settings.fixtures, redactor, settings.upstream)
    recorder.load_known(route.fixture for route in fixtures.lookup.index.routes)
    return RecordingAnswerer(mode, upstream, recorder, fixtures)
