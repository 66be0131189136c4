"""The retry policy for background tasks and the operators' view of the queue, on the real
database-backed queue of django-tasks-db (a worker loop run in-process)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from marketplace.core.errors import InvalidTransition
from marketplace.core.tasks import RetryPolicy, retrying_task, task_retry_now, task_runs
from marketplace.notifications import tasks as notification_tasks
from marketplace.notifications.models import Kind, Notification
from marketplace.notifications.services import notify
from marketplace.notifications.tasks import send_notification_email

pytestmark = pytest.mark.django_db

FAILURES = {"left": 0}


@retrying_task(max_attempts=3, backoff_seconds=60)
def flaky(label: str) -> str:
    """Fails while FAILURES["left"] > 0."""
    if FAILURES["left"] > 0:
        FAILURES["left"] -= 1
        raise ConnectionRefusedError(f"mail server down for {label}")
    return f"done {label}"


@pytest.fixture(autouse=True)
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    FAILURES["left"] = 0
    yield


def run_worker(*, due_now: bool = True) -> int:
    """Run every ready task once, as `manage.py db_worker --batch` would. With `due_now`,
    deferred retries are made due first (instead of waiting for the backoff)."""
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    if due_now:
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    ran = 0
    for _ in range(20):
        row = DBTaskResult.objects.ready().first()
        if row is None:
            break
        row.claim(worker.worker_id)
        worker.run_task(row)
        ran += 1
    return ran


def test_backoff_doubles_and_is_capped():
    policy = RetryPolicy(max_attempts=5, backoff_seconds=30, max_backoff_seconds=100)
    assert [policy.delay(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 100, 100]


def test_a_failed_run_is_retried_later_with_the_next_attempt_number():
    FAILURES["left"] = 1
    flaky.enqueue("x")
    before = timezone.now()

    assert run_worker() == 1

    failed = DBTaskResult.objects.get(status="FAILED")
    retry = DBTaskResult.objects.get(status="READY")
    assert "ConnectionRefusedError" in failed.exception_class_path
    assert retry.args_kwargs == {
        "args": ["x"],
        "kwargs": {"retry_attempt": 2, "retry_of": str(failed.pk)},
    }
    assert before + timedelta(seconds=55) <= retry.run_after <= before + timedelta(seconds=70)
    assert run_worker(due_now=False) == 0  # not due yet

    assert run_worker() == 1
    assert DBTaskResult.objects.get(pk=retry.pk).status == "SUCCESSFUL"
    assert DBTaskResult.objects.get(pk=retry.pk).return_value == "done x"


def test_after_the_last_attempt_nothing_more_is_scheduled():
    FAILURES["left"] = 10
    flaky.enqueue("y")

    assert run_worker() == 1
    assert run_worker() == 1
    assert run_worker() == 1
    assert run_worker() == 0

    assert DBTaskResult.objects.filter(status="FAILED").count() == 3
    assert not DBTaskResult.objects.filter(status="READY").exists()
    [last, *earlier] = task_runs(status="failed")
    assert (last.attempt, last.max_attempts, last.can_retry) == (3, 3, True)
    assert last.error == "ConnectionRefusedError: mail server down for y"
    assert all(run.retried_by and not run.can_retry for run in earlier)


def test_the_operator_page_shows_the_final_failure_with_its_error_and_retries_it(client, olga):
    FAILURES["left"] = 10
    flaky.enqueue("z")
    for _ in range(3):
        run_worker()
    client.force_login(olga)

    page = client.get(reverse("operator:tasks")).content.decode()

    assert "flaky" in page
    assert "ConnectionRefusedError: mail server down for z" in page
    assert "3 of 3" in page
    assert page.count("Retry now") == 1  # only the run nobody retried yet
    last = task_runs(status="failed")[0]

    FAILURES["left"] = 0
    response = client.post(reverse("operator:task_retry", args=[last.id]))

    assert response.status_code == 302
    assert run_worker() == 1
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 1
    page = client.get(reverse("operator:tasks")).content.decode()
    assert "Retry now" not in page


def test_a_run_is_not_retried_twice_by_hand():
    FAILURES["left"] = 10
    flaky.enqueue("w")
    for _ in range(3):
        run_worker()
    last = task_runs(status="failed")[0]
    task_retry_now(result_id=last.id)

    with pytest.raises(InvalidTransition):
        task_retry_now(result_id=last.id)
    assert DBTaskResult.objects.filter(status="READY").count() == 1


def test_pending_runs_are_listed_with_their_attempt(client, olga):
    FAILURES["left"] = 1
    flaky.enqueue("p")
    run_worker()
    [pending] = task_runs(status="pending")
    assert (pending.name, pending.attempt, pending.args) == ("flaky", 2, ["p"])
    client.force_login(olga)
    page = client.get(reverse("operator:tasks")).content.decode()
    assert "2 of 3" in page


def test_the_email_task_is_retried_after_a_smtp_error_and_sends_once(alice, monkeypatch):
    note = notify(user=alice, kind=Kind.JOB_ACCEPTED, title="Bob accepted", url="/customer/jobs/")
    calls = {"n": 0}
    real_send = notification_tasks.send_mail

    def send_mail_down_once(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("SMTP connection refused")
        return real_send(**kwargs)

    monkeypatch.setattr(notification_tasks, "send_mail", send_mail_down_once)
    send_notification_email.enqueue(note.pk)

    assert run_worker() == 1
    note.refresh_from_db()
    assert note.emailed_at is None and mail.outbox == []
    assert task_runs(status="failed")[0].error == "OSError: SMTP connection refused"

    assert run_worker() == 1
    note.refresh_from_db()
    assert note.emailed_at is not None and len(mail.outbox) == 1

    send_notification_email.enqueue(note.pk)  # enqueued again by mistake: still one e-mail
    run_worker()
    assert len(mail.outbox) == 1
    assert Notification.objects.get(pk=note.pk).emailed_at == note.emailed_at


# --- Who may see the queue ------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("operator:tasks"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_customers_and_helpers_may_not_see_the_queue(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("operator:tasks")).status_code == 403


def test_operators_see_the_queue(client, olga):
    client.force_login(olga)
    assert client.get(reverse("operator:tasks")).status_code == 200


def test_only_operators_can_retry_a_run(client, alice):
    FAILURES["left"] = 10
    flaky.enqueue("q")
    for _ in range(3):
        run_worker()
    last = task_runs(status="failed")[0]
    client.force_login(alice)
    assert client.post(reverse("operator:task_retry", args=[last.id])).status_code == 403
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_api_lists_failed_runs_for_operators_only(api_as, alice, bob, olga):
    FAILURES["left"] = 1
    flaky.enqueue("api")
    run_worker()

    assert api_as().get("/api/operator/tasks", status="failed").status_code == 401
    assert api_as(alice).get("/api/operator/tasks", status="failed").status_code == 403
    assert api_as(bob).get("/api/operator/tasks", status="failed").status_code == 403
    response = api_as(olga).get("/api/operator/tasks", status="failed")
    assert response.status_code == 200
    [run] = response.json()
    assert run["name"] == "flaky" and run["args"] == ["api"] and run["attempt"] == 1
    assert run["error"] == "ConnectionRefusedError: mail server down for api"
    assert run["retried_by"]  # the automatic retry is already queued

    pending = api_as(olga).get("/api/operator/tasks", status="pending").json()
    assert [(p["name"], p["attempt"]) for p in pending] == [("flaky", 2)]
    assert api_as(olga).get("/api/operator/tasks", status="bogus").status_code == 422
