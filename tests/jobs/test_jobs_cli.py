"""``trainhub worker`` runs the Huey consumer."""

from __future__ import annotations


def test_worker_command_exists(runner):
    result = runner.invoke(args=["worker", "--help"])
    assert result.exit_code == 0
    assert "--workers" in result.output and "worker" in result.output


def test_worker_refuses_in_immediate_mode(runner):
    result = runner.invoke(args=["worker"])
    assert result.exit_code == 1
    assert "JOBS_IMMEDIATE" in result.output and "不需要后台任务进程" in result.output


def test_worker_refuses_a_bad_number_of_workers(runner):
    result = runner.invoke(args=["worker", "--workers", "0"])
    assert result.exit_code == 2
    assert "--workers" in result.output
