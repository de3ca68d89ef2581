from bohai.kernel.jobs.tests.conftest import event_handlers, job_registry  # noqa: F401 (fixtures)
