"""Command-line commands of background jobs: ``trainhub worker``."""

from __future__ import annotations

import logging

import click
from flask.cli import with_appcontext
from huey.consumer import Consumer

from trainhub.extensions import db
from trainhub.jobs import lease
from trainhub.jobs.queue import huey
from trainhub.transaction import durable

#: Default seconds a stopping worker waits for its jobs to finish their current step.
DEFAULT_GRACE_SECONDS = 8


class WorkerConsumer(Consumer):
    """Huey's consumer, stopping so that no job is left ``running`` behind it.

    On SIGTERM or Ctrl+C every job of this process is asked to stop at its next progress
    report (the step in hand is finished and committed; the runner stores the job as
    interrupted); the workers get ``shutdown_timeout`` seconds for that, then whatever is
    still running is marked interrupted before the process exits. A SIGKILL leaves no time
    for any of this: the job's lease runs out instead (:mod:`trainhub.jobs.lease`).
    """

    def stop(self, graceful: bool = False) -> None:
        lease.request_stop()
        super().stop(graceful=True)
        lease.interrupt_running(db.engine)


@click.command("worker")
@click.option("--workers", "-w", type=click.IntRange(1, 64), default=2, show_default=True,
              help="同时执行任务的工作线程数。")
@click.option("--grace", type=click.IntRange(0, 3600), default=DEFAULT_GRACE_SECONDS,
              show_default=True,
              help="收到停止信号后，等待正在执行的任务完成当前步骤的最长秒数；超时的任务标记为已中断。")
@with_appcontext
def worker_command(workers: int, grace: int) -> None:
    """运行后台任务进程（Huey consumer），直到按 Ctrl+C 或收到 SIGTERM。

    启动时以及此后每分钟，把心跳超时（TRAINHUB_JOB_LEASE_SECONDS）的任务标记为已中断。
    """
    if huey.immediate:
        raise click.ClickException("已开启 JOBS_IMMEDIATE：任务在提交时立即执行，不需要后台任务进程。")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with durable() as session:  # the worker runs for ever: this upkeep commits on its own
        interrupted = lease.interrupt_abandoned(session, lease=lease.lease_seconds())
    lease.clear_stop()
    click.echo(f"后台任务进程已启动：{huey.describe()}，{workers} 个工作线程。按 Ctrl+C 停止。")
    if interrupted:
        click.echo(f"已将 {interrupted} 个失去响应的任务标记为已中断，可在“后台任务”页面重新执行。")
    WorkerConsumer(huey, workers=workers, worker_type="thread", shutdown_timeout=grace).run()


commands: list = [worker_command]
