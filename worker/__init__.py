"""The worker: Celery tasks that check uploaded files and publish and take down copies.

Tasks are thin callers of `models.processing_service` and `models.publication_service`; the
rules live there. `worker.app` configures Celery from `mediacheck.config.AppSettings`.
"""
