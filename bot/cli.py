"""The `microstore` command."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import shutil
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from bot.config import ConfigError, Settings, default_config_path, load_settings

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger("microstore")
EXAMPLE_CONFIG = Path(__file__).with_name("config.example.toml")


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-c",
        "--config",
        default=argparse.SUPPRESS,
        help="TOML config file (default: ./config.toml if present; "
        "MICROSTORE_* environment variables override it)",
    )
    p = argparse.ArgumentParser(
        prog="microstore",
        parents=[common],
        description="Chat-commerce for micro-merchants: shops in WeChat and Telegram chats.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        parent: argparse._SubParsersAction[argparse.ArgumentParser], name: str, says: str
    ) -> argparse.ArgumentParser:
        """A subcommand whose own --help says what it does, as the list of commands does."""
        return parent.add_parser(name, parents=[common], help=says, description=says)

    init = command(sub, "init", "write a commented config.toml from the example")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.add_argument("--path", default="config.toml", help="where to write (default: %(default)s)")

    command(sub, "migrate", "apply database schema migrations")

    chat = command(sub, "chat", "chat in the terminal (piped: '@name text' speaks as name)")
    chat.add_argument("--user", default="alice", help="who you are (default: %(default)s)")
    chat.add_argument("--demo", action="store_true", help="seed the demo shop first")

    serve = command(
        sub,
        "serve",
        "run the web app: webhooks, dashboard, /healthz; the simulator at /sim while no"
        " platform is configured (server.simulator)",
    )
    serve.add_argument("--demo", action="store_true", help="seed the demo shop first")
    serve.add_argument("--host", help="bind address (default: server.host, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: server.port, 8080)")
    serve.add_argument(
        "--workers",
        type=int,
        help="processes sharing the port (default: server.workers, 1; more than 1 needs redis.url)",
    )
    serve.add_argument("--child", type=int, help=argparse.SUPPRESS)  # index of a worker process

    command(
        sub,
        "sweep",
        "run every deadline sweep once (unpaid orders, auto-complete, group buys, "
        "refunds, commission release)",
    )
    command(sub, "worker", "send broadcasts (with redis.url: one of many processes)")
    wechat = command(sub, "wechat", "WeChat Official Account tasks")
    wechat_sub = wechat.add_subparsers(dest="wechat_command", required=True, metavar="TASK")
    menu = command(wechat_sub, "menu", "push the custom menu of an account (wechat.accounts)")
    menu.add_argument("account", help="the account's name in the configuration")
    return p


async def _wechat_menu(settings: Settings, account: str) -> None:
    from bot.wechat.api import WeChatApiError
    from bot.wechat.menu import MenuError, push_menu

    try:
        await push_menu(settings, account)
    except (MenuError, WeChatApiError) as e:
        raise ConfigError(str(e)) from None
    print(f"menu of {account} pushed")


def _config_path(args: argparse.Namespace) -> Path | None:
    config = getattr(args, "config", None)
    return Path(config) if config else default_config_path()


def cmd_init(args: argparse.Namespace) -> int:
    target = Path(args.path)
    if target.exists() and not args.force:
        print(f"{target} exists; use --force to overwrite it", file=sys.stderr)
        return 1
    shutil.copyfile(EXAMPLE_CONFIG, target)
    print(f"wrote {target}: edit it, then run `microstore serve`")
    return 0


async def _prepare(settings: Settings, demo: bool, migrate_first: bool = True) -> Runtime:
    from bot.runtime import build_runtime
    from store.db import migrate
    from store.demo import seed_demo

    if migrate_first:
        await migrate(settings.database.url)
    runtime = await build_runtime(settings)
    if demo:
        shop = await seed_demo(runtime.services, showcase=True)
        log.info("demo shop ready: %s (/%s)", shop.name, shop.slug)
    return runtime


async def _migrate(settings: Settings) -> None:
    from store.db import close_db, migrate

    await migrate(settings.database.url)
    await close_db()


async def _chat(settings: Settings, user: str, demo: bool) -> None:
    from bot.simulator.inbox import PLATFORM, Inbox
    from bot.simulator.terminal import run_terminal

    runtime = await _prepare(settings, demo)
    inbox = Inbox()
    runtime.register_sender(PLATFORM, inbox.deliver)
    await _broadcasts(runtime)
    try:
        await run_terminal(runtime, inbox, user)
    finally:
        await runtime.close()


async def _serve(settings: Settings, demo: bool, child: int | None = None) -> None:
    """One serving process; as worker `child` of several, the parent prepared the database."""
    from bot.app import build_app

    runtime = await _prepare(settings, demo, migrate_first=child is None)
    log.info("event loop: %s", type(asyncio.get_running_loop()).__module__.partition(".")[0])
    app = await build_app(runtime)
    await _broadcasts(runtime)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    _freeze_startup_heap()
    host, port = settings.server.host, settings.server.port
    await web.TCPSite(runner, host, port, reuse_port=child is not None).start()
    if not child:  # one sweeper is enough; worker 0 runs it
        runtime.start_sweeper()
    if child is None:
        print(f"microstore is serving on {_where(settings, host, port)}", flush=True)
    try:
        await _until_signalled()
        log.info("shutting down")
    finally:
        await runner.cleanup()
        await runtime.close()


def _where(settings: Settings, host: str, port: int) -> str:
    """The address served, and the simulator's page when it is on."""
    from bot.app import simulator_wanted

    base = f"http://{host}:{port}"
    return f"{base} — chat simulator: {base}/sim" if simulator_wanted(settings) else base


def _freeze_startup_heap() -> None:
    """Exclude what start-up built from the cyclic GC.

    aiogram's hundreds of pydantic models, Tortoise's metadata and the templates are some
    million objects that live as long as the process; a full collection walked all of them,
    a pause of 130-270 ms every few seconds under load, which was the p99 (BENCHMARKS.md).
    """
    gc.collect()
    gc.freeze()


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def _serve_many(settings: Settings, demo: bool, argv: list[str]) -> None:
    """Prepare the database once, then run `workers` processes on one port (SO_REUSEPORT)."""
    runtime = await _prepare(settings, demo)
    await runtime.close()
    host, port = settings.server.host, settings.server.port
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            *argv,
            "--child",
            str(i),
            "--port",
            str(port),
            "--host",
            host,
        )
        for i in range(settings.server.workers)
    ]
    print(
        f"microstore is serving on {_where(settings, host, port)} with {len(children)} processes",
        flush=True,
    )
    waiting = asyncio.ensure_future(asyncio.gather(*(c.wait() for c in children)))
    stop = asyncio.ensure_future(_until_signalled())
    await asyncio.wait([waiting, stop], return_when=asyncio.FIRST_COMPLETED)
    for c in children:
        if c.returncode is None:
            c.send_signal(signal.SIGTERM)
    await asyncio.gather(*(c.wait() for c in children))
    stop.cancel()


async def _broadcasts(runtime) -> None:  # type: ignore[no-untyped-def]
    """Embedded default: this process sends broadcasts; with Redis, `microstore worker`s do."""
    from bot.broadcast.setup import start_broadcasting

    await start_broadcasting(runtime, send=runtime.redis is None)


async def _worker(settings: Settings) -> None:
    from bot.broadcast.setup import attach_wechat, start_broadcasting

    runtime = await _prepare(settings, demo=False)
    await attach_wechat(runtime)
    broadcasting = await start_broadcasting(runtime, send=True)
    _freeze_startup_heap()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, broadcasting.stop.set)
    print("microstore worker: sending broadcasts", flush=True)
    try:
        await broadcasting.stop.wait()
        log.info("worker shutting down")
    finally:
        await runtime.close()


async def _sweep(settings: Settings) -> None:
    runtime = await _prepare(settings, demo=False)
    try:
        for what, count in (await runtime.sweep_once()).items():
            print(f"{what}: {count}")
    finally:
        await runtime.close()


def _serve_command(settings: Settings, args: argparse.Namespace, argv: list[str]):  # type: ignore[no-untyped-def]
    if args.child is not None or settings.server.workers == 1:
        return _serve(settings, args.demo, args.child)
    if not settings.redis.url:
        raise ConfigError(
            "server.workers: more than 1 process needs redis.url "
            "(conversation state and de-duplication are shared there)"
        )
    passed = [a for a in argv if a not in ("--demo",)]
    return _serve_many(settings, args.demo, _strip_option(passed, "--workers"))


def _strip_option(argv: list[str], name: str) -> list[str]:
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == name:
            skip = True
        elif not a.startswith(name + "="):
            out.append(a)
    return out


def _loop_factory(choice: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop when chosen and installed; None: asyncio's own."""
    if choice != "uvloop":
        return None
    try:
        import uvloop
    except ImportError:  # Windows, or a trimmed install: asyncio serves the same, slower
        log.info("server.event_loop: uvloop is not installed; using asyncio's loop")
        return None
    return uvloop.new_event_loop


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    if args.command == "init":
        return cmd_init(args)
    try:
        settings = load_settings(_config_path(args))
        if args.command == "serve":
            overrides = {
                k: v
                for k, v in (("host", args.host), ("port", args.port), ("workers", args.workers))
                if v
            }
            if overrides:
                settings = load_settings(
                    _config_path(args), server=settings.server.overridden(**overrides)
                )
    except ConfigError as e:
        print(f"microstore: {e}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.command == "chat":
        logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))
    jobs = {
        "migrate": lambda: _migrate(settings),
        "chat": lambda: _chat(settings, args.user, args.demo),
        "serve": lambda: _serve_command(settings, args, argv),
        "sweep": lambda: _sweep(settings),
        "worker": lambda: _worker(settings),
        "wechat": lambda: _wechat_menu(settings, args.account),
    }
    try:
        with asyncio.Runner(loop_factory=_loop_factory(settings.server.event_loop)) as runner:
            runner.run(jobs[args.command]())
    except KeyboardInterrupt:
        return 130
    except ConfigError as e:
        print(f"microstore: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # the database or a port cannot be reached
        print(f"microstore: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
