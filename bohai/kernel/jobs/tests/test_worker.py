import threading

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from bohai.kernel.events.outbox import handles, publish
from bohai.kernel.jobs.models import Job
from bohai.kernel.jobs.registry import enqueue, job
from bohai.kernel.jobs.runner import request_stop, run_worker


@pytest.mark.django_db
def test_a_burst_follows_work_from_jobs_to_events_to_jobs(job_registry, event_handlers):
    done = []

    @job("tests.register")
    def register():
        with transaction.atomic():
            publish("tests.registered", {"who": "张三"})

    @handles("tests.registered")
    def on_registered(event):
        enqueue("tests.welcome", who=event.payload["who"])

    job("tests.welcome")(lambda who: done.append(who))
    enqueue("tests.register")

    report = run_worker(burst=True, worker_name="w1")

    assert done == ["张三"]
    assert report.jobs_run == 2
    assert report.events_delivered == 1


@pytest.mark.django_db
def test_the_worker_command_works_through_the_queue(job_registry, capsys):
    job("tests.noop")(lambda: "ok")
    queued = enqueue("tests.noop")

    call_command("worker", "--burst", "--name", "cli-worker")

    queued.refresh_from_db()
    assert queued.status == Job.Status.SUCCEEDED
    assert queued.worker == "cli-worker"
    assert "执行任务 1 个" in capsys.readouterr().out


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_on_separate_connections_run_each_job_exactly_once(job_registry):
    runs: list[int] = []
    lock = threading.Lock()

    @job("tests.count")
    def count(number):
        with lock:
            runs.append(number)

    for number in range(50):
        enqueue("tests.count", number=number)
    start_together = threading.Barrier(2)
    errors = []

    def work(name):
        try:
            start_together.wait()
            run_worker(burst=True, worker_name=name)
        except Exception as error:  # surfaced below; a thread's exception would otherwise vanish
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(runs) == list(range(50))
    assert set(Job.objects.values_list("status", "attempts")) == {(Job.Status.SUCCEEDED, 1)}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_idle_worker_is_woken_by_a_commit_instead_of_its_poll_interval(job_registry):
    ran = threading.Event()
    job("tests.wake")(lambda: ran.set())

    def work():
        try:
            run_worker(poll_seconds=600, worker_name="sleeper")
        finally:
            connection.close()

    worker = threading.Thread(target=work)
    worker.start()
    try:
        _wait_until_listening()
        with transaction.atomic():
            enqueue("tests.wake")
        # Far below the 600 s poll interval: only the NOTIFY sent at commit can wake it this soon.
        assert ran.wait(timeout=60)
    finally:
        request_stop()
        worker.join()


def _wait_until_listening():
    with connection.cursor() as cursor:
        for _ in range(600):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%%'"
            )
            if cursor.fetchone()[0]:
                return
            threading.Event().wait(0.05)
    raise AssertionError("the worker never started listening")
