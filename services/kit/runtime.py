"""Running one service: database pool, broker, outbox relay, subscribers, background work, HTTP app.

A service describes itself with a :class:`ServiceSpec`: its settings class, a function that builds
its typed container (the service's objects, wired once, no I/O), and what the container offers —
HTTP routers, event subscribers and background loops. :func:`create_app` turns the spec into a
FastAPI app whose lifespan starts everything in order and drains it in reverse: background loops
stop, consumers finish the message in hand and commit, the relay empties, and only then are the
container's resources (HTTP and mail clients) closed, in the reverse order they were opened.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

import asyncpg
import uvicorn
from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, FastAPI
from faststream.kafka import KafkaBroker, KafkaRouter

from services.kit import access, broker, db, web
from services.kit.asyncapi_http import add_asyncapi
from services.kit.bodylimit import BodyLimit
from services.kit.http import add_basics
from services.kit.logs import setup_logging
from services.kit.messaging.binding import bind
from services.kit.messaging.deadletters import KafkaDeadLetters
from services.kit.messaging.reliability import Consumption
from services.kit.messaging.subscriber import EventSubscriber
from services.kit.outbox import OutboxRelay
from services.kit.region import Loket, Region, RegionFileError, region_of, use_region
from services.kit.settings import S, Settings, as_settings, load_settings
from services.kit.telemetry import setup_tracing

log = logging.getLogger(__name__)

C = TypeVar("C")
#: How often the watchdog looks whether every part of the service still runs.
WATCHDOG_SECONDS = 2.0
Loop = Callable[[], Awaitable[None]]
#: How uvicorn runs a service. ``proxy_headers`` is off: the client address is decided in one place,
#: :func:`services.kit.web.clients.client_address`, which believes X-Forwarded-For only from the
#: proxies of ``SAMENLOKET_TRUSTED_PROXIES`` (uvicorn would believe it from 127.0.0.1 by default).
UVICORN_OPTIONS: dict[str, Any] = {
    "log_config": None,
    "access_log": False,
    "proxy_headers": False,
    "timeout_graceful_shutdown": 10,
}


def _nothing(_: Any) -> list[Any]:
    return []


@dataclass
class ServiceSpec(Generic[C]):
    """What a service consists of; built by each service's ``app.spec()``."""

    name: str
    title: str
    settings: type[Settings]
    container: Callable[[Runtime], C]
    routers: Callable[[C], list[APIRouter]] = _nothing
    subscribers: Callable[[C], list[EventSubscriber]] = _nothing
    #: Long-running loops (schedules, periodic passes), started after the consumers, stopped first.
    background: Callable[[C], list[Loop]] = _nothing


class Runtime(Generic[S]):
    """The live resources of one service process, and its container. ``S`` is the service's settings
    class (``Runtime[ReportingSettings]``), so its own settings are typed where they are read."""

    def __init__(self, spec: ServiceSpec[Any], settings: Settings) -> None:
        self.spec = spec
        self.settings: S = cast(S, as_settings(spec.settings, settings))
        #: The region this deployment serves (its municipalities, organisations, loket): the region file's.
        self.region: Region = region_of(self.settings.region_file)
        self.pool: asyncpg.Pool | None = None
        self.producer: AIOKafkaProducer | None = None
        self.broker: KafkaBroker | None = None
        self.relay: OutboxRelay | None = None
        self.keys: access.KeyStore | None = None
        self.routers: list[KafkaRouter] = []
        self.relay_task: asyncio.Task[None] | None = None
        self.loops: list[asyncio.Task[None]] = []
        self.guard: asyncio.Task[None] | None = None
        self.resources = AsyncExitStack()
        #: What happens when a part stops by itself (see :meth:`watchdog`): the process ends.
        self.on_fatal: Callable[[str], None] = _terminate
        self.container: Any = spec.container(self)

    @property
    def loket(self) -> Loket:
        """The loket people can reach: the region file's, with the settings' ``loket_*`` over it."""
        s = self.settings
        return self.region.loket_with(s.loket_name, s.loket_phone, s.loket_email)

    @property
    def source(self) -> str:
        """The CloudEvents ``source`` of events this service publishes."""
        return f"/samenloket/{self.spec.name}"

    @property
    def db(self) -> asyncpg.Pool:
        assert self.pool is not None, "runtime not started"
        return self.pool

    def closing(self, close: Callable[[], Awaitable[object]]) -> None:
        """Close a container resource on stop, after the consumers have drained (last opened, first closed)."""
        self.resources.push_async_callback(close)

    async def start(self) -> None:
        settings = self.settings
        if not settings.database_url or not settings.kafka_bootstrap_servers:
            raise SystemExit(
                "SAMENLOKET_DATABASE_URL and SAMENLOKET_KAFKA_BOOTSTRAP_SERVERS must be set "
                "(`samenloket up` sets them for embedded mode)"
            )
        await db.migrate(settings.database_url, access.SCHEMA, package=access.PACKAGE)
        await db.migrate(settings.database_url, self.spec.name)
        self.pool = await db.create_pool(settings.database_url, self.spec.name, settings.db_pool_max)
        self.keys = access.KeyStore(self.pool)
        self.producer = broker.make_producer(settings)
        await self.producer.start()
        self.relay = OutboxRelay(self.pool, self.producer, self.spec.name)
        self.relay_task = asyncio.create_task(self.relay.run(), name=f"{self.spec.name}-relay")
        self.broker = broker.make_broker(settings, self.spec.name)
        dead_letters = KafkaDeadLetters(self.producer, self.spec.name)
        for subscriber in self.spec.subscribers(self.container):
            consumption = Consumption(
                self.spec.name,
                subscriber,
                self.pool,
                subscriber.dead_letters(dead_letters) if subscriber.dead_letters else dead_letters,
                settings.consumer_max_attempts,
                settings.consumer_retry_base_seconds,
            )
            self.routers.append(bind(self.broker, consumption))
        await self.broker.start()
        for loop in self.spec.background(self.container):
            self.loops.append(asyncio.create_task(_run(loop), name=f"{self.spec.name}-{loop.__name__}"))
        self.guard = asyncio.create_task(self.watchdog(), name=f"{self.spec.name}-watchdog")

    async def stop(self) -> None:
        """Drain: background loops stop, consumers finish and commit, the relay empties, then close."""
        if self.guard is not None:
            self.guard.cancel()
        for task in self.loops:
            task.cancel()
        if self.loops:
            await asyncio.wait(self.loops, timeout=10)
        if self.broker is not None:
            with contextlib.suppress(Exception):
                await self.broker.stop()
        if self.relay is not None:
            self.relay.stop()
        if self.relay_task is not None:
            _, pending = await asyncio.wait([self.relay_task], timeout=10)
            for task in pending:
                task.cancel()
        await self.resources.aclose()
        if self.producer is not None:
            with contextlib.suppress(Exception):
                await self.producer.stop()
        if self.pool is not None:
            await self.pool.close()

    async def readiness(self) -> dict[str, str]:
        checks = {"database": "ok", "broker": "ok"}
        try:
            await asyncio.wait_for(self.db.fetchval("SELECT 1"), 2)
        except Exception as exc:
            checks["database"] = f"unreachable: {type(exc).__name__}"
        try:
            assert self.producer is not None
            await asyncio.wait_for(self.producer.client.fetch_all_metadata(), 2)
        except Exception as exc:
            checks["broker"] = f"unreachable: {type(exc).__name__}"
        checks.update(dict.fromkeys(self.stopped_parts(), "stopped"))
        return checks

    def stopped_parts(self) -> list[str]:
        """The relay, background loops and consumers that ended although the service was not stopping."""
        stopped = [t.get_name() for t in [self.relay_task, *self.loops] if t is not None and t.done()]
        for router in self.routers:
            for subscriber in router.subscribers:
                if not subscriber.running or any(task.done() for task in getattr(subscriber, "tasks", ())):
                    stopped.append(f"consumer {getattr(subscriber, 'group_id', '')}")
        return stopped

    async def watchdog(self, every: float = WATCHDOG_SECONDS) -> None:
        """A part that ended by itself (a consumer that died, a relay that crashed) takes the process down
        with it, so the orchestrator or ``samenloket up`` starts it again: never a process that idles."""
        while True:
            await asyncio.sleep(every)
            stopped = self.stopped_parts()
            if stopped:
                log.critical("a part of the service stopped; stopping the process", extra={"stopped": stopped})
                self.on_fatal(", ".join(stopped))
                return


async def _run(loop: Loop) -> None:
    await loop()


def _terminate(reason: str) -> None:
    """End this process as SIGTERM would (uvicorn drains and exits; the supervisor starts it again)."""
    os.kill(os.getpid(), signal.SIGTERM)


def create_app(spec: ServiceSpec[Any], settings: Settings | None = None) -> FastAPI:
    """The service's FastAPI app; its lifespan owns the :class:`Runtime`."""
    runtime: Runtime[Settings] = Runtime(spec, settings or load_settings(spec.settings))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        use_region(runtime.region)  # the consumers and loops started here inherit it
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title=spec.title, lifespan=lifespan)
    app.state.runtime = runtime
    app.add_middleware(
        BodyLimit,
        page_bytes=runtime.settings.http_max_body_bytes,
        api_bytes=runtime.settings.http_max_api_body_bytes,
    )
    add_basics(app, runtime.readiness)
    add_asyncapi(app)
    web.install(app, f"services.{spec.name}", runtime.settings.region_file, runtime.loket)
    for router in spec.routers(runtime.container):
        app.include_router(router)
    return app


def load_spec(name: str) -> ServiceSpec[Any]:
    """Import ``services.<name>.app`` and return its spec."""
    module = importlib.import_module(f"services.{name}.app")
    spec: ServiceSpec[Any] = module.spec()
    return spec


#: The service a worker process of :func:`serve` builds (``SAMENLOKET_HTTP_WORKERS`` > 1).
SERVE_ENV = "SAMENLOKET_SERVING"


def serve(name: str) -> None:
    """Run one service until SIGTERM/SIGINT (what containers run): in this process, or with
    ``SAMENLOKET_HTTP_WORKERS`` > 1 in that many worker processes sharing the port (uvicorn's
    supervisor restarts a worker that dies)."""
    spec = load_spec(name)
    settings = load_settings(spec.settings)
    port = settings.http_port(name)
    if settings.http_workers > 1:
        setup_logging(name, settings.log_level)
        os.environ[SERVE_ENV] = name
        uvicorn.run(
            f"{__name__}:worker_app",
            factory=True,
            workers=settings.http_workers,
            host=settings.host,
            port=port,
            **UVICORN_OPTIONS,
        )
        return
    uvicorn.run(_configured_app(spec, settings), host=settings.host, port=port, **UVICORN_OPTIONS)


def worker_app() -> FastAPI:
    """The app of one worker process of :func:`serve` (uvicorn calls this in each worker)."""
    spec = load_spec(os.environ[SERVE_ENV])
    return _configured_app(spec, load_settings(spec.settings))


def _configured_app(spec: ServiceSpec[Any], settings: Settings) -> FastAPI:
    setup_logging(spec.name, settings.log_level)
    setup_tracing(spec.name, settings.otlp_endpoint)
    try:
        return create_app(spec, settings)
    except RegionFileError as exc:  # one line naming the file and the place, not a traceback
        raise SystemExit(f"samenloket {spec.name}: {exc}") from None
