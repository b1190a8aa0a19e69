"""Command-line commands of background jobs: ``trainhub worker``."""

from __future__ import annotations

import logging

import click
from flask.cli import with_appcontext

from trainhub.jobs.queue import huey


@click.command("worker")
@click.option("--workers", "-w", type=click.IntRange(1, 64), default=2, show_default=True,
              help="同时执行任务的工作线程数。")
@with_appcontext
def worker_command(workers: int) -> None:
    """运行后台任务 worker（Huey consumer），直到按 Ctrl+C 或收到 SIGTERM。"""
    if huey.immediate:
        raise click.ClickException("已开启 JOBS_IMMEDIATE：任务在提交时立即执行，不需要 worker。")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    click.echo(f"后台任务 worker 已启动：{huey.describe()}，{workers} 个工作线程。按 Ctrl+C 停止。")
    huey.create_consumer(workers=workers, worker_type="thread").run()


commands: list = [worker_command]
