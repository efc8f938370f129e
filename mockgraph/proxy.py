"""Record mode on the road: forward to the upstream, answer with what it says, keep it as a fixture.

Which requests go upstream depends on the mode: all of them in `all`; in `new`, those no
documented fixture answers and that were not recorded before (a recording answers its own request
only, never another that happens to share its path). `once` was decided at start: it is `all`
where the fixtures hold no recording yet, else nothing is forwarded.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import replace

from .config import Settings
from .drift import drift_findings
from .exchange import Answer, Request, Stream
from .index import FixtureIndex, Incoming, Miss
from .models import Drift, Finding, Fixture
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
        # The documented fixtures alone, so that a recording is compared with the documentation
        # (never with another recording), and the drift found, by recording, for the journal.
        self._documented = FixtureIndex({r.name: r.fixture for r in fixtures.lookup.index.routes if r.fixture.source.kind != RECORDED_KIND})
        self._drift: dict[str, Drift] = {}

    def concerns(self, request: Request) -> bool:
        return True

    async def answer(self, request: Request) -> Answer | None:
        if not self._goes_upstream(request):
            return None
        answer = await self.upstream.forward(request, self._keep)
        return answer if answer.stream is None else answer._replace(stream=_Drifting(answer.stream, self._drift))

    def _goes_upstream(self, request: Request) -> bool:
        if self.mode == "all":
            return True
        content_type = request.headers.get("Content-Type", "")
        if self.recorder.identity(request.method, request.target, request.body, content_type) in self.recorder.known:
            return False
        outcome = self.fixtures.lookup.match(request)
        return isinstance(outcome, Miss) or outcome.route.fixture.source.kind == RECORDED_KIND

    async def _keep(self, interaction: Interaction) -> str | None:
        """Record an interaction and serve it from now on; its fixture's name, or None where it is
        not recorded. A failing recorder never touches the answer, whose head is on its way already:
        a full disk or a read-only folder, or a body it cannot write (a lone surrogate, deep nesting)."""
        try:
            recorded = await self.recorder.save(interaction, self._compare)
        except OSError as exc:
            log.error("could not record %s %s: %s", interaction.method, interaction.path, exc)
            return None
        except Exception as exc:  # whatever the recorder trips on, the answer must still go out whole
            log.warning("not recording %s %s: %s: %s", interaction.method, interaction.path, type(exc).__name__, exc)
            return None
        if recorded is None:
            return None
        name, fixture = recorded
        self.fixtures.add(name, fixture)
        if fixture.drift is not None:
            self._drift[name] = fixture.drift
        return name

    def _compare(self, recording: Fixture) -> Drift | None:
        """How a recording differs from the documented fixture of its request, if one answers it:
        real traffic telling where the documentation is wrong (issue 18)."""
        r = recording.request
        target = (f"/{r.version}" if r.version else "") + r.path
        payload = r.body.json if r.body.is_json else None
        # The recording is redacted already: looked up as it is, not redacted again.
        outcome = self._documented.match(Incoming(r.method, target, r.query, payload, ""))
        if isinstance(outcome, Miss):
            return None
        body = recording.response.body
        findings = drift_findings(
            outcome.route.fixture, recording.response.status, body.json, body.is_json, redactor=self.recorder.redactor
        )
        return Drift(outcome.route.name, findings)

    async def close(self) -> None:
        await self.upstream.close()


class _Drifting:
    """An upstream's answer stream that, once sent, also tells the drift found in its recording, so
    the journal and the reports show it. Drift is about the documentation, not the client's
    payload: the journal shows it as warnings, and only a stricter `fail-on` fails a run on it."""

    def __init__(self, stream: Stream, drift: dict[str, Drift]) -> None:
        self._stream = stream
        self._drift = drift

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._stream.__aiter__()

    @property
    def fixture(self) -> str | None:
        return self._stream.fixture

    @property
    def findings(self) -> tuple[Finding, ...]:
        drift = self._drift.get(self.fixture or "")
        if drift is None:
            return ()
        return tuple(
            replace(f, severity="warning" if f.severity == "error" else f.severity, message=f"drift from {drift.fixture}: {f.message}")
            for f in drift.findings
        )


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
