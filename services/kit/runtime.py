"""Running one service: database pool, producer, outbox relay, consumers and the HTTP app.

A service describes itself with a :class:`ServiceSpec`; :func:`create_app` turns it into a FastAPI
app whose lifespan starts and drains everything in order, and :func:`serve` runs it under uvicorn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import asyncpg
import uvicorn
from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, FastAPI

from services.kit import access, broker, db, web
from services.kit.asyncapi_http import add_asyncapi
from services.kit.consumer import EventConsumer, Subscription
from services.kit.http import add_basics
from services.kit.logs import setup_logging
from services.kit.outbox import OutboxRelay
from services.kit.settings import Settings, load_settings
from services.kit.telemetry import setup_tracing

log = logging.getLogger(__name__)


@dataclass
class ServiceSpec:
    """What a service consists of; built by each service's ``app.spec()``."""

    name: str
    routers: Callable[[Runtime], list[APIRouter]] = lambda _: []
    subscriptions: Callable[[Runtime], list[Subscription]] = lambda _: []
    on_start: Callable[[Runtime], Awaitable[None]] | None = None
    on_stop: Callable[[Runtime], Awaitable[None]] | None = None
    title: str = ""


@dataclass
class Runtime:
    """The live resources of one service process."""

    spec: ServiceSpec
    settings: Settings
    pool: asyncpg.Pool | None = None
    producer: AIOKafkaProducer | None = None
    relay: OutboxRelay | None = None
    consumers: list[EventConsumer] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    state: dict[str, object] = field(default_factory=dict)
    keys: access.KeyStore | None = None

    @property
    def source(self) -> str:
        """The CloudEvents ``source`` of events this service publishes."""
        return f"/samenloket/{self.spec.name}"

    @property
    def db(self) -> asyncpg.Pool:
        assert self.pool is not None, "runtime not started"
        return self.pool

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
        self.tasks.append(asyncio.create_task(self.relay.run(), name=f"{self.spec.name}-relay"))
        # Joining a consumer group takes seconds; join all groups at once.
        await asyncio.gather(*(self._start_consumer(sub) for sub in self.spec.subscriptions(self)))
        if self.spec.on_start:
            await self.spec.on_start(self)

    async def _start_consumer(self, sub: Subscription) -> None:
        assert self.producer is not None and self.pool is not None
        group = sub.group_id or f"samenloket-{self.spec.name}-{sub.name}"
        kafka = broker.make_consumer(self.settings, group, sub.topics)
        await kafka.start()
        consumer = EventConsumer(
            self.spec.name,
            sub,
            kafka,
            self.producer,
            self.pool,
            self.settings.consumer_max_attempts,
            self.settings.consumer_retry_base_seconds,
            concurrency=self.settings.consumer_concurrency,
        )
        self.consumers.append(consumer)
        self.tasks.append(asyncio.create_task(consumer.run(), name=f"{self.spec.name}-{sub.name}"))

    async def stop(self) -> None:
        """Drain: consumers finish and commit their batch, the relay empties, then close."""
        if self.spec.on_stop:
            await self.spec.on_stop(self)
        for consumer in self.consumers:
            consumer.stop()
        if self.relay:
            self.relay.stop()
        if self.tasks:
            _done, pending = await asyncio.wait(self.tasks, timeout=10)
            for task in pending:
                task.cancel()
        for consumer in self.consumers:
            with contextlib.suppress(Exception):
                await consumer.consumer.stop()
        if self.producer:
            with contextlib.suppress(Exception):
                await self.producer.stop()
        if self.pool:
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
        for task in self.tasks:
            if task.done():
                checks[task.get_name()] = "stopped"
        return checks


def create_app(spec: ServiceSpec, settings: Settings | None = None) -> FastAPI:
    """The service's FastAPI app; its lifespan owns the :class:`Runtime`."""
    runtime = Runtime(spec, settings or load_settings())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title=spec.title or f"Samenloket {spec.name}", lifespan=lifespan)
    app.state.runtime = runtime
    add_basics(app, runtime.readiness)
    add_asyncapi(app)
    web.install(app, f"services.{spec.name}")
    for router in spec.routers(runtime):
        app.include_router(router)
    return app


def load_spec(name: str) -> ServiceSpec:
    """Import ``services.<name>.app`` and return its spec."""
    import importlib

    module = importlib.import_module(f"services.{name}.app")
    spec: ServiceSpec = module.spec()
    return spec


def serve(name: str) -> None:
    """Run one service in this process until SIGTERM/SIGINT (what containers run)."""
    settings = load_settings()
    setup_logging(name, settings.log_level)
    setup_tracing(name, settings.otlp_endpoint)
    app = create_app(load_spec(name), settings)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.http_port(name),
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
