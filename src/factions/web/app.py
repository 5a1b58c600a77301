"""The factions web app: a REST API (FastAPI) and the static front end that uses it.

``factions serve`` calls :func:`serve`; tests and embedders call :func:`create_app`. The API
is documented at ``/docs`` (an offline page) and ``/openapi.json``; docs/web.md describes
the pages, the endpoints and the safety rules.

- Scenarios: the built-in ones and those saved in the scenarios folder; read, write, copy,
  delete, validate (every problem with its path), import (KTAB CSV/XML, BDM CSV), export.
- Single runs (:func:`factions.simulate.simulate`) run in a thread pool and return the
  result and the report's figures.
- Ensembles (:func:`factions.ensemble.run_ensemble`) run as background jobs with progress
  (server-sent events) and cancellation; their results are read from the run store.

Errors are problem details (RFC 9457, :mod:`factions.web.problems`); an unexpected error is
logged and answered with a 500 problem that names no internals.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, File, Form, Query, Request, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from factions import __version__
from factions.engines import ENGINES
from factions.errors import FactionsError, Problem, ScenarioError
from factions.scenario.io import dumps_scenario
from factions.scenario.schema import Scenario
from factions.simulate import simulate
from factions.store import RunDir, default_runs_dir, list_runs
from factions.web.guard import Guard, guard_options
from factions.web.isolated import ClientGone, RunLimits, RunSlots
from factions.web.jobs import TERMINAL, Job, JobRegistry
from factions.web.problems import ApiProblem, json_safe, problem_response
from factions.web.scenarios import (
    Parsed,
    ScenarioStore,
    check_name,
    default_scenarios_dir,
    parse_data,
    parse_text,
)
from factions.web.server import header_timeout_protocol

__all__ = ["LIMITS", "MODELS", "create_app", "serve"]

log = logging.getLogger("factions.web")

STATIC = Path(str(resources.files("factions.web") / "static"))

#: The bargaining engines a run may use (kept equal to factions.engines.ENGINES by a test).
Model = Literal["eum", "mean", "median", "smp", "nash", "exchange", "procedural"]
MODELS: tuple[str, ...] = ("mean", "median", "eum", "smp", "nash", "exchange", "procedural")

#: What the web app will run: bigger scenarios belong on the command line.
LIMITS = {
    "actors": 200,
    "issues": 50,
    "events": 500,
    "months": 600,
    "seats": 100_000,
    "runs": 100_000,
}

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,160}$")
_JOB_ID = re.compile(r"^[0-9a-f]{12}$")

# ----------------------------------------------------------------------------------------
# Request and response bodies
# ----------------------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScenarioText(_Body):
    """A scenario as YAML (or JSON) text, or as data: exactly one of the two."""

    yaml: str | None = Field(default=None, description="The scenario as YAML or JSON text.")
    data: dict[str, Any] | None = Field(default=None, description="The scenario as data.")

    @model_validator(mode="after")
    def _one(self) -> ScenarioText:
        if (self.yaml is None) == (self.data is None):
            raise ValueError("give exactly one of 'yaml' and 'data'")
        return self


class ScenarioRef(_Body):
    """Which scenario to run: a name, or YAML text, or data (exactly one)."""

    scenario: str | None = Field(
        default=None, description="The name of a built-in or saved scenario.", max_length=200
    )
    yaml: str | None = Field(default=None, description="An (unsaved) scenario as YAML text.")
    data: dict[str, Any] | None = Field(default=None, description="An (unsaved) scenario.")

    @model_validator(mode="after")
    def _one(self) -> ScenarioRef:
        given = sum(x is not None for x in (self.scenario, self.yaml, self.data))
        if given != 1:
            raise ValueError("give exactly one of 'scenario', 'yaml' and 'data'")
        return self


class RunRequest(ScenarioRef):
    """A single run."""

    model: Model = Field(default="mean", description="The bargaining engine.")
    seed: int = Field(default=0, ge=0, le=2**32 - 1, description="The seed of the run.")


class EnsembleRequest(ScenarioRef):
    """An ensemble over the scenario's uncertain inputs."""

    model: Model = Field(default="mean", description="The bargaining engine.")
    runs: int = Field(default=1000, ge=1, le=LIMITS["runs"], description="Members.")
    seed: int = Field(default=0, ge=0, le=2**32 - 1, description="The seed of everything.")
    method: Literal["lhs", "sobol", "random"] = Field(
        default="lhs", description="How the uncertain inputs are sampled."
    )


class CopyRequest(_Body):
    name: str = Field(description="The new scenario's name.", max_length=200)


class ProblemItem(BaseModel):
    path: str
    message: str


class ProblemDetails(BaseModel):
    """An error (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str
    problems: list[ProblemItem] | None = None


class ScenarioEntry(BaseModel):
    name: str
    builtin: bool
    title: str
    date: str | None
    actors: int
    issues: int
    valid: bool


class ScenarioDoc(BaseModel):
    """A scenario: its text, its data (for the form) and its problems."""

    name: str
    builtin: bool
    yaml: str
    data: dict[str, Any] | None
    valid: bool
    problems: list[ProblemItem]


class ValidationReport(BaseModel):
    """Whether a scenario is valid, every problem with its path, and both of its forms."""

    valid: bool
    problems: list[ProblemItem]
    data: dict[str, Any] | None = Field(description="The scenario as data, if it is a mapping.")
    yaml: str | None = Field(description="The scenario as YAML (when data was sent).")


class ModelInfo(BaseModel):
    name: str
    title: str
    citation: str
    stochastic: bool


class JobInfo(BaseModel):
    id: str
    scenario: str
    model: str
    runs: int
    seed: int
    method: str
    status: Literal["queued", "running", "complete", "failed", "cancelled"]
    done: int
    total: int
    run_id: str | None
    error: dict[str, Any] | None
    created: float
    started: float | None
    finished: float | None


class StoredRun(BaseModel):
    id: str
    scenario: str | None
    model: str | None
    runs: int | None
    seed: int | None
    method: str | None
    status: str | None
    created: str | None
    updated: str | None


_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ProblemDetails, "content": {"application/problem+json": {}}}
    for code in (400, 403, 404, 409, 413, 422)
}

# ----------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------


def _items(problems: list[Problem]) -> list[ProblemItem]:
    return [ProblemItem(path=p.path, message=p.message) for p in problems]


def _check_limits(scenario: Scenario) -> None:
    problems: list[Problem] = []
    cal = scenario.dynamics.calibration
    if cal is not None:
        from factions.calibration.store import BUILTIN

        if cal not in BUILTIN:  # a path would make the server read a file of the client's choice
            problems.append(
                Problem(
                    "dynamics.calibration",
                    f"the web app uses built-in calibrations only ({', '.join(BUILTIN)}), "
                    "not files",
                )
            )
    for key in ("actors", "issues", "events"):
        n = len(getattr(scenario, key))
        if n > LIMITS[key]:
            problems.append(Problem(key, f"the web app runs at most {LIMITS[key]} {key}, got {n}"))
    m = scenario.metadata
    if m.horizon is not None:
        months = (m.horizon.year - m.date.year) * 12 + m.horizon.month - m.date.month
        if months > LIMITS["months"]:
            problems.append(
                Problem(
                    "metadata.horizon",
                    f"the web app simulates at most {LIMITS['months']} months, got {months}",
                )
            )
    for k, e in enumerate(scenario.events):
        if e.election is not None:
            seats = e.election.seats or sum(d.seats for d in e.election.districts)
            if seats > LIMITS["seats"]:
                problems.append(
                    Problem(
                        f"events.{k}.election.seats",
                        f"the web app allocates at most {LIMITS['seats']} seats, got {seats}",
                    )
                )
    if problems:
        raise ApiProblem(
            422,
            "the scenario is too large for the web app (use the command line)",
            kind="too-large-scenario",
            problems=problems,
        )


def _invalid(problems: list[Problem], what: str = "the scenario is invalid") -> ApiProblem:
    return ApiProblem(
        422, what, kind="invalid-scenario", title="Invalid scenario", problems=problems
    )


def _figures_of_result(result: Any) -> list[dict[str, Any]]:
    from factions.report.figures import run_figures, view_of_result

    return list(run_figures(view_of_result(result)))


def _figures_of_run_dir(path: Path) -> list[dict[str, Any]]:
    from factions.report.figures import run_figures, view_of_run_dir

    return list(run_figures(view_of_run_dir(path)))


def _run_single(scenario: Scenario, model: str, seed: int) -> dict[str, Any]:
    from factions.report.figures import SECTION_TITLES
    from factions.story import story

    result = simulate(scenario, model, seed=seed)
    out: dict[str, Any] = json_safe(
        {
            "result": result.to_json(),
            "figures": _figures_of_result(result),
            "sections": SECTION_TITLES,
            "story": [{"date": m.date, "lines": m.lines} for m in story(result)],
        }
    )
    return out


def _stored(run: RunDir, live: set[str] | frozenset[str] = frozenset()) -> StoredRun:
    """A stored run's summary; a run whose manifest says ``running`` but that no job of this
    server is running (the server stopped during it) is ``interrupted``: resume it."""
    try:
        m = run.manifest()
    except FactionsError:
        m = {}

    def get(key: str, kind: type) -> Any:
        v = m.get(key)
        return v if isinstance(v, kind) and not isinstance(v, bool) else None

    return StoredRun(
        id=run.id,
        scenario=get("scenario", str),
        model=get("model", str),
        runs=get("runs", int),
        seed=get("seed", int),
        method=get("method", str),
        status="interrupted"
        if get("status", str) == "running" and run.id not in live
        else get("status", str),
        created=get("created", str),
        updated=get("updated", str),
    )


# ----------------------------------------------------------------------------------------
# The app
# ----------------------------------------------------------------------------------------


def create_app(
    runs_dir: Path | None = None,
    scenarios_dir: Path | None = None,
    *,
    allowed_hosts: list[str] | None = None,
    limits: RunLimits | None = None,
) -> FastAPI:
    """The web app.

    Parameters
    ----------
    runs_dir
        The run store (default :func:`factions.store.default_runs_dir`).
    scenarios_dir
        Where saved scenarios live (default ``$FACTIONS_SCENARIOS`` or
        ``~/.factions/scenarios``).
    allowed_hosts
        Host names the app answers to besides the local ones (``["*"]``: any).
    limits
        Concurrency, time and memory limits of single runs, and the body timeout
        (default :class:`~factions.web.isolated.RunLimits`).
    """
    runs_root = Path(runs_dir) if runs_dir is not None else default_runs_dir()
    scenarios_root = Path(scenarios_dir) if scenarios_dir is not None else default_scenarios_dir()
    store = ScenarioStore(scenarios_root)
    jobs = JobRegistry(runs_root)
    slots = RunSlots(limits)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        slots.shutdown()
        jobs.shutdown()

    app = FastAPI(
        title="factions",
        version=__version__,
        summary="Simulate and forecast power struggles between political factions.",
        description=(
            "The API of the factions web app, which its own front end uses. Errors are "
            "problem details (RFC 9457) with `type`, `title`, `status`, `detail`, and "
            "`problems` (`[{path, message}]`) for invalid scenarios. Request bodies are "
            "limited to 2 MB."
        ),
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "scenarios", "description": "Built-in and saved scenarios."},
            {"name": "runs", "description": "Single runs, ensembles and the run store."},
            {"name": "meta", "description": "Models and the scenario format."},
        ],
    )
    app.state.store = store
    app.state.jobs = jobs
    app.state.runs_dir = runs_root
    app.state.slots = slots
    app.add_middleware(Guard, allowed_hosts=allowed_hosts, body_timeout=slots.limits.body_timeout)

    # -- errors ---------------------------------------------------------------------
    @app.exception_handler(ApiProblem)
    async def _api_problem(_: Request, exc: ApiProblem) -> JSONResponse:
        return problem_response(
            exc.status, exc.detail, kind=exc.kind, title=exc.title, problems=exc.problems
        )

    @app.exception_handler(ScenarioError)
    async def _scenario_error(_: Request, exc: ScenarioError) -> JSONResponse:
        return problem_response(
            422,
            "the scenario is invalid",
            kind="invalid-scenario",
            title="Invalid scenario",
            problems=exc.problems,
        )

    @app.exception_handler(FactionsError)
    async def _factions_error(_: Request, exc: FactionsError) -> JSONResponse:
        detail = (str(exc).splitlines() or ["the request failed"])[0][:300]
        return problem_response(422, detail, kind="run-failed", title="The run failed")

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for e in exc.errors():
            loc = [str(p) for p in e.get("loc", ())]
            problems.append(Problem(".".join(loc), str(e.get("msg", "invalid"))))
        return problem_response(
            422, "the request is invalid", kind="invalid-request", problems=problems
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "request failed"
        return problem_response(exc.status_code, detail, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _internal(_: Request, exc: Exception) -> JSONResponse:
        log.error("internal error", exc_info=exc)
        return problem_response(
            500, "an unexpected error occurred; it has been logged on the server", kind="internal"
        )

    # -- scenario helpers -----------------------------------------------------------
    def resolve(ref: ScenarioRef) -> tuple[str, Scenario]:
        if ref.scenario is not None:
            name = check_name(ref.scenario)
            if not store.exists(name):
                raise ApiProblem(404, f"no scenario named {name!r}", kind="not-found")
            scenario = store.load(name)
        else:
            parsed = parse_text(ref.yaml) if ref.yaml is not None else parse_data(ref.data)
            if parsed.scenario is None:
                raise _invalid(parsed.problems)
            scenario = parsed.scenario
            name = scenario.id
        _check_limits(scenario)
        return name, scenario

    def doc(name: str, parsed: Parsed, text: str) -> ScenarioDoc:
        return ScenarioDoc(
            name=name,
            builtin=store.is_builtin(name),
            yaml=text,
            data=parsed.data,
            valid=parsed.scenario is not None,
            problems=_items(parsed.problems),
        )

    def existing(name: str) -> str:
        check_name(name)
        if not store.exists(name):
            raise ApiProblem(404, f"no scenario named {name!r}", kind="not-found")
        return name

    # -- pages ----------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/docs", include_in_schema=False)
    async def api_docs() -> FileResponse:
        return FileResponse(STATIC / "docs.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    # -- meta -----------------------------------------------------------------------
    @app.get("/api/models", tags=["meta"], response_model=list[ModelInfo])
    async def models() -> list[ModelInfo]:
        """The bargaining engines."""
        return [
            ModelInfo(
                name=n,
                title=ENGINES[n].title,
                citation=ENGINES[n].citation,
                stochastic=ENGINES[n].stochastic,
            )
            for n in MODELS
            if n in ENGINES
        ]

    @app.get("/api/schema", tags=["meta"])
    async def schema() -> dict[str, Any]:
        """The scenario format's JSON Schema (the editor's form is generated from it)."""
        return Scenario.model_json_schema()

    @app.get("/api/limits", tags=["meta"])
    async def api_limits() -> dict[str, float]:
        """The largest scenarios and ensembles the web app runs, the body limit, and the
        limits of single runs (at once, seconds, memory) and of slow clients."""
        from factions.web.guard import MAX_BODY

        lim = slots.limits
        return {
            **LIMITS,
            "body_bytes": MAX_BODY,
            "concurrent_runs": lim.max_runs,
            "run_seconds": lim.timeout,
            "run_memory_bytes": lim.memory,
            "header_seconds": lim.header_timeout,
            "body_seconds": lim.body_timeout,
        }

    # -- scenarios ------------------------------------------------------------------
    @app.get("/api/scenarios", tags=["scenarios"], response_model=list[ScenarioEntry])
    async def list_scenarios() -> list[ScenarioEntry]:
        """The built-in scenarios, then the saved ones."""
        entries = await run_in_threadpool(store.entries)
        return [ScenarioEntry(**e.__dict__) for e in entries]

    @app.get(
        "/api/scenarios/{name}", tags=["scenarios"], response_model=ScenarioDoc, responses=_ERRORS
    )
    async def get_scenario(name: str) -> ScenarioDoc:
        """A scenario's YAML text, its data and its problems (if any)."""
        existing(name)
        text = store.text(name)
        return doc(name, parse_text(text), text)

    @app.put(
        "/api/scenarios/{name}",
        tags=["scenarios"],
        response_model=ScenarioDoc,
        responses={**_ERRORS, 201: {"model": ScenarioDoc}},
    )
    async def put_scenario(name: str, body: ScenarioText, response: Response) -> ScenarioDoc:
        """Create or replace a saved scenario (built-in names are refused).

        YAML text is stored as written (comments kept); data is stored as YAML.
        """
        store.check_writable(name)
        if body.yaml is not None:
            parsed = await run_in_threadpool(parse_text, body.yaml)
            text = body.yaml
        else:
            parsed = await run_in_threadpool(parse_data, body.data)
            text = ""
        if parsed.scenario is None:
            raise _invalid(parsed.problems)
        if body.yaml is None:
            text = dumps_scenario(parsed.scenario)
        created = store.save(name, text)
        response.status_code = 201 if created else 200
        return doc(name, parsed, text)

    @app.delete("/api/scenarios/{name}", tags=["scenarios"], status_code=204, responses=_ERRORS)
    async def delete_scenario(name: str) -> Response:
        """Delete a saved scenario."""
        store.delete(name)
        return Response(status_code=204)

    @app.post(
        "/api/scenarios/{name}/copy",
        tags=["scenarios"],
        status_code=201,
        response_model=ScenarioDoc,
        responses=_ERRORS,
    )
    async def copy_scenario(name: str, body: CopyRequest) -> ScenarioDoc:
        """Save a copy of a scenario under a new name (its metadata.id becomes the name)."""
        existing(name)
        new = check_name(body.name)
        if store.exists(new):
            raise ApiProblem(409, f"a scenario named {new!r} exists already", kind="exists")
        scenario = store.load(name)
        meta = scenario.metadata.model_copy(update={"id": new})
        copy = scenario.model_copy(update={"metadata": meta})
        text = dumps_scenario(copy)
        parsed = parse_text(text)
        if parsed.scenario is None:  # pragma: no cover - a valid scenario stays valid
            raise _invalid(parsed.problems)
        store.save(new, text)
        return doc(new, parsed, text)

    @app.get("/api/scenarios/{name}/export", tags=["scenarios"], responses=_ERRORS)
    async def export_scenario(
        name: str, fmt: Annotated[Literal["yaml", "json", "toml"], Query(alias="format")] = "yaml"
    ) -> Response:
        """Download a scenario as YAML (as written), JSON or TOML."""
        existing(name)
        text = store.text(name) if fmt == "yaml" else dumps_scenario(store.load(name), fmt)
        media = {"yaml": "application/yaml", "json": "application/json", "toml": "application/toml"}
        return Response(
            text,
            media_type=f"{media[fmt]}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
        )

    @app.post("/api/validate", tags=["scenarios"], response_model=ValidationReport)
    async def validate(body: ScenarioText) -> ValidationReport:
        """Validate a scenario: 200 with every problem (none if valid).

        Send ``yaml`` to get the data back (for a form), or ``data`` to get YAML back.
        """
        # Parsing and validating a large document takes time: not in the event loop.
        if body.yaml is not None:
            parsed = await run_in_threadpool(parse_text, body.yaml)
            text = None
        else:
            parsed = await run_in_threadpool(parse_data, body.data)
            text = await run_in_threadpool(_yaml_of, parsed, body.data)
        return ValidationReport(
            valid=parsed.scenario is not None,
            problems=_items(parsed.problems),
            data=parsed.data,
            yaml=text,
        )

    @app.post(
        "/api/import",
        tags=["scenarios"],
        status_code=201,
        response_model=ScenarioDoc,
        responses=_ERRORS,
    )
    async def import_file(
        file: Annotated[
            UploadFile,
            File(
                description="A scenario file in any format `factions run` reads: YAML, JSON, "
                "TOML, KTAB CSV or XML, BDM CSV."
            ),
        ],
        name: Annotated[str | None, Form(description="Save under this name.")] = None,
        fmt: Annotated[
            Literal["auto", "ktab-csv", "ktab-xml", "bdm-csv"],
            Form(alias="format", description="The file's format (auto: by name and content)."),
        ] = "auto",
    ) -> ScenarioDoc:
        """Import a scenario file (YAML, JSON, TOML, KTAB CSV/XML, BDM CSV) and save it."""
        raw = await file.read()
        if name:
            check_name(name)
            if store.exists(name):
                raise ApiProblem(409, f"a scenario named {name!r} exists already", kind="exists")
        scenario = await run_in_threadpool(_import, raw, file.filename or "upload", fmt)
        target = name or store.free_name(scenario.id)
        if target != scenario.id:
            meta = scenario.metadata.model_copy(update={"id": target})
            scenario = scenario.model_copy(update={"metadata": meta})
        text = dumps_scenario(scenario)
        store.save(target, text)
        return doc(target, parse_text(text), text)

    # -- runs -----------------------------------------------------------------------
    @app.post("/api/simulate", tags=["runs"], responses=_ERRORS)
    async def run_once(body: RunRequest, request: Request) -> Any:
        """One run of a model: the result (answers, forecasts, series), the report's
        figures and the month-by-month story."""
        name, scenario = await run_in_threadpool(resolve, body)
        try:
            out: dict[str, Any] = await slots.run(
                _run_single, scenario, body.model, body.seed,
                disconnected=request.is_disconnected,
            )  # fmt: skip
        except ClientGone:
            return Response(status_code=499)  # nobody is listening any more
        out["name"] = name
        return out

    @app.post(
        "/api/ensembles",
        tags=["runs"],
        status_code=202,
        response_model=JobInfo,
        responses=_ERRORS,
    )
    async def start_ensemble(body: EnsembleRequest, response: Response) -> JobInfo:
        """Start an ensemble in the background (an identical running job is reused)."""
        name, scenario = await run_in_threadpool(resolve, body)
        job, _ = jobs.submit(
            scenario, name=name, model=body.model, runs=body.runs, seed=body.seed,
            method=body.method,
        )  # fmt: skip
        response.headers["Location"] = f"/api/ensembles/{job.id}"
        return JobInfo(**job.snapshot())

    @app.get("/api/ensembles", tags=["runs"], response_model=list[JobInfo])
    async def list_jobs() -> list[JobInfo]:
        """The ensemble jobs since the app started, newest first."""
        return [JobInfo(**j.snapshot()) for j in jobs.list()]

    def job_of(job_id: str) -> Job:
        job = jobs.get(job_id) if _JOB_ID.fullmatch(job_id) else None
        if job is None:
            raise ApiProblem(404, f"no ensemble job {job_id[:40]!r}", kind="not-found")
        return job

    @app.get("/api/ensembles/{job_id}", tags=["runs"], response_model=JobInfo, responses=_ERRORS)
    async def get_job(job_id: str) -> JobInfo:
        """An ensemble job's status and progress."""
        return JobInfo(**job_of(job_id).snapshot())

    @app.post(
        "/api/ensembles/{job_id}/cancel", tags=["runs"], response_model=JobInfo, responses=_ERRORS
    )
    async def cancel_job(job_id: str) -> JobInfo:
        """Cancel a job: at once if queued, after the current chunk if running. The chunks
        already computed stay in the store; starting the same ensemble again resumes it."""
        job = job_of(job_id)
        jobs.cancel(job)
        return JobInfo(**job.snapshot())

    @app.get(
        "/api/ensembles/{job_id}/events",
        tags=["runs"],
        responses={200: {"content": {"text/event-stream": {}}}, **_ERRORS},
    )
    async def job_events(job_id: str) -> EventSourceResponse:
        """Server-sent events: ``progress`` ({done, total, status, ...}) whenever the job
        changes, then one ``end`` event with its final state."""
        job = job_of(job_id)

        async def events() -> AsyncIterator[dict[str, str]]:
            last: dict[str, Any] | None = None
            while True:
                snap = job.snapshot()
                if snap != last:
                    yield {"event": "progress", "data": json.dumps(snap)}
                    last = snap
                if snap["status"] in TERMINAL:
                    yield {"event": "end", "data": json.dumps(snap)}
                    return
                await asyncio.sleep(0.15)

        return EventSourceResponse(events(), ping=15)

    @app.get("/api/runs", tags=["runs"], response_model=list[StoredRun])
    async def stored_runs() -> list[StoredRun]:
        """The ensemble runs in the run store, newest first."""
        live = {j.run_id for j in jobs.list() if j.run_id and j.status not in TERMINAL}
        return [_stored(r, live) for r in await run_in_threadpool(list_runs, runs_root)]

    def run_of(run_id: str) -> RunDir:
        if not _RUN_ID.fullmatch(run_id) or ".." in run_id:
            raise ApiProblem(400, f"invalid run id {run_id[:80]!r}", kind="invalid-name")
        run = RunDir(runs_root / run_id)
        if not (run.path / "manifest.json").is_file():
            raise ApiProblem(404, f"no stored run {run_id!r}", kind="not-found")
        return run

    @app.get("/api/runs/{run_id}", tags=["runs"], responses=_ERRORS)
    async def stored_run(run_id: str) -> dict[str, Any]:
        """A stored run: its manifest, its aggregates and the report's figures (complete
        runs only)."""
        run = run_of(run_id)
        return await run_in_threadpool(_run_detail, run)

    @app.post(
        "/api/runs/{run_id}/resume",
        tags=["runs"],
        status_code=202,
        response_model=JobInfo,
        responses=_ERRORS,
    )
    async def resume_run(run_id: str, response: Response) -> JobInfo:
        """Resume an interrupted (or cancelled) run as a new job: only its missing chunks
        are computed.

        Runs started with options the app does not set (engine options, a chunk size of
        their own) are resumed with the `factions ensemble` command instead (409).
        """
        run = run_of(run_id)
        job = await run_in_threadpool(_resume, jobs, run)
        response.headers["Location"] = f"/api/ensembles/{job.id}"
        return JobInfo(**job.snapshot())

    @app.delete("/api/runs/{run_id}", tags=["runs"], status_code=204, responses=_ERRORS)
    async def delete_run(run_id: str) -> Response:
        """Remove a stored run (refused while a job is writing it)."""
        run = run_of(run_id)
        for job in jobs.list():
            if job.run_id == run.id and job.status not in TERMINAL:
                raise ApiProblem(409, "a job is still writing this run", kind="busy")
        await run_in_threadpool(run.remove)
        return Response(status_code=204)

    # The first paragraph of each endpoint's docstring is its summary in the docs.
    for route in app.routes:
        if isinstance(route, APIRoute) and route.description:
            first, _, rest = route.description.partition("\n\n")
            route.summary = " ".join(first.split())
            route.description = rest.strip()
    return app


def _yaml_of(parsed: Parsed, data: Any) -> str | None:
    """YAML for data sent by the form: normalized when valid, else as given."""
    import yaml

    if parsed.scenario is not None:
        return dumps_scenario(parsed.scenario)
    if parsed.data is None:
        return None
    dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump(parsed.data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=100)
    return str(text)


#: What ``factions run FILE`` reads, by suffix (load_scenario); the upload goes through it.
RUN_SUFFIXES = (".yaml", ".yml", ".json", ".toml", ".csv", ".xml")


def _import(raw: bytes, filename: str, fmt: str) -> Scenario:
    """Import an uploaded file exactly as ``factions run FILE`` reads it: through
    :func:`~factions.scenario.io.load_scenario` (YAML, JSON, TOML, KTAB CSV/XML, BDM CSV),
    so that the web app accepts every format the command line does. A forced ``format``
    (or a name without a known suffix) goes to the CSV/XML importers directly."""
    import tempfile

    from factions.scenario.importers import import_text
    from factions.scenario.io import load_scenario

    source = Path(filename.replace("\\", "/")).name[:100] or "upload"
    text = _decode(raw, source)
    suffix = Path(source).suffix.lower()
    if fmt != "auto" or suffix not in RUN_SUFFIXES or suffix in (".csv", ".xml"):
        # What load_scenario does for .csv/.xml, minus the server's temporary path.
        return import_text(text, source, fmt)
    with tempfile.TemporaryDirectory(prefix="factions-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_text(text, "utf-8")
        try:
            return load_scenario(path)
        except ScenarioError as e:  # name the upload, not the temporary file
            raise ScenarioError(e.problems, source) from None


def _decode(raw: bytes, filename: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ScenarioError([Problem("", "the file is not UTF-8 text")], filename) from None


def _resume(jobs: JobRegistry, run: RunDir) -> Job:
    from factions.ensemble.runner import default_chunk_size

    m = run.manifest()
    if m.get("status") == "complete":
        raise ApiProblem(409, "this run is complete already", kind="complete")
    runs, seed, model, method = m.get("runs"), m.get("seed"), m.get("model"), m.get("method")
    if (
        not isinstance(runs, int)
        or not isinstance(seed, int)
        or not isinstance(model, str)
        or model not in MODELS
        or method not in ("lhs", "sobol", "random")
        or not 1 <= runs <= LIMITS["runs"]
        or m.get("options")
        or m.get("dynamics") is not None
        or m.get("chunk_size") != default_chunk_size(runs)
    ):
        raise ApiProblem(
            409,
            "this run was started with settings the web app does not set; resume it with "
            "the same `factions ensemble` command",
            kind="not-resumable",
        )
    try:
        raw = json.loads((run.path / "scenario.json").read_text("utf-8"))
    except (OSError, ValueError):
        raise ApiProblem(409, "the run's scenario.json is missing or unreadable") from None
    parsed = parse_data(raw)
    if parsed.scenario is None:
        raise _invalid(parsed.problems, "the run's scenario is no longer valid")
    job, _ = jobs.submit(
        parsed.scenario, name=parsed.scenario.id, model=model, runs=runs, seed=seed,
        method=method,
    )  # fmt: skip
    return job


def _run_detail(run: RunDir) -> dict[str, Any]:
    manifest = run.manifest()
    agg_path = run.path / "aggregates.json"
    aggregates: Any = None
    figures: list[dict[str, Any]] = []
    if manifest.get("status") == "complete" and agg_path.is_file():
        try:
            aggregates = json.loads(agg_path.read_text("utf-8"))
        except (OSError, ValueError):
            aggregates = None
        figures = _figures_of_run_dir(run.path)
    from factions.report.figures import SECTION_TITLES

    out: dict[str, Any] = json_safe(
        {
            "id": run.id,
            "manifest": manifest,
            "aggregates": aggregates,
            "figures": figures,
            "sections": SECTION_TITLES,
        }
    )
    return out


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    runs_dir: Path | None = None,
    scenarios_dir: Path | None = None,
    limits: RunLimits | None = None,
) -> None:
    """Serve the app with uvicorn (on 127.0.0.1 unless told otherwise).

    The server closes connections whose request head is later than
    ``limits.header_timeout`` seconds, and gives in-flight requests 5 s at shutdown.
    """
    import uvicorn

    if host not in ("127.0.0.1", "localhost", "::1"):
        log.warning(
            "factions serve: listening on %s; the app has no authentication, so anyone who "
            "can reach this address can use it",
            host,
        )
    limits = limits or RunLimits()
    app = create_app(runs_dir, scenarios_dir, limits=limits, **guard_options(host))
    stamp = dt.datetime.now().strftime("%H:%M:%S")
    shown = f"[{host}]" if ":" in host else host
    print(f"{stamp} factions {__version__}: http://{shown}:{port}/ (Ctrl-C to stop)")
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        server_header=False,
        http=header_timeout_protocol(limits.header_timeout),
        timeout_graceful_shutdown=5,
    )
