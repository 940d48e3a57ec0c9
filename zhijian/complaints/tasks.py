"""Background tasks of the complaints app (django-tasks; ``manage.py db_worker`` runs them)."""
from django_tasks import task


@task()
def retrain_classifier(user_id: int | None = None) -> dict:
    """Retrain the complaint classifier from officers' confirmed labels."""
    from django.contrib.auth import get_user_model

    from .labelling import retrain

    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    meta = retrain(user)
    return {"version": meta.get("version"), "n_examples": meta.get("n_examples")}


# The daily retention purge is ``retention.purge_expired``.
